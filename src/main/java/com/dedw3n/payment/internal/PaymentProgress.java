package com.dedw3n.payment.internal;

import com.dedw3n.mail.Outbox;
import com.dedw3n.order.OrderLifecycle;
import com.dedw3n.order.OrderStatus;
import com.dedw3n.order.OrderSummary;
import com.dedw3n.platform.graphql.Money;
import com.dedw3n.user.Users;
import io.micrometer.core.instrument.MeterRegistry;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import org.springframework.stereotype.Component;
import reactor.core.publisher.Mono;

/**
 * Turns a payment's new facts into the order's status and the mails they cause, inside the caller's
 * transaction (the one that also records the webhook event or the refund). The order's status is a
 * function of the facts, not of the order events arrived in: succeeded makes it PAID, refunds make
 * it PARTIALLY_REFUNDED or REFUNDED, a failure before any success makes it PAYMENT_FAILED.
 */
@Component
class PaymentProgress {

  private static final Log log = LogFactory.getLog(PaymentProgress.class);

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
      meters.counter("dedw3n.payment.paid_after_cancel").increment();
      log.error(
          "Order " + order.id() + " was paid after it was cancelled: refund it by hand in Stripe");
      return Mono.just("paid after cancel");
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
    boolean newlyRefunded = refunded > before.amountRefunded();
    return current.flatMap(
        now -> {
          if (refunded <= 0) {
            return Mono.just(newlyPaid ? "paid" : "recorded");
          }
          OrderStatus target =
              refunded >= after.amountReceived()
                  ? OrderStatus.REFUNDED
                  : OrderStatus.PARTIALLY_REFUNDED;
          Mono<Void> move =
              now == target || !now.mayBecome(target)
                  ? Mono.empty()
                  : orders.moveTo(order.id(), target).then();
          Mono<Void> refundMail =
              newlyRefunded
                  ? mail(
                      order,
                      "order-refunded:" + order.id() + ":" + refunded,
                      "A refund for your order " + order.id(),
                      money(refunded - before.amountRefunded(), after.currency())
                          + " of your payment for order "
                          + order.id()
                          + " was refunded ("
                          + money(refunded, after.currency())
                          + " in all).")
                  : Mono.empty();
          return move.then(refundMail).thenReturn(target == now ? "recorded" : target.name());
        });
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
