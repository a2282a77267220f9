package com.dedw3n.platform.graphql;

import jakarta.validation.constraints.NotNull;
import jakarta.validation.constraints.PositiveOrZero;
import java.util.Currency;
import java.util.Locale;
import java.util.Set;
import java.util.stream.Collectors;

/** An amount in integer minor units of an ISO 4217 currency; never a floating-point number. */
public record Money(long amount, String currency) {

  private static final Set<String> CURRENCIES =
      Currency.getAvailableCurrencies().stream()
          .map(Currency::getCurrencyCode)
          .collect(Collectors.toUnmodifiableSet());

  private static final Set<String> NOT_MONEY =
      Set.of(
          "XAG", "XAU", "XBA", "XBB", "XBC", "XBD", "XDR", "XPD", "XPT", "XSU", "XTS", "XUA", "XXX",
          "XFO", "XFU", "BOV", "CHE", "CHW", "CLF", "COU", "MXV", "USN", "USS", "UYI");

  /** A {@code MoneyInput} argument, validated: its currency code upper-cased. */
  public static Money fromInput(MoneyInput input) {
    return new Money(input.amount(), input.currency().strip().toUpperCase(Locale.ROOT));
  }

  /** The schema's {@code MoneyInput}: a non-negative amount and a currency's code. */
  public record MoneyInput(
      @NotNull(message = "must be zero or more minor units")
          @PositiveOrZero(message = "must be zero or more minor units")
          Long amount,
      @NotNull(message = "must be an ISO 4217 code such as USD") @CurrencyCode String currency) {}

  /**
   * Whether the code is an ISO 4217 currency that Java knows and that is money: not a precious
   * metal, a bond unit, a fund, or the codes for testing and for no currency.
   */
  public static boolean isCurrency(String code) {
    return CURRENCIES.contains(code) && !NOT_MONEY.contains(code);
  }
}
