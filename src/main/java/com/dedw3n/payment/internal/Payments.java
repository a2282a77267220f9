package com.dedw3n.payment.internal;

import io.r2dbc.spi.Parameters;
import io.r2dbc.spi.R2dbcType;
import io.r2dbc.spi.Readable;
import java.math.BigDecimal;
import java.time.OffsetDateTime;
import java.util.Collection;
import org.jspecify.annotations.Nullable;
import org.springframework.r2dbc.core.DatabaseClient;
import org.springframework.stereotype.Repository;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/** The payments, refunds and stripe_events tables. */
@Repository
class Payments {

  private static final String COLUMNS =
      "order_id, attempt, payment_intent_id, amount, currency, stripe_status, amount_received,"
          + " amount_refunded, succeeded, paid_at, last_failure, quote_id, quote_symbol,"
          + " quote_price, quote_crypto_amount";

  private final DatabaseClient db;

  Payments(DatabaseClient db) {
    this.db = db;
  }

  /** The order's payment, row-locked for the caller's transaction, or empty. */
  Mono<PaymentRow> lock(long orderId) {
    return db.sql("SELECT " + COLUMNS + " FROM payments WHERE order_id = $1 FOR UPDATE")
        .bind(0, orderId)
        .map(Payments::row)
        .one();
  }

  Flux<PaymentRow> ofOrders(Collection<Long> orderIds) {
    return db.sql("SELECT " + COLUMNS + " FROM payments WHERE order_id = ANY($1)")
        .bind(0, orderIds.toArray(Long[]::new))
        .map(Payments::row)
        .all();
  }

  /** The order whose current PaymentIntent this is, or empty. */
  Mono<Long> orderOfIntent(String paymentIntentId) {
    return db.sql("SELECT order_id FROM payments WHERE payment_intent_id = $1")
        .bind(0, paymentIntentId)
        .map(row -> row.get(0, Long.class))
        .one();
  }

  /**
   * Starts the order's payment at its amount (the order's total); nothing when it exists. Answers
   * whether this call started it.
   */
  Mono<Boolean> start(
      long orderId,
      long amount,
      String currency,
      @Nullable Long quoteId,
      @Nullable String quoteSymbol,
      @Nullable BigDecimal quotePrice,
      @Nullable BigDecimal cryptoAmount) {
    return db.sql(
            "INSERT INTO payments (order_id, amount, currency, quote_id, quote_symbol, quote_price,"
                + " quote_crypto_amount) VALUES ($1, $2, $3, $4, $5, $6, $7)"
                + " ON CONFLICT (order_id) DO NOTHING")
        .bind(0, orderId)
        .bind(1, amount)
        .bind(2, currency)
        .bind(3, Parameters.in(R2dbcType.BIGINT, quoteId))
        .bind(4, Parameters.in(R2dbcType.VARCHAR, quoteSymbol))
        .bind(5, Parameters.in(R2dbcType.NUMERIC, quotePrice))
        .bind(6, Parameters.in(R2dbcType.NUMERIC, cryptoAmount))
        .fetch()
        .rowsUpdated()
        .map(inserted -> inserted > 0);
  }

  /**
   * Stripe refused to create the PaymentIntent of an attempt started with a quote: the payment lets
   * go of the quote, so that the buyer can pay another way, and the next attempt has a key of its
   * own. Nothing when the attempt has moved on or has its PaymentIntent; the caller holds the
   * order's lock.
   */
  Mono<Void> releaseQuote(long orderId, int attempt) {
    return db.sql(
            "UPDATE payments SET attempt = attempt + 1, quote_id = NULL, quote_symbol = NULL,"
                + " quote_price = NULL, quote_crypto_amount = NULL, updated_at = now()"
                + " WHERE order_id = $1 AND attempt = $2 AND payment_intent_id IS NULL")
        .bind(0, orderId)
        .bind(1, attempt)
        .then();
  }

  /** A canceled attempt makes way for the next one, with a PaymentIntent of its own. */
  Mono<Void> nextAttempt(long orderId) {
    return db.sql(
            "UPDATE payments SET attempt = attempt + 1, payment_intent_id = NULL,"
                + " stripe_status = 'requires_payment_method', updated_at = now()"
                + " WHERE order_id = $1")
        .bind(0, orderId)
        .then();
  }

