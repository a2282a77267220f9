package com.dedw3n.chat.internal;

import java.time.Instant;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * What one instance tells the others (through Redis) or itself (in process) about a conversation: a
 * committed message with each participant's inbox number for it, someone typing, or (only locally)
 * how far a conversation or inbox has come, so subscribers can fill a gap that a lost notification
 * left.
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
    TYPING,
    CONVERSATION_HEAD,
    INBOX_HEAD
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

  static ChatEvent conversationHead(long conversationId, long lastSeq) {
    return new ChatEvent(Kind.CONVERSATION_HEAD, conversationId, null, null, 0, lastSeq, null);
  }

  static ChatEvent inboxHead(long userId, long lastSeq) {
    return new ChatEvent(Kind.INBOX_HEAD, 0, null, null, userId, lastSeq, null);
  }
}
