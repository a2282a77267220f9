package com.dedw3n.chat.internal;

import com.dedw3n.user.User;
import java.time.OffsetDateTime;
import org.jspecify.annotations.Nullable;

/**
 * Someone is typing in a conversation until {@code until}, unless they say so again; {@code user}
 * is who, when the event carried them.
 */
record TypingIndicator(
    long conversationId, long userId, OffsetDateTime until, @Nullable User user) {}
