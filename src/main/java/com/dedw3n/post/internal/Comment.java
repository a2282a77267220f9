package com.dedw3n.post.internal;

import java.time.OffsetDateTime;

/** A reply to a post. */
record Comment(long id, long postId, long authorId, String body, OffsetDateTime createdAt) {}
