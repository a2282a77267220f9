package com.dedw3n.chat.internal;

import java.time.OffsetDateTime;

/** A private chat between two or more users; {@code lastSeq} is its newest message's number. */
record Conversation(
    long id, OffsetDateTime createdAt, OffsetDateTime lastMessageAt, long lastSeq) {}
