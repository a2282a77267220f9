package com.dedw3n.price.internal;

import com.dedw3n.platform.graphql.Money;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.time.OffsetDateTime;
import java.util.Currency;
import org.springframework.modulith.NamedInterface;

/**
 * The price of one coin in a fiat currency.
 *
 * @param price fiat units per coin, exact as the provider sent it; never zero or negative
 * @param asOf when the provider's answer was received (for EMERGENCY: when the static rates were
 *     written down)
 * @param source {@code coingecko}, {@code cryptocompare}, {@code coinmarketcap} or {@code
 *     emergency}
 */
@NamedInterface("quotes")
public record PriceQuote(
    String symbol,
    String currency,
    BigDecimal price,
    OffsetDateTime asOf,
    String source,
    PriceFreshness freshness) {

  public PricePair pair() {
    return new PricePair(symbol, currency);
  }

  /**
   * A fiat amount of this quote's currency in its coin, rounded up to {@code decimals} (the seller
   * never gets less than the price).
   */
  BigDecimal coins(Money money, int decimals) {
    if (!money.currency().equals(currency)) {
      throw new IllegalArgumentException(
          "A " + currency + " quote cannot convert " + money.currency());
    }
    int digits = Math.max(0, Currency.getInstance(money.currency()).getDefaultFractionDigits());
    return BigDecimal.valueOf(money.amount(), digits).divide(price, decimals, RoundingMode.UP);
  }
}
