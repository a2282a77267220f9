package com.dedw3n.price.internal;

import java.math.BigDecimal;
import java.time.OffsetDateTime;
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
}
