package com.dedw3n.match.internal;

import java.time.OffsetDateTime;

/** Two users who liked each other; stored once per pair with the smaller id first. */
record Match(long id, long userAId, long userBId, String status, OffsetDateTime createdAt) {}
