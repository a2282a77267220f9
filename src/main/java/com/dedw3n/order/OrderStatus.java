package com.dedw3n.order;

import java.util.EnumSet;
import java.util.Set;

/**
 * Where an order is in its life, and where it may go from there. The only way an order's status
 * changes is {@link OrderLifecycle#moveTo}, which refuses any step not listed here with CONFLICT.
 *
 * <pre>
 * PENDING_PAYMENT -> PAID -> FULFILLED
 * PENDING_PAYMENT -> PAYMENT_FAILED -> PAID (a later attempt succeeded)
 * PENDING_PAYMENT, PAYMENT_FAILED -> CANCELLED (unpaid and expired; stock returned, once)
 * PAID, FULFILLED -> PARTIALLY_REFUNDED -> REFUNDED
 * PAID, FULFILLED -> REFUNDED
 * </pre>
 */
public enum OrderStatus {
  /** Placed, stock reserved, not paid yet; expires (and gives its stock back) if never paid. */
  PENDING_PAYMENT,
  /** An attempt to pay failed; another checkout may still pay it until it expires. */
  PAYMENT_FAILED,
  /** Paid in full: the seller ships it. */
  PAID,
  /** Shipped by the seller. */
  FULFILLED,
  /** Some of the payment was given back. */
  PARTIALLY_REFUNDED,
  /**
   * All of the payment was given back. Final: a refund Stripe reports failed after it succeeded
   * lowers the payment's refunded amount, not this status (the payment feature mails both sides).
   */
  REFUNDED,
  /** Never paid: expired or abandoned; its stock went back. Final. */
  CANCELLED;

  /** Whether an order in this status may move to {@code next}. */
  public boolean mayBecome(OrderStatus next) {
    return next(this).contains(next);
  }

  /** Whether nothing can happen to the order any more. */
  public boolean isFinal() {
    return next(this).isEmpty();
  }

  /** Whether the order still waits for its money. */
  public boolean isUnpaid() {
    return this == PENDING_PAYMENT || this == PAYMENT_FAILED;
  }

  private static Set<OrderStatus> next(OrderStatus from) {
    return switch (from) {
      case PENDING_PAYMENT -> EnumSet.of(PAID, PAYMENT_FAILED, CANCELLED);
      case PAYMENT_FAILED -> EnumSet.of(PAID, CANCELLED);
      // a refund may follow shipping (a return); refunds after a partial one go on to REFUNDED
      case PAID -> EnumSet.of(FULFILLED, PARTIALLY_REFUNDED, REFUNDED);
      case FULFILLED -> EnumSet.of(PARTIALLY_REFUNDED, REFUNDED);
      case PARTIALLY_REFUNDED -> EnumSet.of(REFUNDED);
      case REFUNDED, CANCELLED -> EnumSet.noneOf(OrderStatus.class);
    };
  }
}
