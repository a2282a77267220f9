package com.dedw3n.platform.graphql;

import java.util.Locale;
import java.util.Map;
import java.util.regex.Pattern;

/** An amount in integer minor units of an ISO 4217 currency; never a floating-point number. */
public record Money(long amount, String currency) {

  private static final Pattern CURRENCY = Pattern.compile("^[A-Z]{3}$");

  /** Checks a {@code MoneyInput} argument: a non-negative amount and a three-letter code. */
  public static Money fromInput(String argument, Map<String, Object> input) {
    Object amount = input.get("amount");
    Object currency = input.get("currency");
    if (!(amount instanceof Number number) || number.longValue() < 0) {
      throw ApiException.badRequest(argument + ".amount must be zero or more minor units");
    }
    String code = currency == null ? "" : currency.toString().strip().toUpperCase(Locale.ROOT);
    if (!CURRENCY.matcher(code).matches()) {
      throw ApiException.badRequest(argument + ".currency must be an ISO 4217 code such as USD");
    }
    return new Money(number.longValue(), code);
  }
}
