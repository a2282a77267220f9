package com.dedw3n.payment.internal;

import java.util.Locale;
import org.jspecify.annotations.Nullable;

/**
 * Amounts as Stripe's API counts them, where that differs from ours. Our amounts are in ISO 4217's
 * minor units (Java's {@code Currency.getDefaultFractionDigits}); Stripe's are too, except:
 *
 * <ul>
 *   <li>ISK and UGX: ISO has no minor unit, Stripe keeps two decimals (100 is 1 króna, 100 is 1
 *       shilling: both were two-decimal once, and Stripe kept that for backward compatibility) and
 *       takes whole units only, so ours times 100. Stripe's list of zero-decimal currencies names
 *       UGX too; its special cases say otherwise, and its API follows those;
 *   <li>MGA: ISO (and Java) have two decimals, Stripe none, so ours divided by 100, and an amount
 *       in fractions of an ariary cannot be charged;
 *   <li>BHD, JOD, KWD, OMR, TND: three decimals on both sides, but Stripe's partners take amounts
 *       whose last digit is 0 only.
 * </ul>
 *
 * Every amount sent to Stripe goes through {@link #toStripe}, every amount read from it (a
 * PaymentIntent, a charge, a refund, in an answer or an event) through {@link #fromStripe}. Without
 * it, an order of 5,000 krónur was charged 50, and one of 380,000 shillings 3,800.
 */
final class StripeAmounts {

  private StripeAmounts() {}

  /**
   * Why Stripe cannot take this amount in this currency, as a sentence for the caller; null when it
   * can.
   */
  static @Nullable String unchargeable(String currency, long amount) {
    return switch (currency.toUpperCase(Locale.ROOT)) {
      case "MGA" ->
          amount % 100 == 0
              ? null
              : "the payment provider takes whole ariary (MGA) only, and "
                  + amount
                  + " is "
                  + (amount / 100)
                  + "."
                  + String.format(Locale.ROOT, "%02d", Math.abs(amount % 100))
                  + " Ar.";
      case "BHD", "JOD", "KWD", "OMR", "TND" ->
          amount % 10 == 0
              ? null
              : "the payment provider takes amounts in "
                  + currency.toUpperCase(Locale.ROOT)
                  + " in tens of its minor unit only (the last of its three decimals 0), and "
                  + amount
                  + " is not.";
      default -> null;
    };
  }

  /** Our amount in Stripe's units; the amount must be chargeable ({@link #unchargeable}). */
  static long toStripe(String currency, long amount) {
    String unchargeable = unchargeable(currency, amount);
    if (unchargeable != null) {
      throw new IllegalArgumentException(unchargeable);
    }
    return switch (currency.toUpperCase(Locale.ROOT)) {
      case "ISK", "UGX" -> Math.multiplyExact(amount, 100L);
      case "MGA" -> amount / 100;
      default -> amount;
    };
  }

  /**
   * Stripe's amount in our units. ISK's and UGX's fractions (Stripe takes none) are dropped: they
   * have no place in ISO's króna or shilling.
   */
  static long fromStripe(@Nullable String currency, long amount) {
    if (currency == null) {
      return amount;
    }
    return switch (currency.toUpperCase(Locale.ROOT)) {
      case "ISK", "UGX" -> Math.floorDiv(amount, 100L);
      case "MGA" -> Math.multiplyExact(amount, 100L);
      default -> amount;
    };
  }
}
