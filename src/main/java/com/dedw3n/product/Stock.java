package com.dedw3n.product;

import com.dedw3n.platform.graphql.Money;
import java.util.List;
import org.springframework.r2dbc.core.DatabaseClient;
import org.springframework.stereotype.Repository;
import reactor.core.publisher.Flux;

/**
 * The product feature's stock, for the order feature: lock the products an order names, then take
 * their stock. Both statements join the caller's transaction (R2DBC transactions follow the Reactor
 * context), so an order that cannot be completed gives every unit back.
 */
@Repository
public class Stock {

  private final DatabaseClient db;

  Stock(DatabaseClient db) {
    this.db = db;
  }

  /**
   * Products of the list that exist, with their seller and currency, row-locked in id order for the
   * rest of the caller's transaction. Taking the locks in one fixed order is what keeps two orders
   * that name the same products in opposite order from deadlocking: the stock update alone would
   * lock in whatever order its plan visits the rows (array order with an index nested loop).
   */
  public Flux<Locked> lock(List<Long> productIds) {
    return db.sql(
            "SELECT id, seller_id, price_currency FROM products WHERE id = ANY($1)"
                + " ORDER BY id FOR NO KEY UPDATE")
        .bind(0, productIds.toArray(Long[]::new))
        .map(
            row ->
                new Locked(
                    row.get("id", Long.class),
                    row.get("seller_id", Long.class),
                    row.get("price_currency", String.class)))
        .all();
  }

  /** A locked product: who sells it, in which currency (stock is taken by {@link #take}). */
  public record Locked(long productId, long sellerId, String currency) {}

  /**
   * Takes the stock of every requested product in one statement: a product's row is updated only if
   * its stock covers the quantity, under the row lock (READ COMMITTED re-checks the condition on
   * the newest row version), so of two orders racing for the last unit exactly one gets a row back.
   * Returns the rows taken with their price and seller; fewer rows than products means refusal.
   */
  public Flux<Taken> take(List<Long> productIds, List<Integer> quantities) {
    return db.sql(
            "UPDATE products p SET stock = p.stock - r.quantity"
                + " FROM unnest($1::bigint[], $2::int[]) AS r(product_id, quantity)"
                + " WHERE p.id = r.product_id AND p.stock >= r.quantity"
                + " RETURNING p.id, p.seller_id, p.price_amount, p.price_currency, r.quantity")
        .bind(0, productIds.toArray(Long[]::new))
        .bind(1, quantities.toArray(Integer[]::new))
        .map(
            row ->
                new Taken(
                    row.get("id", Long.class),
                    row.get("seller_id", Long.class),
                    new Money(
                        row.get("price_amount", Long.class),
                        row.get("price_currency", String.class)),
                    row.get("quantity", Integer.class)))
        .all();
  }

  /**
   * Gives stock back (an unpaid order that expired or was cancelled), in the caller's transaction.
   * The caller makes sure it gives back once: the order feature does it in the transition to
   * CANCELLED, which happens once per order.
   */
  public reactor.core.publisher.Mono<Void> giveBack(
      List<Long> productIds, List<Integer> quantities) {
    return db.sql(
            "UPDATE products p SET stock = p.stock + r.quantity"
                + " FROM unnest($1::bigint[], $2::int[]) AS r(product_id, quantity)"
                + " WHERE p.id = r.product_id")
        .bind(0, productIds.toArray(Long[]::new))
        .bind(1, quantities.toArray(Integer[]::new))
        .then();
  }

  /** Stock taken from one product, at its price. */
  public record Taken(long productId, long sellerId, Money price, int quantity) {}
}
