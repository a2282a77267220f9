package com.dedw3n.payment.internal;

import com.dedw3n.order.OrderLifecycle;
import com.dedw3n.order.OrderStatus;
import java.time.Clock;
import java.util.Objects;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import org.jspecify.annotations.Nullable;
import org.springframework.beans.factory.DisposableBean;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.stereotype.Component;
import org.springframework.transaction.reactive.TransactionalOperator;
import reactor.core.Disposable;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * Cancels unpaid orders past their expiry, every {@code dedw3n.payment.expiry-sweep}, which gives
 * their stock back. An order with a PaymentIntent is cancelled at Stripe first: a canceled
 * PaymentIntent can never succeed, so no buyer pays for a cancelled order. If Stripe answers that
 * it succeeded meanwhile, the order stays (the webhook marks it paid); if Stripe cannot be reached,
 * the next sweep tries again.
 */
@Component
class UnpaidOrderExpiry implements DisposableBean {

  private static final Log log = LogFactory.getLog(UnpaidOrderExpiry.class);

  private final OrderLifecycle orders;
  private final Payments payments;
  private final StripeGateway stripe;
  private final TransactionalOperator transaction;
  private final Clock clock;
  private final java.time.Duration interval;
  private volatile @Nullable Disposable sweeping;

  UnpaidOrderExpiry(
      OrderLifecycle orders,
      Payments payments,
      StripeGateway stripe,
      TransactionalOperator transaction,
      PaymentSettings settings,
      ObjectProvider<Clock> clock) {
    this.orders = orders;
    this.payments = payments;
    this.stripe = stripe;
    this.transaction = transaction;
    this.clock = clock.getIfUnique(Clock::systemUTC);
    this.interval = settings.expirySweep();
    start();
  }

  /** Cancels what has expired; answers how many orders were cancelled. */
  Mono<Long> sweep() {
    return orders
        .expiredUnpaid(100)
        .concatMap(
            orderId ->
                expire(orderId)
                    .onErrorResume(
                        e -> {
                          log.warn("Order " + orderId + " not expired now: " + e.getMessage());
                          return Mono.just(false);
                        }))
        .filter(cancelled -> cancelled)
        .count();
  }

  private Mono<Boolean> expire(long orderId) {
    return payments
        .ofOrders(java.util.List.of(orderId))
        .next()
        .map(payment -> java.util.Optional.ofNullable(payment.paymentIntentId()))
        .defaultIfEmpty(java.util.Optional.empty())
        .flatMap(
            intent -> {
              Mono<String> cancelled =
                  intent.isEmpty() || !stripe.configured()
                      ? Mono.just("none")
                      : stripe.cancelIntent(intent.get());
              return cancelled.flatMap(
                  status ->
                      "succeeded".equals(status)
                          ? Mono.just(false)
                          : cancelOrder(orderId, intent.orElse(null)));
            });
  }

  /**
   * Cancels the order if it is still unpaid, expired, and no other PaymentIntent than the one
   * cancelled at Stripe was linked meanwhile (then the next sweep cancels that one first).
   */
  private Mono<Boolean> cancelOrder(long orderId, @Nullable String cancelledIntent) {
    return orders
        .lock(orderId)
        .filter(
            order ->
                order.status().isUnpaid()
                    && order.expiresAt() != null
                    && !clock.instant().isBefore(order.expiresAt().toInstant()))
        .flatMap(
            order ->
                payments
                    .lock(orderId)
                    .map(payment -> Objects.equals(payment.paymentIntentId(), cancelledIntent))
                    .defaultIfEmpty(true))
        .flatMap(
            unchanged ->
                unchanged
                    ? orders.moveTo(orderId, OrderStatus.CANCELLED).thenReturn(true)
                    : Mono.just(false))
        .defaultIfEmpty(false)
        .as(transaction::transactional);
  }

  /**
   * Starts the sweeps: the first one sweep interval from now (30 s), by when Flyway has migrated.
   */
  private synchronized void start() {
    if (sweeping == null) {
      sweeping =
          Flux.interval(interval, interval)
              .onBackpressureDrop()
              .concatMap(
                  tick ->
                      sweep()
                          .onErrorResume(
                              e -> {
                                log.warn(
                                    "Unpaid order expiry failed; the next sweep retries: " + e);
                                return Mono.empty();
                              }),
                  1)
              .subscribe();
    }
  }

  @Override
  public void destroy() {
    Disposable running = sweeping;
    if (running != null) {
      running.dispose();
    }
  }
}
