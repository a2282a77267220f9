package com.dedw3n.match.internal;

import org.jspecify.annotations.Nullable;

/** The result of liking a profile: the match, when the like was mutual. */
record ProfileLike(long likedUserId, @Nullable Match match) {}
