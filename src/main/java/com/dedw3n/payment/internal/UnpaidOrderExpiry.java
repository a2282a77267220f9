package com.dedw3n.payment.internal;

import com.dedw3n.order.OrderLifecycle;
import com.dedw3n.order.OrderStatus;
import java.time.Clock;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicInteger;
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
 * it succeeded meanwhile, the order is marked paid as its webhook event would mark it (the event
 * may never come); if Stripe cannot be reached, or this instance has no Stripe key, the next sweep
 * (or an instance with the key) tries again.
 */
@Component
class UnpaidOrderExpiry implements DisposableBean {

  private static final Log log = LogFactory.getLog(UnpaidOrderExpiry.class);
  private static final int PAGE = 200;
  private static final int CONCURRENCY = 4;

  private final OrderLifecycle orders;
  private final Payments payments;
  private final PaymentProgress progress;
  private final StripeGateway stripe;
  private final TransactionalOperator transaction;
  private final Clock clock;
  private final java.time.Duration interval;
  private volatile @Nullable Disposable sweeping;

  UnpaidOrderExpiry(
      OrderLifecycle orders,
      Payments payments,
      PaymentProgress progress,
      StripeGateway stripe,
      TransactionalOperator transaction,
      PaymentSettings settings,
      ObjectProvider<Clock> clock) {
    this.orders = orders;
    this.payments = payments;
    this.progress = progress;
    this.stripe = stripe;
    this.transaction = transaction;
    this.clock = clock.getIfUnique(Clock::systemUTC);
    this.interval = settings.expirySweep();
    start();
  }

  /**
   * Cancels every order that had expired when the sweep started; answers how many were cancelled.
   * It pages through them oldest first: an order that cannot be cancelled now (Stripe unreachable,
   * or paid at Stripe with its webhook still to come, or a bank debit still processing) is left for
   * the next sweep and does not hold up the ones behind it. A flood of unpaid orders is cancelled
   * within a sweep or two, where a sweep of the 100 oldest fell behind at 200 a minute.
   */
  Mono<Long> sweep() {
    OffsetDateTime now = clock.instant().atOffset(ZoneOffset.UTC);
    // the orders this sweep left for an instance with a Stripe key: one warning a sweep says so
    AtomicInteger waitingForStripe = new AtomicInteger();
    return page(now, null)
        .expand(due -> due.size() < PAGE ? Mono.empty() : page(now, due.get(due.size() - 1)))
        .concatMap(due -> expire(due, waitingForStripe))
        .filter(cancelled -> cancelled)
        .count()
        .doFinally(
            signal -> {
              int waiting = waitingForStripe.get();
              if (waiting > 0) {
                log.warn(
                    waiting
                        + " expired orders not cancelled by this instance: their PaymentIntents"
                        + " must be cancelled at Stripe first, and STRIPE_SECRET_KEY is not set"
                        + " here");
              }
            });
  }

  private Mono<List<OrderLifecycle.Due>> page(
      OffsetDateTime now, OrderLifecycle.@Nullable Due after) {
    return orders.expiredUnpaid(now, after, PAGE).collectList();
  }

