package com.dedw3n.payment.internal;

import java.math.BigDecimal;
import java.time.OffsetDateTime;
import org.jspecify.annotations.Nullable;

/**
 * One order's payment as stored: the PaymentIntent of its current attempt and the facts Stripe's
 * events established. {@code succeeded} stays true once set, and {@code amountRefunded} is the sum
 * of the order's refunds Stripe reported succeeded, each refund's status only moving forward
 * ({@link RefundReport#stage}): that is what makes events commute. It falls only when a refund
 * fails after it succeeded.
 */
record PaymentRow(
    long orderId,
    int attempt,
    @Nullable String paymentIntentId,
    long amount,
    String currency,
    String stripeStatus,
    long amountReceived,
    long amountRefunded,
    boolean succeeded,
    @Nullable OffsetDateTime paidAt,
    @Nullable String lastFailure,
    @Nullable Long quoteId,
    @Nullable String quoteSymbol,
    @Nullable BigDecimal quotePrice,
    @Nullable BigDecimal quoteCryptoAmount) {

  /**
   * This payment once Stripe reports its PaymentIntent succeeded with {@code received} (in our
   * units) in {@code currency}; null when that contradicts the order's amount or currency, and then
   * nothing is applied. A payment paid before keeps the time it was paid at.
   */
  @Nullable PaymentRow paidWith(long received, @Nullable String currency, OffsetDateTime at) {
    if (received != amount || currency == null || !currency.equalsIgnoreCase(this.currency)) {
      return null;
    }
    return new PaymentRow(
        orderId,
        attempt,
        paymentIntentId,
        amount,
        this.currency,
        "succeeded",
        received,
        amountRefunded,
        true,
        paidAt != null ? paidAt : at,
        lastFailure,
        quoteId,
        quoteSymbol,
        quotePrice,
        quoteCryptoAmount);
  }

  /** The status a client sees, derived from the facts. */
  String status() {
    if (succeeded) {
      if (amountRefunded > 0 && amountRefunded >= amountReceived) {
        return "REFUNDED";
      }
      return amountRefunded > 0 ? "PARTIALLY_REFUNDED" : "SUCCEEDED";
    }
    return switch (stripeStatus) {
      case "canceled" -> "CANCELED";
      case "processing" -> "PROCESSING";
      default -> lastFailure != null ? "FAILED" : "REQUIRES_PAYMENT";
    };
  }
}
