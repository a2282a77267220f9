package com.dedw3n.order.internal;

import com.dedw3n.order.OrderStatus;
import com.dedw3n.platform.graphql.Money;
import com.dedw3n.platform.graphql.Page;
import com.dedw3n.product.Product;
import com.dedw3n.product.Stock;
import io.r2dbc.spi.Parameters;
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
   * Places an order in one statement, which PostgreSQL runs as one transaction: it locks the
   * products in id order (so orders naming the same products in any order queue instead of
   * deadlocking), decides on the locked rows (newest versions) whether the order can be placed, and
   * only then inserts the order, takes the stock and inserts the items. A refused order changes
   * nothing; {@code products.stock >= 0} is also a constraint, so no interleaving can drive stock
   * negative. With an idempotency key that the buyer already used, nothing is inserted and nothing
   * taken ({@code ON CONFLICT DO NOTHING} waits for a concurrent attempt with the key to end).
   *
   * <p>Returns one line per product asked for (in the order asked): what the decision saw, and,
   * when the order was placed, the order and the product as it is after the stock was taken.
   */
  private static final String PLACE =
      "WITH wanted AS ("
          // the arrays read as Stock.LOCKED reads them, so that a plan is kept for the statement
          + "SELECT * FROM unnest("
          + Stock.arrayParameter("$1::bigint[]")
          + ", "
          + Stock.arrayParameter("$2::int[]")
          + ") WITH ORDINALITY"
          + " AS w(product_id, quantity, n)), "
          + Stock.LOCKED
          + ", lines AS MATERIALIZED ("
          + "SELECT w.n, w.product_id, w.quantity, l.seller_id, l.price_amount, l.price_currency,"
          + " l.stock FROM wanted w LEFT JOIN stock_locked l ON l.id = w.product_id),"
          + " verdict AS ("
          + "SELECT coalesce(bool_and(seller_id IS NOT NULL AND seller_id <> $3"
          + " AND stock >= quantity), false)"
          + " AND count(DISTINCT price_currency) = 1"
          + " AND sum(price_amount::numeric * quantity) <= 9223372036854775807 AS ok,"
          + " min(price_currency) AS currency, sum(price_amount::numeric * quantity) AS total"
          + " FROM lines),"
          + " placed AS ("
          + "INSERT INTO orders (buyer_id, total_amount, currency, idempotency_key, expires_at)"
          + " SELECT $3, total, currency, $4, $5 FROM verdict WHERE ok"
          + " ON CONFLICT (buyer_id, idempotency_key) WHERE idempotency_key IS NOT NULL DO NOTHING"
          + " RETURNING id, buyer_id, status, created_at, expires_at, currency, total_amount),"
          // rows only when the order was inserted: no order, no stock taken
          + " to_take AS (SELECT l.product_id, l.quantity FROM lines l CROSS JOIN placed), "
          + Stock.take("to_take")
          + ", items AS ("
          + "INSERT INTO order_items (order_id, product_id, seller_id, quantity, unit_amount,"
          + " currency) SELECT o.id, l.product_id, l.seller_id, l.quantity, l.price_amount,"
          + " l.price_currency FROM lines l CROSS JOIN placed o)"
          + " SELECT l.product_id, l.quantity, l.seller_id, l.price_amount, l.price_currency,"
          + " l.stock AS stock_before, o.id AS order_id, o.status, o.created_at, o.expires_at,"
          + " o.currency, o.total_amount, t.*"
          + " FROM lines l LEFT JOIN placed o ON true"
          + " LEFT JOIN stock_taken t ON t.taken_id = l.product_id"
          + " ORDER BY l.n";

  /**
   * Places the buyer's order for these products and quantities (distinct products), in one
   * statement (see {@link #PLACE}): either all of it, or nothing and the reason in the {@link
   * Placement}.
   */
  Mono<Placement> place(
      long buyerId,
      List<Long> productIds,
      List<Integer> quantities,
      @Nullable String idempotencyKey,
      OffsetDateTime expiresAt) {
    return db.sql(PLACE)
        .bind(0, productIds.toArray(Long[]::new))
        .bind(1, quantities.toArray(Integer[]::new))
        .bind(2, buyerId)
        .bind(3, Parameters.in(R2dbcType.VARCHAR, idempotencyKey))
        .bind(4, expiresAt)
        .map(row -> line(row, buyerId))
        .all()
        .collectList()
        .map(lines -> new Placement(buyerId, lines));
  }

  /** What the placement statement saw of one product asked for, and what it did. */
  record Line(
      long productId,
      int quantity,
      @Nullable Long sellerId,
      @Nullable Money price,
      int stockBefore,
      @Nullable Order order,
      @Nullable Product product) {}

  /**
   * The outcome of {@link #place}: the order placed, with its items and its products as they are
   * after the stock was taken; or no order, and the lines that say why.
   */
  record Placement(long buyerId, List<Line> lines) {

    /** The order placed; null when it was refused (or the idempotency key was already used). */
    @Nullable Order order() {
      Order order = lines.isEmpty() ? null : lines.get(0).order();
      if (order == null) {
        return null;
      }
      List<OrderItem> items =
          lines.stream()
              .map(
                  line ->
                      new OrderItem(
                          order.id(),
                          line.productId(),
                          line.sellerId(),
                          line.quantity(),
                          line.price()))
              .sorted(java.util.Comparator.comparingLong(OrderItem::productId))
              .toList();
      return order.withItems(items);
    }

    /** The products ordered, as they are now: stock taken. Empty when nothing was placed. */
    List<Product> products() {
      return lines.stream().map(Line::product).filter(java.util.Objects::nonNull).toList();
    }
  }

  private static Line line(Readable row, long buyerId) {
    Long orderId = row.get("order_id", Long.class);
    Long sellerId = row.get("seller_id", Long.class);
    Long amount = row.get("price_amount", Long.class);
    Money price =
        amount == null ? null : new Money(amount, row.get("price_currency", String.class));
    Integer stockBefore = row.get("stock_before", Integer.class);
    Order order = null;
    Product product = null;
    if (orderId != null) {
      order =
          new Order(
              orderId,
              buyerId,
              row.get("status", String.class),
              new Money(row.get("total_amount", Long.class), row.get("currency", String.class)),
              row.get("created_at", OffsetDateTime.class),
              row.get("expires_at", OffsetDateTime.class),
              buyerId,
              null);
      product = Stock.takenProduct(row);
    }
    return new Line(
        row.get("product_id", Long.class),
        row.get("quantity", Integer.class),
        sellerId,
        price,
        stockBefore == null ? 0 : stockBefore,
        order,
        product);
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

  private static Order order(Readable row, long viewerId) {
    Number total = row.get("total", Number.class);
    String status = row.get("status", String.class);
    OrderStatus known = OrderStatus.valueOf(status);
    return new Order(
        row.get("id", Long.class),
        row.get("buyer_id", Long.class),
        status,
        new Money(total == null ? 0 : total.longValue(), row.get("currency", String.class)),
        row.get("created_at", OffsetDateTime.class),
        // null once paid, as the schema says: a paid order is never cancelled for want of payment,
        // and an app must not tell its buyer otherwise (the row keeps the time the sweep reads)
        known.isUnpaid() || known == OrderStatus.CANCELLED
            ? row.get("expires_at", OffsetDateTime.class)
            : null,
        viewerId,
        null);
  }
}
