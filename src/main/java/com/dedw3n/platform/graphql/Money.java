package com.dedw3n.platform.graphql;

import java.util.Locale;
import java.util.regex.Pattern;

/** An amount in integer minor units of an ISO 4217 currency; never a floating-point number. */
public record Money(long amount, String currency) {

  private static final Pattern CURRENCY = Pattern.compile("^[A-Z]{3}$");

  /** Checks a {@code MoneyInput} argument: a non-negative amount and a three-letter code. */
  public static Money fromInput(String argument, MoneyInput input) {
    Long amount = input == null ? null : input.amount();
    if (amount == null || amount < 0) {
      throw ApiException.badRequest(argument + ".amount must be zero or more minor units");
    }
    String code = input.currency() == null ? "" : input.currency().strip().toUpperCase(Locale.ROOT);
    if (!CURRENCY.matcher(code).matches()) {
      throw ApiException.badRequest(argument + ".currency must be an ISO 4217 code such as USD");
    }
    return new Money(amount, code);
  }

  /** The schema's {@code MoneyInput}. */
  public record MoneyInput(Long amount, String currency) {}
}
