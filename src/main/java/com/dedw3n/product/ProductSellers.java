package com.dedw3n.product;

import org.springframework.r2dbc.core.DatabaseClient;
import org.springframework.stereotype.Component;
import reactor.core.publisher.Mono;

/**
 * Who sells a product, for features that let only the seller change something hanging off it (the
 * media feature attaches a product's images for its seller alone).
 */
@Component
public class ProductSellers {

  private final DatabaseClient db;

  ProductSellers(DatabaseClient db) {
    this.db = db;
  }

  /** The seller's user id; empty when there is no such product. */
  public Mono<Long> sellerOf(long productId) {
    return db.sql("SELECT seller_id FROM products WHERE id = $1")
        .bind(0, productId)
        .map(row -> row.get(0, Long.class))
        .one();
  }
}
