package com.dedw3n.chat.internal;

import com.dedw3n.platform.graphql.Identified;
import com.dedw3n.user.User;
import java.time.OffsetDateTime;
import org.jspecify.annotations.Nullable;

/**
 * A chat message. {@code seq} numbers the messages of a conversation 1, 2, 3, ... without gaps, in
 * commit order, so a client that knows the last seq it saw knows exactly what it missed.
 *
 * <p>A message that was read together with its sender and conversation (its send, which the chat
 * event carries to every subscriber, and the reads that resume subscriptions and fill their gaps)
 * has them here, so that its {@code sender} and {@code conversation} fields cost no statement per
 * subscriber; null when only their ids are known, and the fields load them by id.
 *
 * @param sender the sender as of this message, or null
 * @param conversation the conversation as of this message (or later), or null
 */
record Message(
    long id,
    long conversationId,
    long seq,
    long senderId,
    String body,
    OffsetDateTime createdAt,
    @Nullable User sender,
    @Nullable Conversation conversation)
    implements Identified {

  /** A message known without its sender and conversation. */
  Message(
      long id,
      long conversationId,
      long seq,
      long senderId,
      String body,
      OffsetDateTime createdAt) {
    this(id, conversationId, seq, senderId, body, createdAt, null, null);
  }

  /** This message carrying its sender. */
  Message withSender(User sender) {
    return new Message(id, conversationId, seq, senderId, body, createdAt, sender, conversation);
  }
}
