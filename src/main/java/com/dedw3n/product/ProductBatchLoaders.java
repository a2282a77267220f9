package com.dedw3n.product;

import com.dedw3n.platform.graphql.Page;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.springframework.data.domain.Window;
import org.springframework.graphql.execution.BatchLoaderRegistry;
import org.springframework.stereotype.Component;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * DataLoaders of this feature: products by id (for order items, reviews and other features), and a
 * page of reviews per product, so a feed of 50 products costs one reviews statement, not 50.
 */
@Component
class ProductBatchLoaders {

  /** Name of the reviews DataLoader; controllers take it as a parameter of this name. */
  static final String PRODUCT_REVIEWS = "productReviews";

  /** Which page of which product's reviews. */
  record ReviewPageKey(long productId, Page page) {}

  private final Products products;

  ProductBatchLoaders(BatchLoaderRegistry registry, Products products) {
    this.products = products;
    registry
        .forTypePair(Long.class, Product.class)
        .registerMappedBatchLoader((ids, env) -> products.findAllById(ids).collectMap(Product::id));
    registry
        .<ReviewPageKey, Window<Review>>forName(PRODUCT_REVIEWS)
        .registerMappedBatchLoader((keys, env) -> reviewPages(keys));
  }

  private Mono<Map<ReviewPageKey, Window<Review>>> reviewPages(Set<ReviewPageKey> keys) {
    // First pages of one size share one lateral query (the usual case: one query in all);
    // later pages are rare and fetched one by one.
    Map<Integer, List<ReviewPageKey>> firstPagesBySize =
        keys.stream()
            .filter(key -> key.page().isFirst())
            .collect(Collectors.groupingBy(key -> key.page().size()));
    Flux<Map<ReviewPageKey, Window<Review>>> firstPages =
        Flux.fromIterable(firstPagesBySize.values())
            .concatMap(
                group ->
                    products
                        .newestReviews(
                            group.stream().map(ReviewPageKey::productId).toList(),
                            group.get(0).page().fetchSize())
                        .collectMultimap(Review::productId)
                        .map(byProduct -> windows(group, byProduct)));
    Flux<Map<ReviewPageKey, Window<Review>>> laterPages =
        Flux.fromIterable(keys)
            .filter(key -> !key.page().isFirst())
            .concatMap(
                key ->
                    products
                        .reviewsAfter(key.productId(), key.page())
                        .collectList()
                        .map(rows -> Map.of(key, window(key.page(), rows))));
    return Flux.concat(firstPages, laterPages)
        .reduce(
            new HashMap<>(),
            (all, some) -> {
              all.putAll(some);
              return all;
            });
  }

  private static Map<ReviewPageKey, Window<Review>> windows(
      List<ReviewPageKey> group, Map<Long, ? extends java.util.Collection<Review>> byProduct) {
    Map<ReviewPageKey, Window<Review>> result = new HashMap<>();
    for (ReviewPageKey key : group) {
      var rows = byProduct.get(key.productId());
      result.put(key, window(key.page(), rows == null ? List.of() : new ArrayList<>(rows)));
    }
    return result;
  }

  private static Window<Review> window(Page page, List<Review> rows) {
    return page.window(rows, review -> Page.key(review.createdAt(), review.id()));
  }
}
