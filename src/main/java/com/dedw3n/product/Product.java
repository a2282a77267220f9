package com.dedw3n.product;

import com.dedw3n.platform.graphql.Identified;
import com.dedw3n.platform.graphql.Money;
import com.dedw3n.user.User;
import java.time.OffsetDateTime;
import org.jspecify.annotations.Nullable;

/**
 * A product on the marketplace, with its review count and rating sum kept by the transaction that
 * adds a review (so the summary costs no query).
 *
 * <p>A product read together with its seller (a query that selects the seller: the statement joins
 * the users table) has it here, so its {@code seller} field costs no statement; null when only the
 * id is known, and the field loads the seller by id.
 *
 * @param seller the seller as of this read, or null
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
    OffsetDateTime createdAt,
    @Nullable User seller)
    implements Identified {

  /**
   * Name of the {@code DataLoader<Long, Product>} of products by id (a review's product, an order
   * item's product).
   */
  public static final String LOADER = "products";

  /** A product known without its seller. */
  public Product(
      long id,
      long sellerId,
      String category,
      String title,
      String description,
      Money price,
      int stock,
      int reviewCount,
      long ratingSum,
      OffsetDateTime createdAt) {
    this(
        id,
        sellerId,
        category,
        title,
        description,
        price,
        stock,
        reviewCount,
        ratingSum,
        createdAt,
        null);
  }
}
