package com.dedw3n.product.internal;

import com.dedw3n.product.Product;

/** Count and mean rating of a product's reviews; the mean is null while there are none. */
record ReviewSummary(int count, Double average) {

  static ReviewSummary of(Product product) {
    return new ReviewSummary(
        product.reviewCount(),
        product.reviewCount() == 0 ? null : (double) product.ratingSum() / product.reviewCount());
  }
}