  /**
   * Links the attempt's PaymentIntent; a webhook event may have linked it already (same id), and a
   * newer attempt's is never replaced.
   */
  Mono<Void> linkIntent(long orderId, int attempt, String paymentIntentId) {
    return db.sql(
            "UPDATE payments SET payment_intent_id = $3, updated_at = now()"
                + " WHERE order_id = $1 AND attempt = $2 AND payment_intent_id IS NULL")
        .bind(0, orderId)
        .bind(1, attempt)
        .bind(2, paymentIntentId)
        .then();
  }

  /**
   * Records that Stripe answered this PaymentIntent processing (a bank debit under way), over the
   * status read before Stripe was asked ({@code read}) only: an event applied meanwhile (a failed
   * debit) is newer than the answer, and stays.
   */
  Mono<Void> processing(long orderId, String paymentIntentId, @Nullable String read) {
    return db.sql(
            "UPDATE payments SET stripe_status = 'processing', updated_at = now()"
                + " WHERE order_id = $1 AND payment_intent_id = $2 AND NOT succeeded"
                + " AND stripe_status IS NOT DISTINCT FROM $3"
                + " AND stripe_status IS DISTINCT FROM 'processing'")
        .bind(0, orderId)
        .bind(1, paymentIntentId)
        .bind(2, Parameters.in(R2dbcType.VARCHAR, read))
        .then();
  }

  /** Records the facts after an event; the caller holds the row lock and computed them. */
  Mono<Void> update(PaymentRow p) {
    return db.sql(
            "UPDATE payments SET stripe_status = $2, amount_received = $3, amount_refunded = $4,"
                + " succeeded = $5, paid_at = $6, last_failure = $7, updated_at = now()"
                + " WHERE order_id = $1")
        .bind(0, p.orderId())
        .bind(1, p.stripeStatus())
        .bind(2, p.amountReceived())
        .bind(3, p.amountRefunded())
        .bind(4, p.succeeded())
        .bind(5, Parameters.in(R2dbcType.TIMESTAMP_WITH_TIME_ZONE, p.paidAt()))
        .bind(6, Parameters.in(R2dbcType.VARCHAR, p.lastFailure()))
        .then();
  }

  /**
   * Records a webhook event's id; false when it was recorded before (a duplicate delivery). A
   * concurrent delivery of the same id waits on the primary key until this transaction ends, then
   * finds it: exactly one of them applies the event.
   */
  Mono<Boolean> recordEvent(String eventId, String type) {
    return db.sql(
            "INSERT INTO stripe_events (id, type, outcome) VALUES ($1, $2, 'received')"
                + " ON CONFLICT (id) DO NOTHING RETURNING id")
        .bind(0, eventId)
        .bind(1, type)
        .map(row -> true)
        .one()
        .defaultIfEmpty(false);
  }

  Mono<Void> eventOutcome(String eventId, @Nullable Long orderId, String outcome) {
    return db.sql("UPDATE stripe_events SET order_id = $2, outcome = $3 WHERE id = $1")
        .bind(0, eventId)
        .bind(1, Parameters.in(R2dbcType.BIGINT, orderId))
        .bind(2, outcome)
        .then();
  }

  private static final String REFUND_COLUMNS =
      "id, order_id, seller_id, amount, status, stripe_refund_id, created_at";

  /** A refund a seller asked for with this key, or empty. */
  Mono<RefundRow> refund(long orderId, long sellerId, String idempotencyKey) {
    return db.sql(
            "SELECT "
                + REFUND_COLUMNS
                + " FROM refunds WHERE order_id = $1 AND seller_id = $2 AND idempotency_key = $3")
        .bind(0, orderId)
        .bind(1, sellerId)
        .bind(2, idempotencyKey)
        .map(Payments::refundRow)
        .one();
  }

  /**
   * The order's refund Stripe knows by this id, or else the one of ours its metadata names (a
   * refund whose creation Stripe answered late or never), or empty: a refund made outside the API.
   */
  Mono<RefundRow> refundOf(long orderId, String stripeRefundId, @Nullable Long ourId) {
    return db.sql(
            "SELECT "
                + REFUND_COLUMNS
                + " FROM refunds WHERE order_id = $1 AND (stripe_refund_id = $2"
                + " OR (id = $3 AND stripe_refund_id IS NULL)) ORDER BY stripe_refund_id NULLS LAST"
                + " LIMIT 1")
        .bind(0, orderId)
        .bind(1, stripeRefundId)
        .bind(2, Parameters.in(R2dbcType.BIGINT, ourId))
        .map(Payments::refundRow)
        .one();
  }

