package com.dedw3n.product.internal;

import com.dedw3n.user.User;
import java.time.OffsetDateTime;
import org.jspecify.annotations.Nullable;

/**
 * A buyer's rating (1..5) and text about one product.
 *
 * @param author the author, when the review was read together with it (a query that selects it);
 *     null when only the id is known, and the field loads it by id
 */
public record Review(
    long id,
    long productId,
    long authorId,
    int rating,
    String body,
    OffsetDateTime createdAt,
    @Nullable User author) {}
