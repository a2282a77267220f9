package com.dedw3n.chat.internal;

import com.dedw3n.user.User;
import com.fasterxml.jackson.annotation.JsonInclude;
import java.time.Instant;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * What one instance tells the others (through Redis) or itself (in process) about a conversation: a
 * committed message, carrying its sender and conversation, with each participant's inbox number for
 * it, or someone typing, carrying who ({@code typist}: a typing event's subscribers read no user;
 * null in an event of an instance of the release before, which did not carry it, and left out of
 * the JSON when null, so a message's event is what that release reads).
 */
record ChatEvent(
    Kind kind,
    long conversationId,
    @Nullable Message message,
    @Nullable Map<Long, Long> inboxSeqs,
    long userId,
    long head,
    @Nullable Instant until,
    @JsonInclude(JsonInclude.Include.NON_NULL) @Nullable User typist) {

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
        null,
        null);
  }

  static ChatEvent typing(long conversationId, User typist, Instant until) {
    return new ChatEvent(Kind.TYPING, conversationId, null, null, typist.id(), 0, until, typist);
  }
}