  /**
   * Refunds of the order that are not over without effect (pending, requiring action or succeeded):
   * reserved against the payment.
   */
  Mono<Long> reserved(long orderId, @Nullable Long sellerId) {
    return db.sql(
            "SELECT coalesce(sum(amount), 0) FROM refunds WHERE order_id = $1"
                + " AND status IN ('pending', 'requires_action', 'succeeded')"
                + " AND ($2::bigint IS NULL OR seller_id = $2)")
        .bind(0, orderId)
        .bind(1, Parameters.in(R2dbcType.BIGINT, sellerId))
        .map(row -> row.get(0, Number.class).longValue())
        .one();
  }

  Mono<RefundRow> insertRefund(long orderId, long sellerId, String idempotencyKey, long amount) {
    return db.sql(
            "INSERT INTO refunds (order_id, seller_id, idempotency_key, amount)"
                + " VALUES ($1, $2, $3, $4) RETURNING "
                + REFUND_COLUMNS)
        .bind(0, orderId)
        .bind(1, sellerId)
        .bind(2, idempotencyKey)
        .bind(3, amount)
        .map(Payments::refundRow)
        .one();
  }

  /**
   * The order's row V35 made of refunds from before it whose Stripe ids were not known (Dashboard
   * refunds the old code counted from charge.refunded), if it holds at least {@code amount} and was
   * made after {@code refundCreated}: that refund is one of them. Empty otherwise, and when {@code
   * refundCreated} is not known.
   */
  Mono<RefundRow> beforeV35(long orderId, long amount, @Nullable OffsetDateTime refundCreated) {
    return db.sql(
            "SELECT "
                + REFUND_COLUMNS
                // V35's row has no seller; a seller may have sent that key too
                + " FROM refunds WHERE order_id = $1 AND seller_id IS NULL"
                + " AND idempotency_key = 'outside-the-api-before-v35' AND amount >= $2"
                + " AND created_at > $3")
        .bind(0, orderId)
        .bind(1, amount)
        .bind(2, Parameters.in(R2dbcType.TIMESTAMP_WITH_TIME_ZONE, refundCreated))
        .map(Payments::refundRow)
        .one();
  }

  /** Takes {@code amount} off that row: one of its refunds now has a row of its own. */
  Mono<Void> takeOffBeforeV35(RefundRow row, long amount) {
    return (amount >= row.amount()
            ? db.sql("DELETE FROM refunds WHERE id = $1").bind(0, row.id())
            : db.sql("UPDATE refunds SET amount = amount - $2, updated_at = now() WHERE id = $1")
                .bind(0, row.id())
                .bind(1, amount))
        .then();
  }

  /** A refund Stripe reports that the API did not make (the Dashboard's): no seller. */
  Mono<RefundRow> insertOutsideRefund(
      long orderId, String stripeRefundId, long amount, String status, @Nullable String reason) {
    return db.sql(
            "INSERT INTO refunds (order_id, idempotency_key, amount, stripe_refund_id, status,"
                + " failure_reason) VALUES ($1, 'stripe:' || $2, $3, $2, $4, $5) RETURNING "
                + REFUND_COLUMNS)
        .bind(0, orderId)
        .bind(1, stripeRefundId)
        .bind(2, amount)
        .bind(3, status)
        .bind(4, Parameters.in(R2dbcType.VARCHAR, reason))
        .map(Payments::refundRow)
        .one();
  }

  /** What Stripe said of the refund: its id (when known), its status, why it failed. */
  Mono<Void> refundStatus(
      long refundId, @Nullable String stripeRefundId, String status, @Nullable String reason) {
    return db.sql(
            "UPDATE refunds SET stripe_refund_id = coalesce($2, stripe_refund_id), status = $3,"
                + " failure_reason = coalesce($4, failure_reason), updated_at = now()"
                + " WHERE id = $1")
        .bind(0, refundId)
        .bind(1, Parameters.in(R2dbcType.VARCHAR, stripeRefundId))
        .bind(2, status)
        .bind(3, Parameters.in(R2dbcType.VARCHAR, reason))
        .then();
  }

