package com.dedw3n.product;

import com.dedw3n.platform.graphql.Money;
import io.r2dbc.spi.Readable;
import java.time.OffsetDateTime;
import java.util.List;
import org.jspecify.annotations.Nullable;
import org.springframework.r2dbc.core.DatabaseClient;
import org.springframework.stereotype.Repository;

/**
 * The product feature's stock, for the order feature. An order is placed in one statement (the
 * check, the stock and the order's rows in one round trip, and one transaction), so this class
 * gives the order feature the parts of that statement that read and change products, as common
 * table expressions to compose with its own ({@link #LOCKED}, {@link #take}), and gives stock back.
 * The table's {@code stock >= 0} constraint guards every writer.
 */
@Repository
public class Stock {

  /**
   * {@code stock_locked(id, seller_id, price_amount, price_currency, stock)}: the products whose
   * ids are the statement's first parameter (a {@code bigint[]}), row-locked in id order for the
   * rest of the transaction, as they are once locked (a concurrent order's change included). Taking
   * the locks in one fixed order is what keeps two orders that name the same products in opposite
   * order from deadlocking: an update alone would lock in whatever order its plan visits the rows.
   * Materialized, so that the locks are taken before anything is decided on the rows.
   *
   * <p>The array is read through a scalar subquery, {@code (SELECT $1::bigint[])}, here and in the
   * statements that compose with this one ({@link #arrayParameter}): the planner then estimates it
   * the same (ten elements) whatever its value. Given the array itself, as it is when PostgreSQL
   * plans a prepared statement for its parameters, it counted the elements (three in an order of
   * three), so the plan for the parameters always looked cheaper than the plan kept for any
   * parameters (which must assume ten), and PostgreSQL planned the statement again on every
   * execution: half a millisecond of its CPU an order, half of what an order cost it. The plans are
   * the same; now the kept one is used from the sixth execution on a connection.
   */
  public static final String LOCKED =
      "stock_locked AS MATERIALIZED ("
          + "SELECT id, seller_id, price_amount, price_currency, stock FROM products"
          + " WHERE id = ANY("
          + arrayParameter("$1::bigint[]")
          + "::bigint[]) ORDER BY id FOR NO KEY UPDATE)";

  /**
   * An array parameter, such as {@code $1::bigint[]}, as a statement reads it when the array's
   * length varies from one execution to the next: in a scalar subquery (see {@link #LOCKED}).
   */
  public static String arrayParameter(String parameter) {
    return "(SELECT " + parameter + ")";
  }

  private final DatabaseClient db;

  Stock(DatabaseClient db) {
    this.db = db;
  }

  /**
   * {@code stock_taken}: takes {@code quantity} from the stock of each {@code product_id} of the
   * relation {@code from} (a name in the same WITH list, with those two columns) and returns the
   * products as they are after, read with {@link #takenProduct(Readable)}. The rows must have been
   * locked through {@link #LOCKED} and checked to hold the quantities: the update then changes the
   * newest version of each, and the constraint refuses the whole statement rather than a negative
   * stock.
   */
  public static String take(String from) {
    return "stock_taken AS (UPDATE products p SET stock = p.stock - t.quantity FROM "
        + from
        + " t WHERE p.id = t.product_id RETURNING p.id AS taken_id, p.seller_id AS"
        + " taken_seller_id, p.category AS taken_category, p.title AS taken_title, p.description"
        + " AS taken_description, p.price_amount AS taken_price_amount, p.price_currency AS"
        + " taken_price_currency, p.stock AS taken_stock, p.review_count AS taken_review_count,"
        + " p.rating_sum AS taken_rating_sum, p.created_at AS taken_created_at)";
  }

  /** The product of a row joined with {@code stock_taken}, or null when none was taken. */
  public static @Nullable Product takenProduct(Readable row) {
    Long id = row.get("taken_id", Long.class);
    if (id == null) {
      return null;
    }
    return new Product(
        id,
        row.get("taken_seller_id", Long.class),
        row.get("taken_category", String.class),
        row.get("taken_title", String.class),
        row.get("taken_description", String.class),
        new Money(
            row.get("taken_price_amount", Long.class),
            row.get("taken_price_currency", String.class)),
        row.get("taken_stock", Integer.class),
        row.get("taken_review_count", Integer.class),
        row.get("taken_rating_sum", Long.class),
        row.get("taken_created_at", OffsetDateTime.class));
  }

  /**
   * Gives stock back (an unpaid order that expired or was cancelled), in the caller's transaction.
   * The caller makes sure it gives back once: the order feature does it in the transition to
   * CANCELLED, which happens once per order.
   */
  public reactor.core.publisher.Mono<Void> giveBack(
      List<Long> productIds, List<Integer> quantities) {
    // locked in id order first, as an order takes them: the update alone locks in the order its
    // plan visits the rows, and a cancellation giving back products 2 and 1 while an order locks
    // 1 then 2 deadlocked (PostgreSQL then aborts one of the two)
    return db.sql(
            "WITH "
                + LOCKED
                + " UPDATE products p SET stock = p.stock + r.quantity"
                + " FROM unnest("
                + arrayParameter("$1::bigint[]")
                + ", "
                + arrayParameter("$2::int[]")
                + ") AS r(product_id, quantity), stock_locked l"
                + " WHERE p.id = r.product_id AND l.id = p.id")
        .bind(0, productIds.toArray(Long[]::new))
        .bind(1, quantities.toArray(Integer[]::new))
        .then();
  }
}
