package com.dedw3n.order;

import com.dedw3n.platform.SerialSink;
import com.dedw3n.platform.db.AfterCommit;
import com.dedw3n.platform.graphql.ApiException;
import com.dedw3n.platform.graphql.Money;
import com.dedw3n.product.Stock;
import io.r2dbc.spi.Readable;
import java.time.Clock;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import org.jspecify.annotations.Nullable;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.r2dbc.core.DatabaseClient;
import org.springframework.stereotype.Component;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * The order feature's state machine, for the features that move orders (payments): read an order,
 * move it to another status under its row lock, find unpaid orders past their expiry. Every status
 * change goes through {@link #moveTo}, which checks {@link OrderStatus#mayBecome} and, on the way
 * to CANCELLED, gives the order's stock back; the change is announced ({@link #changes}) after its
 * transaction commits, never before.
 */
@Component
public class OrderLifecycle {

  private static final String SUMMARY =
      "SELECT o.id, o.buyer_id, o.status, o.total_amount, o.currency, o.expires_at,"
          + " ARRAY(SELECT DISTINCT i.seller_id FROM order_items i WHERE i.order_id = o.id)"
          + " AS seller_ids FROM orders o WHERE o.id = $1";

  private final DatabaseClient db;
  private final Stock stock;
  private final Clock clock;
  // one instance's subscribers; other instances' changes reach them by the subscription's re-read
  private final SerialSink<OrderStatusChanged> changes = SerialSink.multicast();

  OrderLifecycle(DatabaseClient db, Stock stock, ObjectProvider<Clock> clock) {
    this.db = db;
    this.stock = stock;
    this.clock = clock.getIfUnique(Clock::systemUTC);
  }

  /** The order, or empty when there is none. */
  public Mono<OrderSummary> find(long orderId) {
    return db.sql(SUMMARY).bind(0, orderId).map(OrderLifecycle::summary).one();
  }

  /**
   * The order, row-locked for the rest of the caller's transaction (concurrent moves of one order
   * queue behind each other), or empty when there is none.
   */
  public Mono<OrderSummary> lock(long orderId) {
    return db.sql(SUMMARY + " FOR UPDATE OF o").bind(0, orderId).map(OrderLifecycle::summary).one();
  }

  /**
   * Moves the order to {@code to} in the caller's transaction and answers the status it had. Moving
   * to the status it already has changes nothing. A step {@link OrderStatus} does not allow is
   * CONFLICT; an unknown order NOT_FOUND. On the way to CANCELLED the order's stock is given back:
   * the transition happens once, so the stock comes back once.
   */
  public Mono<OrderStatus> moveTo(long orderId, OrderStatus to) {
    return lock(orderId)
        .switchIfEmpty(Mono.error(() -> ApiException.notFound("Order", orderId)))
        .flatMap(
            order -> {
              OrderStatus from = order.status();
              if (from == to) {
                return Mono.just(from);
              }
              if (!from.mayBecome(to)) {
                return Mono.error(
                    ApiException.conflict(
                        "Order " + orderId + " is " + from + "; it cannot become " + to + "."));
              }
              Mono<Void> sideEffect =
                  to == OrderStatus.CANCELLED ? giveStockBack(orderId) : Mono.empty();
              return sideEffect
                  .then(
                      db.sql("UPDATE orders SET status = $2, status_changed_at = $3 WHERE id = $1")
                          .bind(0, orderId)
                          .bind(1, to.name())
                          .bind(2, clock.instant().atOffset(ZoneOffset.UTC))
                          .then())
                  .then(
                      AfterCommit.run(
                          () ->
                              announce(new OrderStatusChanged(orderId, order.buyerId(), from, to))))
                  .thenReturn(from);
            });
  }

  /** An unpaid order past its expiry; a sweep's next page starts after the last one it read. */
  public record Due(long id, OffsetDateTime expiresAt) {}

  /**
   * Unpaid orders whose expiry had passed at {@code now}, in (expiry, id) order, after {@code
   * after} (null: from the first), at most {@code limit}. The cursor is the order's place in that
   * order, not its status: a sweep pages past orders it could not cancel, and each order is read
   * once per sweep whatever happened to the ones before it. The partial index on {@code expires_at}
   * of unpaid orders serves it: PostgreSQL bounds its scan by the row comparison's first column and
   * sorts each expiry's few ids (an index with the id too would have cost a migration that blocks
   * writes to orders while it builds).
   */
  public Flux<Due> expiredUnpaid(OffsetDateTime now, @Nullable Due after, int limit) {
    String unpaid =
        "SELECT id, expires_at FROM orders WHERE status IN ('PENDING_PAYMENT', 'PAYMENT_FAILED')"
            + " AND expires_at IS NOT NULL AND expires_at <= $1";
    var spec =
        after == null
            ? db.sql(unpaid + " ORDER BY expires_at, id LIMIT $2")
            : db.sql(unpaid + " AND (expires_at, id) > ($3, $4) ORDER BY expires_at, id LIMIT $2")
                .bind(2, after.expiresAt())
                .bind(3, after.id());
    return spec.bind(0, now)
        .bind(1, limit)
        .map(row -> new Due(row.get(0, Long.class), row.get(1, OffsetDateTime.class)))
        .all();
  }

  /** The total of one seller's items in the order (what that seller may refund at most). */
  public Mono<Long> sellerTotal(long orderId, long sellerId) {
    return db.sql(
            "SELECT coalesce(sum(quantity * unit_amount), 0) FROM order_items"
                + " WHERE order_id = $1 AND seller_id = $2")
        .bind(0, orderId)
        .bind(1, sellerId)
        .map(row -> row.get(0, Number.class).longValue())
        .one();
  }

  /** Every status change committed on this instance, as it happens. */
  public Flux<OrderStatusChanged> changes() {
    return changes.asFlux();
  }

  private Mono<Void> giveStockBack(long orderId) {
    return db.sql("SELECT product_id, quantity FROM order_items WHERE order_id = $1")
        .bind(0, orderId)
        .map(row -> new long[] {row.get(0, Long.class), row.get(1, Integer.class)})
        .all()
        .collectList()
        .flatMap(
            items ->
                items.isEmpty()
                    ? Mono.empty()
                    : stock.giveBack(
                        items.stream().map(i -> i[0]).toList(),
                        items.stream().map(i -> (int) i[1]).toList()));
  }

  private void announce(OrderStatusChanged change) {
    // commits on several threads at once: none waits for another's subscribers
    changes.emit(change);
  }

  private static OrderSummary summary(Readable row) {
    Long[] sellers = row.get("seller_ids", Long[].class);
    return new OrderSummary(
        row.get("id", Long.class),
        row.get("buyer_id", Long.class),
        new LinkedHashSet<>(sellers == null ? List.of() : Arrays.asList(sellers)),
        OrderStatus.valueOf(row.get("status", String.class)),
        new Money(row.get("total_amount", Long.class), row.get("currency", String.class)),
        row.get("expires_at", OffsetDateTime.class));
  }
}
