package com.dedw3n.order.internal;

import com.dedw3n.platform.graphql.Money;
import com.dedw3n.platform.graphql.Page;
import com.dedw3n.product.Stock;
import io.r2dbc.spi.Parameters;
import io.r2dbc.spi.R2dbcDataIntegrityViolationException;
import io.r2dbc.spi.R2dbcType;
import io.r2dbc.spi.Readable;
import java.time.OffsetDateTime;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;
import org.springframework.r2dbc.core.DatabaseClient;
import org.springframework.stereotype.Repository;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/** The orders and order_items tables, and the stock they move. */
@Repository
class Orders {

  /**
   * Orders visible to a viewer: the buyer sees each whole; a seller sees the orders holding its
   * items, with the total of those items only. One statement for any number of ids.
   */
  private static final String VISIBLE =
      "SELECT o.id, o.buyer_id, o.status, o.created_at, o.expires_at, o.currency,"
          + " CASE WHEN o.buyer_id = $2 THEN o.total_amount"
          + " ELSE (SELECT sum(i.quantity * i.unit_amount) FROM order_items i"
          + "       WHERE i.order_id = o.id AND i.seller_id = $2) END AS total"
          + " FROM orders o WHERE o.id = ANY($1) AND (o.buyer_id = $2 OR EXISTS"
          + " (SELECT 1 FROM order_items i WHERE i.order_id = o.id AND i.seller_id = $2))";

  private final DatabaseClient db;

  Orders(DatabaseClient db) {
    this.db = db;
  }

  Flux<Order> visible(Collection<Long> ids, long viewerId) {
    return db.sql(VISIBLE)
        .bind(0, ids.toArray(Long[]::new))
        .bind(1, viewerId)
        .map(row -> order(row, viewerId))
        .all();
  }

  /** A buyer's orders, newest first. */
  Flux<Order> ofBuyer(long buyerId, Page page) {
    String sql =
        "SELECT id, buyer_id, status, created_at, expires_at, currency, total_amount AS total"
            + " FROM orders"
            + " WHERE buyer_id = $1"
            + (page.isFirst() ? "" : " AND (created_at, id) < ($3, $4)")
            + " ORDER BY created_at DESC, id DESC LIMIT $2";
    var spec = db.sql(sql).bind(0, buyerId).bind(1, page.fetchSize());
    if (!page.isFirst()) {
      spec = spec.bind(2, page.afterTime("t")).bind(3, page.afterLong("id"));
    }
    return spec.map(row -> order(row, buyerId)).all();
  }

  /** The items of many orders in one statement: each order's items as its viewer may see them. */
  Flux<OrderItem> items(Collection<Long> orderIds, long viewerId) {
    return db.sql(
            "SELECT i.order_id, i.product_id, i.seller_id, i.quantity, i.unit_amount, i.currency"
                + " FROM order_items i JOIN orders o ON o.id = i.order_id"
                + " WHERE i.order_id = ANY($1) AND (o.buyer_id = $2 OR i.seller_id = $2)"
                + " ORDER BY i.order_id, i.product_id")
        .bind(0, orderIds.toArray(Long[]::new))
        .bind(1, viewerId)
        .map(
            row ->
                new OrderItem(
                    row.get("order_id", Long.class),
                    row.get("product_id", Long.class),
                    row.get("seller_id", Long.class),
                    row.get("quantity", Integer.class),
                    new Money(
                        row.get("unit_amount", Long.class), row.get("currency", String.class))))
        .all();
  }

  /**
   * Records the order and its items at the prices taken; {@code total} is their sum. A second order
   * of the buyer with the same idempotency key fails on the unique index (see {@link
   * #isIdempotencyKeyTaken}).
   */
  Mono<Order> insert(
      long buyerId,
      List<Stock.Taken> taken,
      long total,
      String currency,
      @Nullable String idempotencyKey,
      OffsetDateTime expiresAt) {
    return db.sql(
            "INSERT INTO orders (buyer_id, total_amount, currency, idempotency_key, expires_at)"
                + " VALUES ($1, $2, $3, $4, $5)"
                + " RETURNING id, buyer_id, status, created_at, expires_at, currency,"
                + " total_amount AS total")
        .bind(0, buyerId)
        .bind(1, total)
        .bind(2, currency)
        .bind(3, Parameters.in(R2dbcType.VARCHAR, idempotencyKey))
        .bind(4, expiresAt)
        .map(row -> order(row, buyerId))
        .one()
        .flatMap(
            order ->
                db.sql(
                        "INSERT INTO order_items (order_id, product_id, seller_id, quantity,"
                            + " unit_amount, currency) SELECT $1, * , $6 FROM unnest($2::bigint[],"
                            + " $3::bigint[], $4::int[], $5::bigint[])")
                    .bind(0, order.id())
                    .bind(1, taken.stream().map(Stock.Taken::productId).toArray(Long[]::new))
                    .bind(2, taken.stream().map(Stock.Taken::sellerId).toArray(Long[]::new))
                    .bind(3, taken.stream().map(Stock.Taken::quantity).toArray(Integer[]::new))
                    .bind(4, taken.stream().map(t -> t.price().amount()).toArray(Long[]::new))
                    .bind(5, currency)
                    .then()
                    .thenReturn(order));
  }

  /** The buyer's order placed with this idempotency key, or empty. */
  Mono<Order> byIdempotencyKey(long buyerId, String idempotencyKey) {
    return db.sql(
            "SELECT id, buyer_id, status, created_at, expires_at, currency, total_amount AS total"
                + " FROM orders WHERE buyer_id = $1 AND idempotency_key = $2")
        .bind(0, buyerId)
        .bind(1, idempotencyKey)
        .map(row -> order(row, buyerId))
        .one();
  }

  /** The quantity of each product in the order. */
  Mono<Map<Long, Integer>> quantities(long orderId) {
    return db.sql("SELECT product_id, quantity FROM order_items WHERE order_id = $1")
        .bind(0, orderId)
        .map(row -> Map.entry(row.get(0, Long.class), row.get(1, Integer.class)))
        .all()
        .collectMap(Map.Entry::getKey, Map.Entry::getValue);
  }

  /** Whether the failure is the buyer's idempotency key being taken by a concurrent attempt. */
  static boolean isIdempotencyKeyTaken(Throwable failure) {
    for (Throwable t = failure; t != null; t = t.getCause()) {
      if (t instanceof R2dbcDataIntegrityViolationException violation
          && "23505".equals(violation.getSqlState())
          && String.valueOf(violation.getMessage()).contains("orders_buyer_idempotency_key_idx")) {
        return true;
      }
    }
    return false;
  }

  private static Order order(Readable row, long viewerId) {
    Number total = row.get("total", Number.class);
    return new Order(
        row.get("id", Long.class),
        row.get("buyer_id", Long.class),
        row.get("status", String.class),
        new Money(total == null ? 0 : total.longValue(), row.get("currency", String.class)),
        row.get("created_at", OffsetDateTime.class),
        row.get("expires_at", OffsetDateTime.class),
        viewerId);
  }
}
