package com.dedw3n.product;

import com.dedw3n.platform.graphql.Identified;
import com.dedw3n.platform.graphql.Money;
import java.time.OffsetDateTime;

/**
 * A product on the marketplace, with its review count and rating sum kept by the transaction that
 * adds a review (so the summary costs no query).
 */
public record Product(
    long id,
    long sellerId,
    String category,
    String title,
    String description,
    Money price,
    int stock,
    int reviewCount,
    long ratingSum,
    OffsetDateTime createdAt)
    implements Identified {

  /**
   * Name of the {@code DataLoader<Long, Product>} of products by id (a review's product, an order
   * item's product).
   */
  public static final String LOADER = "products";
}
