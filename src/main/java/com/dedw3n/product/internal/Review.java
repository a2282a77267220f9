package com.dedw3n.product.internal;

import java.time.OffsetDateTime;

/** A buyer's rating (1..5) and text about one product. */
public record Review(
    long id, long productId, long authorId, int rating, String body, OffsetDateTime createdAt) {}
