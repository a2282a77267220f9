package com.dedw3n.chat.internal;

import java.time.OffsetDateTime;

/** Someone is typing in a conversation until {@code until}, unless they say so again. */
record TypingIndicator(long conversationId, long userId, OffsetDateTime until) {}
