package com.dedw3n.chat.internal;

import com.dedw3n.platform.graphql.Identified;
import java.time.OffsetDateTime;

/**
 * A chat message. {@code seq} numbers the messages of a conversation 1, 2, 3, ... without gaps, in
 * commit order, so a client that knows the last seq it saw knows exactly what it missed.
 */
record Message(
    long id, long conversationId, long seq, long senderId, String body, OffsetDateTime createdAt)
    implements Identified {}
