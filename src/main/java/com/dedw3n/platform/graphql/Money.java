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

  /**
   * Codes Java lists that no one can be charged in: metals, bond units, funds, the codes for
   * testing and for no currency, and the currencies ISO 4217 has withdrawn (the mark, the franc,
   * the bolívar fuerte...), which Java still knows.
   */
  private static final Set<String> NOT_MONEY =
      Set.of(
          "XAG",
          "XAU",
          "XBA",
          "XBB",
          "XBC",
          "XBD",
          "XDR",
          "XPD",
          "XPT",
          "XSU",
          "XTS",
          "XUA",
          "XXX",
          "XFO",
          "XFU",
          "BOV",
          "CHE",
          "CHW",
          "CLF",
          "COU",
          "MXV",
          "USN",
          "USS",
          "UYI",
          // withdrawn
          "ADP",
          "AFA",
          "ATS",
          "AYM",
          "AZM",
          "BEF",
          "BGL",
          "BYB",
          "BYR",
          "CSD",
          "CUC",
          "CYP",
          "DEM",
          "EEK",
          "ESP",
          "FIM",
          "FRF",
          "GHC",
          "GRD",
          "GWP",
          "HRK",
          "IEP",
          "ITL",
          "LTL",
          "LUF",
          "LVL",
          "MGF",
          "MRO",
          "MTL",
          "MZM",
          "NLG",
          "PTE",
          "ROL",
          "RUR",
          "SDD",
          "SIT",
          "SKK",
          "SRG",
          "STD",
          "TMM",
          "TPE",
          "TRL",
          "VEB",
          "VEF",
          "YUM",
          "ZMK",
          "ZWD",
          "ZWL",
          "ZWN",
          "ZWR");

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

  /** Whether the code is an ISO 4217 currency in use that Java knows (see {@link #NOT_MONEY}). */
  public static boolean isCurrency(String code) {
    return CURRENCIES.contains(code) && !NOT_MONEY.contains(code);
  }
}
