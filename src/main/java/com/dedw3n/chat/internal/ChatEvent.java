package com.dedw3n.chat.internal;

import java.time.Instant;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * What one instance tells the others (through Redis) or itself (in process) about a conversation: a
 * committed message, carrying its sender and conversation, with each participant's inbox number for
 * it, or someone typing.
 */
record ChatEvent(
    Kind kind,
    long conversationId,
    @Nullable Message message,
    @Nullable Map<Long, Long> inboxSeqs,
    long userId,
    long head,
    @Nullable Instant until) {

  enum Kind {
    MESSAGE,
    TYPING
  }

  static ChatEvent message(Message message, Map<Long, Long> inboxSeqs) {
    return new ChatEvent(
        Kind.MESSAGE,
        message.conversationId(),
        message,
        inboxSeqs,
        message.senderId(),
        message.seq(),
        null);
  }

  static ChatEvent typing(long conversationId, long userId, Instant until) {
    return new ChatEvent(Kind.TYPING, conversationId, null, null, userId, 0, until);
  }
}
