package com.dedw3n.post.internal;

import com.dedw3n.platform.graphql.Identified;
import com.dedw3n.user.User;
import java.time.OffsetDateTime;
import org.jspecify.annotations.Nullable;

/**
 * A post on the social timeline, with its like and comment counts kept by their transactions.
 *
 * @param author the author, when the post was read together with it (a query that selects it); null
 *     when only the id is known, and the field loads it by id
 */
record Post(
    long id,
    long authorId,
    String body,
    int likeCount,
    int commentCount,
    OffsetDateTime createdAt,
    @Nullable User author)
    implements Identified {}