  /**
   * Expires a page of orders: their PaymentIntents read in one statement (each order's transaction
   * checks again, under its lock, that no other was linked meanwhile), then a few orders at once:
   * Stripe's answer takes a round trip to Stripe, and each order's own transaction holds one pooled
   * connection, so requests keep the rest of the pool.
   */
  private Flux<Boolean> expire(List<OrderLifecycle.Due> page, AtomicInteger waitingForStripe) {
    List<Long> orderIds = page.stream().map(OrderLifecycle.Due::id).toList();
    return payments
        .ofOrders(orderIds)
        .filter(payment -> payment.paymentIntentId() != null)
        .collectMap(PaymentRow::orderId, payment -> payment)
        .flatMapMany(
            intents ->
                Flux.fromIterable(page)
                    .flatMap(
                        due -> {
                          PaymentRow payment = intents.get(due.id());
                          // a bank debit under way (ACH, SEPA: days): its webhook settles the
                          // order, and asking Stripe every sweep on every instance would spend
                          // the account's rate limit; asked once an hour all the same (in the
                          // first minute of each hour since the expiry), as the stored status is
                          // the last event's, and events may come out of order
                          if (payment != null
                              && "processing".equals(payment.stripeStatus())
                              && Duration.between(due.expiresAt().toInstant(), clock.instant())
                                          .toMinutes()
                                      % 60
                                  != 0) {
                            return Mono.just(false);
                          }
                          return expire(
                              due.id(),
                              payment == null ? null : payment.paymentIntentId(),
                              payment == null ? null : payment.stripeStatus(),
                              waitingForStripe);
                        },
                        CONCURRENCY));
  }

  /** Expires one order; false when it is left for now (a failure also logs a warning). */
  private Mono<Boolean> expire(
      long orderId,
      @Nullable String intent,
      @Nullable String storedStatus,
      AtomicInteger waitingForStripe) {
    if (intent != null && !stripe.configured()) {
      // Its PaymentIntent can still be paid until it is cancelled at Stripe, which this instance
      // cannot do: cancelled here, the order could be paid after its stock went back. An instance
      // with STRIPE_SECRET_KEY cancels it.
      waitingForStripe.incrementAndGet();
      return Mono.just(false);
    }
    if (intent == null) {
      return cancelOrder(orderId, null);
    }
    return stripe
        .cancelIntent(intent)
        .flatMap(
            atStripe ->
                switch (atStripe.status()) {
                  case "succeeded" -> paid(orderId, atStripe);
                  // stored, so that the next sweeps ask once an hour: its processing event may
                  // never come (an endpoint not subscribed to it), and a debit takes days
                  case "processing" ->
                      payments.processing(orderId, intent, storedStatus).thenReturn(false);
                  default -> cancelOrder(orderId, intent);
                })
        .onErrorResume(
            e -> {
              log.warn("Order " + orderId + " not expired now: " + e.getMessage());
              return Mono.just(false);
            });
  }

  /**
   * The order's PaymentIntent succeeded, and the order is still unpaid: its webhook event has not
   * come (it may come late, or never: an endpoint not subscribed to it, a secret rotated wrongly,
   * Stripe gives up after three days). Applied as that event would be, under the order's lock and
   * with its amount checked, so the order is paid, not left unpaid with its buyer charged and asked
   * about at every sweep. Answers false: nothing was cancelled.
   */
  private Mono<Boolean> paid(long orderId, StripeGateway.Intent atStripe) {
    return orders
        .lock(orderId)
        .flatMap(
            order ->
                payments
                    .lock(orderId)
                    .filter(before -> atStripe.id().equals(before.paymentIntentId()))
                    .flatMap(
                        before -> {
                          PaymentRow after =
                              before.paidWith(
                                  atStripe.received(),
                                  atStripe.currency(),
                                  clock.instant().atOffset(ZoneOffset.UTC));
                          if (after == null) {
                            log.error(
                                "Order "
                                    + orderId
                                    + ": its PaymentIntent "
                                    + atStripe.id()
                                    + " succeeded with "
                                    + atStripe.received()
                                    + " "
                                    + atStripe.currency()
                                    + ", not the order's "
                                    + before.amount()
                                    + " "
                                    + before.currency()
                                    + "; not applied");
                            return Mono.empty();
                          }
                          return progress.settle(order, before, after);
                        }))
        .as(transaction::transactional)
        .doOnNext(
            outcome ->
                log.warn(
                    "Order "
                        + orderId
                        + " was paid at Stripe without its webhook event; the expiry sweep applied"
                        + " it ("
                        + outcome
                        + "): check the webhook endpoint"))
        .thenReturn(false);
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
