package com.dedw3n.payment.internal;

import java.time.Clock;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
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
 * Asks Stripe about refunds still in flight here after {@code dedw3n.payment.refund-check-after} (1
 * h), every {@code refund-check} (10 min). Their settling events may never come: an endpoint not
 * subscribed to the refund events, deliveries Stripe gave up on after three days, the answer to our
 * create lost and never asked for again. Each such order's refunds are listed at Stripe and applied
 * as their events would be ({@link PaymentProgress#refund}, under the order's lock, so a check and
 * a webhook about one refund end the same in either order); this also finds the Dashboard refunds
 * of those orders whose events were missed (not those of orders with nothing in flight here). Every
 * instance checks: a refund checked twice changes once.
 */
@Component
class RefundCheck implements DisposableBean {

  private static final Log log = LogFactory.getLog(RefundCheck.class);
  // orders a check asks Stripe about; the ones checked go to the back of the line
  private static final int ORDERS = 100;

  private final Payments payments;
  private final PaymentProgress progress;
  private final StripeGateway stripe;
  private final TransactionalOperator transaction;
  private final Clock clock;
  private final Duration after;
  private final Duration interval;
  private volatile @Nullable Disposable checking;

  RefundCheck(
      Payments payments,
      PaymentProgress progress,
      StripeGateway stripe,
      TransactionalOperator transaction,
      PaymentSettings settings,
      ObjectProvider<Clock> clock) {
    this.payments = payments;
    this.progress = progress;
    this.stripe = stripe;
    this.transaction = transaction;
    this.clock = clock.getIfUnique(Clock::systemUTC);
    this.after = settings.refundCheckAfter();
    this.interval = settings.refundCheck();
    start();
  }

  /**
   * Checks the orders whose refunds are in flight for longer than allowed; answers how many were
   * checked (an order Stripe could not answer for now is not counted, and waits for the next).
   */
  Mono<Long> check() {
    if (!stripe.configured()) {
      return Mono.just(0L);
    }
    OffsetDateTime since = clock.instant().minus(after).atOffset(ZoneOffset.UTC);
    return payments
        .ordersWithRefundsInFlight(since, ORDERS)
        .collectList()
        .flatMapMany(ids -> ids.isEmpty() ? Flux.empty() : payments.ofOrders(ids))
        .concatMap(
            payment ->
                payment.paymentIntentId() == null
                    ? payments.refundsChecked(payment.orderId(), since).thenReturn(false)
                    : check(payment, since))
        .filter(checked -> checked)
        .count();
  }

  /**
   * Applies the order's refunds at Stripe, then ends those of ours Stripe never made; false when
   * Stripe could not be asked now.
   */
  private Mono<Boolean> check(PaymentRow payment, OffsetDateTime since) {
    long orderId = payment.orderId();
    // past the window (and an hour for a create that was on its way then), the mutation no longer
    // sends the refund to Stripe: one Stripe's listing does not have, Stripe never made
    OffsetDateTime unmade =
        clock
            .instant()
            .minus(StripeGateway.IDEMPOTENCY_WINDOW)
            .minus(Duration.ofHours(1))
            .atOffset(ZoneOffset.UTC);
    Set<Long> listed = ConcurrentHashMap.newKeySet();
    return stripe
        .refundsOf(payment.paymentIntentId())
        .flatMapMany(Flux::fromIterable)
        .map(RefundReport::of)
        // in the order they happened: a refund made again after one that failed is not taken for
        // one too many
        .doOnNext(
            refund -> {
              if (refund.ourId() != null) {
                listed.add(refund.ourId());
              }
            })
        .concatMap(refund -> progress.refund(orderId, refund).as(transaction::transactional))
        .thenMany(
            Flux.defer(
                () ->
                    payments
                        .unseenAtStripe(orderId, unmade)
                        // one Stripe listed but that was not applied (a mismatch) was made
                        .filter(refund -> !listed.contains(refund.id()))
                        .concatMap(
                            refund ->
                                progress
                                    .neverCreated(refund, payment.currency())
                                    .as(transaction::transactional))))
        // still in flight at Stripe: asked about again in a while
        .then(payments.refundsChecked(orderId, since))
        .thenReturn(true)
        .onErrorResume(
            e -> {
              log.warn("Refunds of order " + orderId + " not checked now: " + e.getMessage());
              // to the back of the line all the same: an order Stripe keeps refusing to answer
              // for must not hold up the others
              return payments
                  .refundsChecked(orderId, since)
                  .onErrorResume(again -> Mono.empty())
                  .thenReturn(false);
            });
  }

  private synchronized void start() {
    if (checking == null) {
      checking =
          Flux.interval(interval, interval)
              .onBackpressureDrop()
              .concatMap(
                  tick ->
                      check()
                          .onErrorResume(
                              e -> {
                                log.warn("Refund check failed; the next one retries: " + e);
                                return Mono.empty();
                              }),
                  1)
              .subscribe();
    }
  }

  @Override
  public void destroy() {
    Disposable running = checking;
    if (running != null) {
      running.dispose();
    }
  }
}
