package com.dedw3n.payment.internal;

import com.dedw3n.mail.Outbox;
import com.dedw3n.order.OrderLifecycle;
import com.dedw3n.order.OrderStatus;
import com.dedw3n.order.OrderSummary;
import com.dedw3n.platform.db.AfterCommit;
import com.dedw3n.platform.graphql.Money;
import com.dedw3n.user.Users;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.ZoneOffset;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import org.jspecify.annotations.Nullable;
import org.springframework.stereotype.Component;
import reactor.core.publisher.Mono;

/**
 * Turns a payment's new facts into the order's status and the mails they cause, inside the caller's
 * transaction (the one that also records the webhook event or the refund). The order's status is a
 * function of the facts, not of the order events arrived in: succeeded makes it PAID, refunds
 * Stripe reports succeeded make it PARTIALLY_REFUNDED or REFUNDED, a failure before any success
 * makes it PAYMENT_FAILED. A refund that fails after it succeeded lowers the payment's refunded
 * amount but does not move the order back; so for such a refund alone, the end depends on whether
 * its success was heard before its failure (it always is, unless Stripe's events about it arrive
 * out of order).
 */
@Component
class PaymentProgress {

  private static final Log log = LogFactory.getLog(PaymentProgress.class);

  /** The outcome of an event whose amount or currency contradicts the payment: not applied. */
  static final String MISMATCH = "amount or currency mismatch";

  private final Payments payments;
  private final OrderLifecycle orders;
  private final Outbox outbox;
  private final Users users;
  private final MeterRegistry meters;

  PaymentProgress(
      Payments payments, OrderLifecycle orders, Outbox outbox, Users users, MeterRegistry meters) {
    this.payments = payments;
    this.orders = orders;
    this.outbox = outbox;
    this.users = users;
    this.meters = meters;
  }

  /**
   * Stores {@code after} and moves the order (locked by the caller) accordingly; answers what
   * happened, for the event log.
   */
  Mono<String> settle(OrderSummary order, PaymentRow before, PaymentRow after) {
    Mono<String> effect;
    if (after.succeeded()) {
      effect = paid(order, before, after);
    } else if (after.lastFailure() != null
        && !after.lastFailure().equals(before.lastFailure())
        && order.status() == OrderStatus.PENDING_PAYMENT) {
      effect = orders.moveTo(order.id(), OrderStatus.PAYMENT_FAILED).thenReturn("payment failed");
    } else {
      effect = Mono.just("recorded");
    }
    return payments.update(after).then(effect);
  }

  private Mono<String> paid(OrderSummary order, PaymentRow before, PaymentRow after) {
    OrderStatus status = order.status();
    if (status == OrderStatus.CANCELLED) {
      // cannot happen while expiry cancels the PaymentIntent first; if it does, a person must act
      return AfterCommit.run(
              () -> {
                meters.counter("dedw3n.payment.paid_after_cancel").increment();
                log.error(
                    "Order "
                        + order.id()
                        + " was paid after it was cancelled: refund it by hand in Stripe");
              })
          .thenReturn("paid after cancel");
    }
    Mono<OrderStatus> current = Mono.just(status);
    boolean newlyPaid = status.isUnpaid();
    if (newlyPaid) {
      current =
          orders
              .moveTo(order.id(), OrderStatus.PAID)
              .thenReturn(OrderStatus.PAID)
              .flatMap(
                  s ->
                      mail(
                              order,
                              "order-paid:" + order.id(),
                              "Your order " + order.id() + " is paid",
                              "We received your payment of "
                                  + money(after.amountReceived(), after.currency())
                                  + " for order "
                                  + order.id()
                                  + ". The seller will ship it soon.")
                          .thenReturn(s));
    }
    long refunded = after.amountRefunded();
    return current.flatMap(
        now -> {
          if (refunded <= 0) {
            return Mono.just(newlyPaid ? "paid" : "recorded");
          }
          OrderStatus target =
              refunded >= after.amountReceived()
                  ? OrderStatus.REFUNDED
                  : OrderStatus.PARTIALLY_REFUNDED;
          // refunds only move an order forward: one that fails after it succeeded leaves the
          // order where it is (REFUNDED is final); the payment's refunded amount says what is left
          if (now == target || !now.mayBecome(target)) {
            return Mono.just(newlyPaid ? "paid" : "recorded");
          }
          return orders.moveTo(order.id(), target).thenReturn(target.name());
        });
  }

