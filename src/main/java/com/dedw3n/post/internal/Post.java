package com.dedw3n.post.internal;

import com.dedw3n.platform.graphql.Identified;
import java.time.OffsetDateTime;

/** A post on the social timeline, with its like and comment counts kept by their transactions. */
record Post(
    long id, long authorId, String body, int likeCount, int commentCount, OffsetDateTime createdAt)
    implements Identified {}
