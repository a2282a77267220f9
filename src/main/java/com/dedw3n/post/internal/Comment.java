package com.dedw3n.post.internal;

import com.dedw3n.user.User;
import java.time.OffsetDateTime;
import org.jspecify.annotations.Nullable;

/**
 * A reply to a post.
 *
 * @param author the author, when the comment was read together with it (a query that selects it);
 *     null when only the id is known, and the field loads it by id
 */
record Comment(
    long id,
    long postId,
    long authorId,
    String body,
    OffsetDateTime createdAt,
    @Nullable User author) {}
