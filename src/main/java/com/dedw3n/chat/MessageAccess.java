package com.dedw3n.chat;

import java.util.Collection;
import org.springframework.r2dbc.core.DatabaseClient;
import org.springframework.stereotype.Component;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * Who may see and who sent a message, for features that keep things of their own per message (the
 * media feature's attachments, readable by the conversation's participants only).
 */
@Component
public class MessageAccess {

  private final DatabaseClient db;

  MessageAccess(DatabaseClient db) {
    this.db = db;
  }

  /**
   * The sender's user id, when {@code userId} takes part in the message's conversation; empty when
   * there is no such message or it is in someone else's conversation, which cannot be told apart
   * (as a conversation of others cannot be told from none).
   */
  public Mono<Long> senderOf(long messageId, long userId) {
    return db.sql(
            "SELECT m.sender_id FROM messages m JOIN conversation_participants p"
                + " ON p.conversation_id = m.conversation_id AND p.user_id = $2 WHERE m.id = $1")
        .bind(0, messageId)
        .bind(1, userId)
        .map(row -> row.get(0, Long.class))
        .one();
  }

  /**
   * Those of {@code messageIds} whose conversation {@code userId} takes part in; one statement for
   * any number of messages.
   */
  public Flux<Long> readableBy(Collection<Long> messageIds, long userId) {
    return db.sql(
            "SELECT m.id FROM messages m JOIN conversation_participants p ON p.conversation_id ="
                + " m.conversation_id AND p.user_id = $2 WHERE m.id = ANY($1)")
        .bind(0, messageIds.toArray(Long[]::new))
        .bind(1, userId)
        .map(row -> row.get(0, Long.class))
        .all();
  }
}
