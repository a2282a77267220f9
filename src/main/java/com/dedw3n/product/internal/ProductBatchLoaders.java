package com.dedw3n.product.internal;

import com.dedw3n.platform.graphql.LoadedConnection;
import com.dedw3n.platform.graphql.LoadedField;
import com.dedw3n.platform.graphql.NestedPages;
import com.dedw3n.platform.graphql.Page;
import com.dedw3n.product.Product;
import com.dedw3n.user.User;
import graphql.schema.idl.RuntimeWiring;
import org.springframework.data.domain.ScrollPosition;
import org.springframework.data.domain.Window;
import org.springframework.graphql.data.pagination.CursorStrategy;
import org.springframework.graphql.execution.BatchLoaderRegistry;
import org.springframework.graphql.execution.RuntimeWiringConfigurer;
import org.springframework.stereotype.Component;

/**
 * DataLoaders of this feature: products by id (for order items, reviews and other features), and a
 * page of reviews per product, so a feed of 50 products costs one reviews statement, not 50.
 *
 * <p>It also wires the fields that are one load by a key of their parent (a product's seller, a
 * review's author and product) as {@link LoadedField}s, and a product's reviews as a {@link
 * LoadedConnection}: spring-graphql's per-call cost of a controller method was a measured share of
 * the feed's CPU. A seller or author is the one the product or review carries when the statement
 * that read it joined the users (because the query selects them), else loaded.
 */
@Component
class ProductBatchLoaders implements RuntimeWiringConfigurer {

  /** Name of the reviews DataLoader. */
  static final String PRODUCT_REVIEWS = "productReviews";

  /** A product's reviews: the pages its DataLoader reads, and the field. */
  final NestedPages<Review> reviews;

  final LoadedConnection<Product> reviewsField;

  ProductBatchLoaders(
      BatchLoaderRegistry registry, Products products, CursorStrategy<ScrollPosition> cursors) {
    registry
        .<Long, Product>forName(Product.LOADER)
        .registerMappedBatchLoader((ids, env) -> products.findAllById(ids).collectMap(Product::id));
    reviews =
        new NestedPages<Review>(
            products::newestReviews,
            products::reviewsAfter,
            Review::productId,
            review -> Page.key(review.createdAt(), review.id()));
    reviewsField =
        LoadedConnection.<Product>forward(PRODUCT_REVIEWS, Product::id, 10, cursors, "t", "id")
            .joining("author");
    registry
        .<NestedPages.Key, Window<Review>>forName(PRODUCT_REVIEWS)
        .registerMappedBatchLoader((keys, env) -> reviews.load(keys));
  }

  @Override
  public void configure(RuntimeWiring.Builder wiring) {
    wiring.type(
        "Product",
        type ->
            type.dataFetcher(
                    "seller",
                    LoadedField.carriedOr(Product::seller, User.LOADER, Product::sellerId))
                .dataFetcher("reviews", reviewsField));
    wiring.type(
        "Review",
        type ->
            type.dataFetcher(
                    "author", LoadedField.carriedOr(Review::author, User.LOADER, Review::authorId))
                .dataFetcher("product", LoadedField.of(Product.LOADER, Review::productId)));
  }
}