  /**
   * As {@link #refund(OrderSummary, PaymentRow, RefundReport)}, taking the order's lock and then
   * its payment's, in the caller's transaction (the order every change of a payment locks in);
   * empty when the order has no payment.
   */
  Mono<String> refund(long orderId, RefundReport report) {
    return orders
        .lock(orderId)
        .flatMap(
            order -> payments.lock(orderId).flatMap(payment -> refund(order, payment, report)));
  }

  /**
   * Applies what Stripe said of a refund of the order (locked by the caller, as is {@code before},
   * its payment): the refund's row takes the further of its stored and reported status ({@link
   * RefundReport#stage}), a refund the API did not make gets a row of its own, and the payment's
   * refunded amount becomes the sum of the order's succeeded refunds, which moves the order. The
   * buyer is mailed when a refund succeeds; the seller when theirs fails, and the buyer too when it
   * had succeeded. Answers what happened, for the event log.
   */
  Mono<String> refund(OrderSummary order, PaymentRow before, RefundReport report) {
    if (report.currency() == null
        || !report.currency().equalsIgnoreCase(before.currency())
        || report.amount() <= 0) {
      return mismatch(before, report);
    }
    return payments
        .refundOf(order.id(), report.stripeId(), report.ourId())
        .map(row -> new Known(row, null))
        .switchIfEmpty(
            Mono.defer(
                () ->
                    report.ourId() != null
                        ? Mono.just(new Known(null, null))
                        : payments
                            .beforeV35(
                                order.id(),
                                report.amount(),
                                report.created() == null
                                    ? null
                                    : report.created().atOffset(ZoneOffset.UTC))
                            .map(lump -> new Known(null, lump))
                            .defaultIfEmpty(new Known(null, null))))
        .zipWith(payments.succeededRefunds(order.id()))
        .flatMap(
            known -> {
              Payments.RefundRow row = known.getT1().row();
              Payments.RefundRow lump = known.getT1().beforeV35();
              if (row != null && row.amount() != report.amount()) {
                return mismatch(before, report);
              }
              // a refund from before V35 was counted as succeeded in that migration's lump sum
              String from = row != null ? row.status() : lump != null ? "succeeded" : null;
              String to =
                  from != null && RefundReport.stage(from) >= RefundReport.stage(report.status())
                      ? from
                      : report.status();
              if (row != null
                  && to.equals(from)
                  && report.stripeId().equals(row.stripeRefundId())) {
                return Mono.just("refund " + to + " already");
              }
              long refunded =
                  known.getT2() + counted(to, report.amount()) - counted(from, report.amount());
              if (refunded > before.amount()) {
                return mismatch(before, report);
              }
              Mono<Payments.RefundRow> write =
                  row == null
                      ? (lump == null
                              ? Mono.<Void>empty()
                              : payments.takeOffBeforeV35(lump, report.amount()))
                          .then(
                              payments.insertOutsideRefund(
                                  order.id(),
                                  report.stripeId(),
                                  report.amount(),
                                  to,
                                  report.failureReason()))
                      : payments
                          .refundStatus(row.id(), report.stripeId(), to, report.failureReason())
                          .thenReturn(row);
              PaymentRow after = StripeWebhook.withRefunded(before, refunded);
              // a cancelled order that was paid anyway is for a person to refund by hand (paid()
              // logged it once): its refunds are recorded, and do not report it again
              Mono<String> settled =
                  order.status() == OrderStatus.CANCELLED
                      ? payments.update(after).thenReturn("recorded")
                      : settle(order, before, after);
              return write.flatMap(
                  written ->
                      settled.flatMap(
                          moved ->
                              told(order, written, from, to, refunded, report, before)
                                  .thenReturn(
                                      moved.equals("recorded")
                                          ? "refund " + to
                                          : "refund " + to + ", order " + moved)));
            });
  }

  /** The refund's own row, or else the lump sum of V35 it was counted in; both null: a new one. */
  private record Known(Payments.@Nullable RefundRow row, Payments.@Nullable RefundRow beforeV35) {}

  private static long counted(@Nullable String status, long amount) {
    return "succeeded".equals(status) ? amount : 0;
  }

