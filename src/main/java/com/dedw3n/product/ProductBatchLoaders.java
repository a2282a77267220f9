package com.dedw3n.product;

import com.dedw3n.platform.graphql.NestedPages;
import com.dedw3n.platform.graphql.Page;
import org.springframework.data.domain.Window;
import org.springframework.graphql.execution.BatchLoaderRegistry;
import org.springframework.stereotype.Component;

/**
 * DataLoaders of this feature: products by id (for order items, reviews and other features), and a
 * page of reviews per product, so a feed of 50 products costs one reviews statement, not 50.
 */
@Component
class ProductBatchLoaders {

  /** Name of the reviews DataLoader; controllers take it as a parameter of this name. */
  static final String PRODUCT_REVIEWS = "productReviews";

  ProductBatchLoaders(BatchLoaderRegistry registry, Products products) {
    registry
        .forTypePair(Long.class, Product.class)
        .registerMappedBatchLoader((ids, env) -> products.findAllById(ids).collectMap(Product::id));
    var reviews =
        new NestedPages<Review>(
            products::newestReviews,
            products::reviewsAfter,
            Review::productId,
            review -> Page.key(review.createdAt(), review.id()));
    registry
        .<NestedPages.Key, Window<Review>>forName(PRODUCT_REVIEWS)
        .registerMappedBatchLoader((keys, env) -> reviews.load(keys));
  }
}