  /**
   * Stripe refused to create the refund (a 4xx): nothing was refunded. Only a refund Stripe never
   * reported on is marked so.
   */
  Mono<Boolean> refundRefused(long refundId, String reason) {
    return db.sql(
            "UPDATE refunds SET status = 'failed', failure_reason = $2, updated_at = now()"
                + " WHERE id = $1 AND stripe_refund_id IS NULL"
                + " AND status IN ('pending', 'requires_action')")
        .bind(0, refundId)
        .bind(1, reason)
        .fetch()
        .rowsUpdated()
        .map(updated -> updated > 0);
  }

  /**
   * Orders with a refund in flight (pending, or requiring action) that nothing changed or checked
   * since {@code since}, the longest waiting first.
   */
  Flux<Long> ordersWithRefundsInFlight(OffsetDateTime since, int limit) {
    return db.sql(
            "SELECT order_id FROM refunds WHERE status IN ('pending', 'requires_action')"
                + " AND updated_at < $1 GROUP BY order_id ORDER BY min(updated_at) LIMIT $2")
        .bind(0, since)
        .bind(1, limit)
        .map(row -> row.get(0, Long.class))
        .all();
  }

  /** The order's refunds still in flight were checked now: the next check asks after the rest. */
  Mono<Void> refundsChecked(long orderId, OffsetDateTime since) {
    return db.sql(
            "UPDATE refunds SET updated_at = now() WHERE order_id = $1"
                + " AND status IN ('pending', 'requires_action') AND updated_at < $2")
        .bind(0, orderId)
        .bind(1, since)
        .then();
  }

  /**
   * The order's refunds that Stripe never reported on, made before {@code before}, still in flight:
   * past Stripe's idempotency window, Stripe never created them.
   */
  Flux<RefundRow> unseenAtStripe(long orderId, OffsetDateTime before) {
    return db.sql(
            "SELECT "
                + REFUND_COLUMNS
                + " FROM refunds WHERE order_id = $1 AND stripe_refund_id IS NULL"
                + " AND status IN ('pending', 'requires_action') AND created_at < $2")
        .bind(0, orderId)
        .bind(1, before)
        .map(Payments::refundRow)
        .all();
  }

  /** The refund as stored now. */
  Mono<RefundRow> refundById(long refundId) {
    return db.sql("SELECT " + REFUND_COLUMNS + " FROM refunds WHERE id = $1")
        .bind(0, refundId)
        .map(Payments::refundRow)
        .one();
  }

  /** The sum of the order's refunds Stripe reported succeeded: what the buyer got back. */
  Mono<Long> succeededRefunds(long orderId) {
    return db.sql(
            "SELECT coalesce(sum(amount), 0) FROM refunds WHERE order_id = $1"
                + " AND status = 'succeeded'")
        .bind(0, orderId)
        .map(row -> row.get(0, Number.class).longValue())
        .one();
  }

  /** A refund as stored; the seller is null for a refund made outside the API. */
  record RefundRow(
      long id,
      long orderId,
      @Nullable Long sellerId,
      long amount,
      String status,
      @Nullable String stripeRefundId,
      OffsetDateTime createdAt) {}

  private static RefundRow refundRow(Readable row) {
    return new RefundRow(
        row.get("id", Long.class),
        row.get("order_id", Long.class),
        row.get("seller_id", Long.class),
        row.get("amount", Long.class),
        row.get("status", String.class),
        row.get("stripe_refund_id", String.class),
        row.get("created_at", OffsetDateTime.class));
  }

  private static PaymentRow row(Readable row) {
    return new PaymentRow(
        row.get("order_id", Long.class),
        row.get("attempt", Integer.class),
        row.get("payment_intent_id", String.class),
        row.get("amount", Long.class),
        row.get("currency", String.class),
        row.get("stripe_status", String.class),
        row.get("amount_received", Long.class),
        row.get("amount_refunded", Long.class),
        row.get("succeeded", Boolean.class),
        row.get("paid_at", OffsetDateTime.class),
        row.get("last_failure", String.class),
        row.get("quote_id", Long.class),
        row.get("quote_symbol", String.class),
        row.get("quote_price", BigDecimal.class),
        row.get("quote_crypto_amount", BigDecimal.class));
  }
}
