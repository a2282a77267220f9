package com.dedw3n.platform.graphql;

import jakarta.validation.constraints.NotNull;
import jakarta.validation.constraints.Pattern;
import jakarta.validation.constraints.PositiveOrZero;
import java.util.Locale;

/** An amount in integer minor units of an ISO 4217 currency; never a floating-point number. */
public record Money(long amount, String currency) {

  /** A {@code MoneyInput} argument, validated: its currency code upper-cased. */
  public static Money fromInput(MoneyInput input) {
    return new Money(input.amount(), input.currency().strip().toUpperCase(Locale.ROOT));
  }

  /** The schema's {@code MoneyInput}: a non-negative amount and a three-letter code. */
  public record MoneyInput(
      @NotNull(message = "must be zero or more minor units")
          @PositiveOrZero(message = "must be zero or more minor units")
          Long amount,
      @NotNull(message = "must be an ISO 4217 code such as USD")
          @Pattern(
              regexp = "\\p{javaWhitespace}*[A-Za-z]{3}\\p{javaWhitespace}*",
              message = "must be an ISO 4217 code such as USD")
          String currency) {}
}