  /** The mails a refund's new status causes, each once (keyed by the refund). */
  private Mono<Void> told(
      OrderSummary order,
      Payments.RefundRow refund,
      @Nullable String from,
      String to,
      long refunded,
      RefundReport report,
      PaymentRow payment) {
    String amount = money(refund.amount(), payment.currency());
    if (to.equals("succeeded") && !"succeeded".equals(from)) {
      return mail(
          order,
          "refund-succeeded:" + order.id() + ":" + refund.id(),
          "A refund for your order " + order.id(),
          amount
              + " of your payment for order "
              + order.id()
              + " was refunded ("
              + money(refunded, payment.currency())
              + " in all).");
    }
    if (!RefundReport.over(to) || RefundReport.over(from == null ? "pending" : from)) {
      return Mono.empty();
    }
    String why = report.failureReason() == null ? "" : " (" + report.failureReason() + ")";
    Mono<Void> seller =
        sellerTold(refund, "Stripe reports that your refund of " + amount, to + why)
            .then(
                AfterCommit.run(() -> meters.counter("dedw3n.payment.refund_failed").increment()));
    if (!"succeeded".equals(from)) {
      return seller;
    }
    // rare: a card refund that succeeded and then failed (a closed card); the buyer was told
    Mono<Void> reversed =
        AfterCommit.run(
            () -> {
              meters.counter("dedw3n.payment.refund_reversed").increment();
              log.error(
                  "Refund "
                      + refund.id()
                      + " ("
                      + report.stripeId()
                      + ") of order "
                      + order.id()
                      + " failed after it succeeded"
                      + why
                      + ": the buyer was told it was refunded");
            });
    return seller
        .then(reversed)
        .then(
            mail(
                order,
                "refund-reversed:" + refund.id(),
                "A refund for your order " + order.id() + " did not reach you",
                "The refund of "
                    + amount
                    + " for order "
                    + order.id()
                    + " could not be paid back to your payment method"
                    + why
                    + ". The seller has been told."));
  }

  /**
   * A refund of ours that Stripe never created (its create failed, and nobody retried it within
   * Stripe's idempotency window): it ends failed, its amount freed, and its seller is told. Only a
   * refund Stripe never reported on is ended so.
   */
  Mono<Void> neverCreated(Payments.RefundRow refund, String currency) {
    return orders
        .lock(refund.orderId())
        // under the order's lock, as every change of a refund: no webhook commits over it
        .then(payments.refundRefused(refund.id(), "never created at Stripe"))
        // not when Stripe reported on it meanwhile
        .filter(ended -> ended)
        .flatMap(
            ended ->
                sellerTold(
                    refund,
                    "Your refund of " + money(refund.amount(), currency),
                    "never reached Stripe (it could not be reached when you made it)"));
  }

  /** The refund's seller (none for the Dashboard's) learns that it failed; once per refund. */
  private Mono<Void> sellerTold(Payments.RefundRow refund, String what, String how) {
    if (refund.sellerId() == null) {
      return Mono.empty();
    }
    return users
        .findById(refund.sellerId())
        .flatMap(
            user ->
                outbox.enqueue(
                    "refund-failed:" + refund.id(),
                    user.email(),
                    "Your refund for order " + refund.orderId() + " did not go through",
                    what
                        + " for order "
                        + refund.orderId()
                        + " "
                        + how
                        + ". The buyer did not get it back; you can refund it again."));
  }

  private Mono<String> mismatch(PaymentRow payment, RefundReport report) {
    log.error(
        "Stripe reports refund "
            + report.stripeId()
            + " of "
            + report.amount()
            + " "
            + report.currency()
            + " for order "
            + payment.orderId()
            + ", paid "
            + payment.amount()
            + " "
            + payment.currency()
            + ": another currency, another amount than the refund's own, or more than is left to"
            + " refund; not applied");
    return Mono.just(MISMATCH);
  }

  private Mono<Void> mail(OrderSummary order, String key, String subject, String body) {
    return users
        .findById(order.buyerId())
        .flatMap(buyer -> outbox.enqueue(key, buyer.email(), subject, body));
  }

  static String money(long minor, String currency) {
    Money money = new Money(minor, currency);
    int digits = java.util.Currency.getInstance(currency).getDefaultFractionDigits();
    return java.math.BigDecimal.valueOf(money.amount(), Math.max(digits, 0)).toPlainString()
        + " "
        + currency;
  }
}
