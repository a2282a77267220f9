package com.dedw3n.product.internal;

import com.dedw3n.platform.graphql.Money;
import org.jspecify.annotations.Nullable;

/** The fields an {@code updateProduct} sets; null means unchanged. */
record ProductChanges(
    @Nullable String title,
    @Nullable String description,
    @Nullable String category,
    @Nullable Money price,
    @Nullable Integer stock,
    @Nullable Integer stockChange) {}
