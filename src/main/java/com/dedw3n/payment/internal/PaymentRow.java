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
