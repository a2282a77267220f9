package com.dedw3n.chat.internal;

import com.dedw3n.platform.db.WithChildren;
import com.dedw3n.platform.graphql.Page;
import com.dedw3n.user.User;
import com.dedw3n.user.Users;
import io.r2dbc.spi.Parameters;
import io.r2dbc.spi.R2dbcType;
import io.r2dbc.spi.Readable;
import java.time.OffsetDateTime;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.stream.Collectors;
import org.jspecify.annotations.Nullable;
import org.springframework.r2dbc.core.DatabaseClient;
import org.springframework.stereotype.Repository;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/** The conversations, conversation_participants and messages tables. */
@Repository
class Conversations {

  private static final String CONVERSATION_COLUMNS =
      "c.id, c.created_at, c.last_message_at, c.last_seq";
  private static final String MESSAGE_COLUMNS =
      "id, conversation_id, seq, sender_id, body, created_at";

  /** A message's columns as {@code messages m}, for the statements that may join its sender. */
  private static final String M_COLUMNS =
      "m.id, m.conversation_id, m.seq, m.sender_id, m.body, m.created_at";

  /**
   * The sender read with a message, when the query selects it: one statement for the page and its
   * senders instead of one more (and a round trip) through the users DataLoader. Its columns
   * ({@code user_id}, ...) name none of messages'.
   */
  private static final Users.Join SENDER = Users.join("u", "user_");

  /** The conversation of {@code m}, from {@code conversations c}, as {@link #carried} reads it. */
  private static final String CARRIED_CONVERSATION_COLUMNS =
      " c.created_at AS conversation_created_at, c.last_message_at, c.last_seq";

  private final DatabaseClient db;

  Conversations(DatabaseClient db) {
    this.db = db;
  }

  /** Those of the conversations that the user takes part in; one statement. */
  Flux<Conversation> visible(Collection<Long> ids, long userId) {
    return db.sql(
            "SELECT "
                + CONVERSATION_COLUMNS
                + " FROM conversations c JOIN conversation_participants p"
                + " ON p.conversation_id = c.id AND p.user_id = $2 WHERE c.id = ANY($1)")
        .bind(0, ids.toArray(Long[]::new))
        .bind(1, userId)
        .map(Conversations::conversation)
        .all();
  }

  /** The user, when they take part in the conversation: one statement. */
  Mono<User> participant(long conversationId, long userId) {
    return db.sql(
            "SELECT "
                + SENDER.columns()
                + " FROM conversation_participants p"
                + SENDER.on("p.user_id")
                + " WHERE p.conversation_id = $1 AND p.user_id = $2")
        .bind(0, conversationId)
        .bind(1, userId)
        .map(row -> Objects.requireNonNull(SENDER.user(row), "a participant's user"))
        .one();
  }

  /**
   * The conversation, if the user takes part in it, with its {@code limit} newest messages
   * (carrying their senders when {@code withSenders}), newest first, in one statement: W3's page,
   * for which a statement of its own for the messages was half the work.
   */
  Mono<WithChildren<Conversation, Message>> visibleWithMessages(
      long id, long userId, int limit, boolean withSenders) {
    String sql =
        "SELECT c.id AS conversation_id,"
            + CARRIED_CONVERSATION_COLUMNS
            + ", m.* FROM conversations c JOIN conversation_participants p"
            + " ON p.conversation_id = c.id AND p.user_id = $2"
            + " LEFT JOIN LATERAL (SELECT m.id, m.seq, m.sender_id, m.body, m.created_at"
            + (withSenders ? ", " + SENDER.columns() : "")
            + " FROM messages m"
            + (withSenders ? SENDER.on("m.sender_id") : "")
            + " WHERE m.conversation_id = c.id ORDER BY m.seq DESC LIMIT $3) m ON true"
            + " WHERE c.id = $1 ORDER BY m.seq DESC";
    return WithChildren.read(
            db.sql(sql).bind(0, id).bind(1, userId).bind(2, limit),
            "conversation_id",
            Conversations::carriedConversation,
            "id",
            row -> readMessage(row, withSenders))
        .flatMapIterable(found -> found)
        .next();
  }

  Flux<Conversation> findAllById(Collection<Long> ids) {
    return db.sql("SELECT " + CONVERSATION_COLUMNS + " FROM conversations c WHERE c.id = ANY($1)")
        .bind(0, ids.toArray(Long[]::new))
        .map(Conversations::conversation)
        .all();
  }

  /** A user's conversations, most recent activity first. */
  Flux<Conversation> ofUser(long userId, Page page) {
    var spec =
        db.sql(
                "SELECT "
                    + CONVERSATION_COLUMNS
                    + " FROM conversation_participants p JOIN conversations c"
                    + " ON c.id = p.conversation_id WHERE p.user_id = $1"
                    + (page.isFirst() ? "" : " AND (c.last_message_at, c.id) < ($3, $4)")
                    + " ORDER BY c.last_message_at DESC, c.id DESC LIMIT $2")
            .bind(0, userId)
            .bind(1, page.fetchSize());
    if (!page.isFirst()) {
      spec = spec.bind(2, page.afterTime("t")).bind(3, page.afterLong("id"));
    }
    return spec.map(Conversations::conversation).all();
  }

  /** The participants of many conversations, as (conversation, user) pairs; one statement. */
  Flux<long[]> participants(Collection<Long> conversationIds) {
    return db.sql(
            "SELECT conversation_id, user_id FROM conversation_participants"
                + " WHERE conversation_id = ANY($1) ORDER BY conversation_id, user_id")
        .bind(0, conversationIds.toArray(Long[]::new))
        .map(row -> new long[] {row.get(0, Long.class), row.get(1, Long.class)})
        .all();
  }

  /**
   * The conversation whose participants are exactly these users, if there is one: one probe of the
   * unique key on their sorted ids (V36), however many conversations each of them has. (It read
   * every conversation of the user with the smallest id and the participants of each.)
   */
  Mono<Conversation> withExactly(List<Long> sortedUserIds) {
    return db.sql(
            "SELECT "
                + CONVERSATION_COLUMNS
                + " FROM conversations c WHERE c.participant_ids = $1::bigint[]")
        .bind(0, sortedUserIds.toArray(Long[]::new))
        .map(Conversations::conversation)
        .one();
  }

  /**
   * Creates the conversation of these users; empty when another call created theirs meanwhile
   * (participant_ids is unique: the insert waits for that call's transaction, then does nothing),
   * so that the caller answers that one instead.
   */
  Mono<Conversation> insert(long creatorId, List<Long> sortedUserIds) {
    return db.sql(
            "WITH c AS (INSERT INTO conversations (created_by, participant_ids) VALUES ($1, $2)"
                + " ON CONFLICT (participant_ids) DO NOTHING RETURNING *),"
                + " p AS (INSERT INTO conversation_participants (conversation_id, user_id)"
                + " SELECT c.id, u FROM c, unnest($2::bigint[]) AS u)"
                + " SELECT "
                + CONVERSATION_COLUMNS
                + " FROM c")
        .bind(0, creatorId)
        .bind(1, sortedUserIds.toArray(Long[]::new))
        .map(Conversations::conversation)
        .one();
  }

  /**
   * Stores a message from a participant and files it in every participant's inbox, in one statement
   * (so one round trip and no transaction around it): the message takes the conversation's next
   * sequence number and each inbox its next number, and the conversation is marked read up to it
   * for its sender. The row lock on the conversation orders concurrent senders and the numbers are
   * taken and used in the same statement, so there are no gaps; inbox rows are locked after it, in
   * user id order, so concurrent senders cannot deadlock. Empty when the sender does not take part
   * in the conversation (or it does not exist).
   *
   * <p>A message sent with an idempotency key that the sender already used in the conversation
   * fails as a whole with a {@link org.springframework.dao.DuplicateKeyException} on the unique
   * index of V38 (an attempt still running holds the conversation's row: this one waits for its
   * commit there first), so that nothing of it, not its sequence number either, is taken: the
   * caller then answers {@link #sentWithKey}.
   *
   * @return the committed message, carrying its sender and its conversation as it is after it, with
   *     each participant's inbox number for it
   */
  Mono<ChatEvent> send(
      long conversationId, long senderId, String body, @Nullable String idempotencyKey) {
    return db.sql(
            "WITH s AS (UPDATE conversations SET last_seq = last_seq + 1,"
                // the clock when the row lock is ours, so times never run backwards against seq
                + " last_message_at = clock_timestamp()"
                + " WHERE id = $1 AND EXISTS (SELECT 1 FROM conversation_participants"
                + " WHERE conversation_id = $1 AND user_id = $2)"
                + " RETURNING id, created_at, last_message_at, last_seq),"
                + " m AS (INSERT INTO messages (conversation_id, seq, sender_id, body, created_at,"
                + " idempotency_key) SELECT id, last_seq, $2, $3, last_message_at, $4 FROM s"
                + " RETURNING "
                + MESSAGE_COLUMNS
                + "),"
                // joined with m: no inbox is touched (locked) before the conversation's row is
                + " bumped AS (INSERT INTO inboxes (user_id, last_seq) SELECT p.user_id, 1"
                + " FROM conversation_participants p CROSS JOIN m WHERE p.conversation_id = $1"
                + " ORDER BY p.user_id"
                + " ON CONFLICT (user_id) DO UPDATE SET last_seq = inboxes.last_seq + 1"
                + " RETURNING user_id, last_seq),"
                + " entries AS (INSERT INTO inbox_entries (user_id, seq, message_id)"
                + " SELECT b.user_id, b.last_seq, m.id FROM bumped b CROSS JOIN m),"
                + " read AS (UPDATE conversation_participants p SET last_read_seq ="
                + " greatest(p.last_read_seq, m.seq) FROM m"
                + " WHERE p.conversation_id = $1 AND p.user_id = $2)"
                + " SELECT m.id, m.conversation_id, m.seq, m.sender_id, m.body, m.created_at,"
                + " s.created_at AS conversation_created_at, s.last_message_at, s.last_seq,"
                + " b.user_id AS inbox_user_id, b.last_seq AS inbox_seq, "
                // the sender, so that neither the answer nor any subscriber reads it again
                + SENDER.columns()
                + " FROM m CROSS JOIN s CROSS JOIN bumped b"
                + SENDER.on("m.sender_id"))
        .bind(0, conversationId)
        .bind(1, senderId)
        .bind(2, body)
        .bind(3, Parameters.in(R2dbcType.VARCHAR, idempotencyKey))
        .map(
            row ->
                Map.entry(
                    carriedWithSender(row),
                    Map.entry(
                        row.get("inbox_user_id", Long.class), row.get("inbox_seq", Long.class))))
        .all()
        .collectList()
        .filter(rows -> !rows.isEmpty())
        .map(
            rows ->
                ChatEvent.message(
                    rows.get(0).getKey(),
                    rows.stream()
                        .map(Map.Entry::getValue)
                        .collect(Collectors.toMap(Map.Entry::getKey, Map.Entry::getValue))));
  }

  /**
   * The message this sender sent in the conversation with this idempotency key, carrying its sender
   * and its conversation as it is now; empty when there is none.
   */
  Mono<Message> sentWithKey(long conversationId, long senderId, String idempotencyKey) {
    return db.sql(
            "SELECT "
                + M_COLUMNS
                + ","
                + CARRIED_CONVERSATION_COLUMNS
                + ", "
                + SENDER.columns()
                + " FROM messages m JOIN conversations c ON c.id = m.conversation_id"
                + SENDER.on("m.sender_id")
                + " WHERE m.conversation_id = $1 AND m.sender_id = $2 AND m.idempotency_key = $3")
        .bind(0, conversationId)
        .bind(1, senderId)
        .bind(2, idempotencyKey)
        .map(Conversations::carriedWithSender)
        .one();
  }

  /** A user's inbox messages numbered {@code from..to}, with their inbox numbers, in order. */
  Flux<InboxMessage> inboxBetween(long userId, long from, long to) {
    return db.sql(
            "SELECT e.seq AS inbox_seq, m.id, m.conversation_id, m.seq, m.sender_id, m.body,"
                + " m.created_at,"
                + CARRIED_CONVERSATION_COLUMNS
                + " FROM inbox_entries e JOIN messages m ON m.id = e.message_id"
                + " JOIN conversations c ON c.id = m.conversation_id"
                + " WHERE e.user_id = $1 AND e.seq BETWEEN $2 AND $3 ORDER BY e.seq")
        .bind(0, userId)
        .bind(1, from)
        .bind(2, to)
        .map(row -> new InboxMessage(row.get("inbox_seq", Long.class), carried(row)))
        .all();
  }

  /** The newest number of each of these users' inboxes (absent: nothing received yet). */
  Flux<Map.Entry<Long, Long>> inboxHeads(Collection<Long> userIds) {
    return db.sql("SELECT user_id, last_seq FROM inboxes WHERE user_id = ANY($1)")
        .bind(0, userIds.toArray(Long[]::new))
        .map(row -> Map.entry(row.get(0, Long.class), row.get(1, Long.class)))
        .all();
  }

  /** The newest message number of each of these conversations. */
  Flux<Map.Entry<Long, Long>> conversationHeads(Collection<Long> conversationIds) {
    return db.sql("SELECT id, last_seq FROM conversations WHERE id = ANY($1)")
        .bind(0, conversationIds.toArray(Long[]::new))
        .map(row -> Map.entry(row.get(0, Long.class), row.get(1, Long.class)))
        .all();
  }

  /** Marks a participant's conversation read up to {@code seq} (never backwards). */
  Mono<Long> markRead(long conversationId, long userId, long seq) {
    return db.sql(
            "UPDATE conversation_participants SET last_read_seq = greatest(last_read_seq,"
                + " least($3, (SELECT last_seq FROM conversations WHERE id = $1)))"
                + " WHERE conversation_id = $1 AND user_id = $2 RETURNING last_read_seq")
        .bind(0, conversationId)
        .bind(1, userId)
        .bind(2, seq)
        .map(row -> row.get(0, Long.class))
        .one();
  }

  /** How far the user has read each of these conversations; one statement. */
  Flux<Map.Entry<Long, Long>> readUpTo(long userId, Collection<Long> conversationIds) {
    return db.sql(
            "SELECT conversation_id, last_read_seq FROM conversation_participants"
                + " WHERE user_id = $1 AND conversation_id = ANY($2)")
        .bind(0, userId)
        .bind(1, conversationIds.toArray(Long[]::new))
        .map(row -> Map.entry(row.get(0, Long.class), row.get(1, Long.class)))
        .all();
  }

  /** Those of the messages whose conversation the user takes part in; one statement. */
  Flux<Message> visibleMessages(Collection<Long> ids, long userId) {
    return db.sql(
            "SELECT m.id, m.conversation_id, m.seq, m.sender_id, m.body, m.created_at"
                + " FROM messages m JOIN conversation_participants p"
                + " ON p.conversation_id = m.conversation_id AND p.user_id = $2"
                + " WHERE m.id = ANY($1)")
        .bind(0, ids.toArray(Long[]::new))
        .bind(1, userId)
        .map(Conversations::message)
        .all();
  }

  /**
   * The newest messages of each conversation, {@code limit} each, carrying their senders when
   * {@code withSenders}, in one lateral statement. The senders are joined inside the lateral
   * subquery, whose ORDER BY keeps each conversation's messages in order whatever join the planner
   * picks.
   */
  Flux<Message> newestMessages(Collection<Long> conversationIds, int limit, boolean withSenders) {
    return db.sql(
            "SELECT m.* FROM unnest($1::bigint[]) AS c(id) CROSS JOIN LATERAL (SELECT "
                + messageColumns(withSenders)
                + " FROM messages m"
                + (withSenders ? SENDER.on("m.sender_id") : "")
                + " WHERE m.conversation_id = c.id ORDER BY m.seq DESC LIMIT $2) m")
        .bind(0, conversationIds.toArray(Long[]::new))
        .bind(1, limit)
        .map(row -> readMessage(row, withSenders))
        .all();
  }

  /** One conversation's messages older than the page's cursor, newest first. */
  Flux<Message> messagesBefore(long conversationId, Page page, boolean withSenders) {
    return db.sql(
            "SELECT "
                + messageColumns(withSenders)
                + " FROM messages m"
                + (withSenders ? SENDER.on("m.sender_id") : "")
                + " WHERE m.conversation_id = $1 AND m.seq < $2 ORDER BY m.seq DESC LIMIT $3")
        .bind(0, conversationId)
        .bind(1, page.afterLong("seq"))
        .bind(2, page.fetchSize())
        .map(row -> readMessage(row, withSenders))
        .all();
  }

  private static String messageColumns(boolean withSender) {
    return withSender ? M_COLUMNS + ", " + SENDER.columns() : M_COLUMNS;
  }

  /**
   * Messages of a conversation with {@code from <= seq <= to}, oldest first, carrying their senders
   * and the conversation (what a subscription resumes or fills a gap with).
   */
  Flux<Message> messagesBetween(long conversationId, long from, long to) {
    return db.sql(
            "SELECT m.id, m.conversation_id, m.seq, m.sender_id, m.body, m.created_at,"
                + CARRIED_CONVERSATION_COLUMNS
                + " FROM messages m JOIN conversations c ON c.id = m.conversation_id"
                + " WHERE m.conversation_id = $1 AND m.seq BETWEEN $2 AND $3 ORDER BY m.seq")
        .bind(0, conversationId)
        .bind(1, from)
        .bind(2, to)
        .map(Conversations::carried)
        .all();
  }

  static Conversation conversation(Readable row) {
    return new Conversation(
        row.get("id", Long.class),
        row.get("created_at", OffsetDateTime.class),
        row.get("last_message_at", OffsetDateTime.class),
        row.get("last_seq", Long.class));
  }

  /** A message read with {@link #CARRIED_CONVERSATION_COLUMNS}. */
  private static Message carried(Readable row) {
    return new Message(
        row.get("id", Long.class),
        row.get("conversation_id", Long.class),
        row.get("seq", Long.class),
        row.get("sender_id", Long.class),
        row.get("body", String.class),
        row.get("created_at", OffsetDateTime.class),
        null,
        carriedConversation(row));
  }

  /** A message read with {@link #CARRIED_CONVERSATION_COLUMNS} and {@link #SENDER}'s columns. */
  private static Message carriedWithSender(Readable row) {
    Message message = carried(row);
    User sender = SENDER.user(row);
    return sender == null ? message : message.withSender(sender);
  }

  /** The conversation of a row read with {@link #CARRIED_CONVERSATION_COLUMNS}. */
  private static Conversation carriedConversation(Readable row) {
    return new Conversation(
        row.get("conversation_id", Long.class),
        row.get("conversation_created_at", OffsetDateTime.class),
        row.get("last_message_at", OffsetDateTime.class),
        row.get("last_seq", Long.class));
  }

  static Message message(Readable row) {
    return readMessage(row, false);
  }

  private static Message readMessage(Readable row, boolean withSender) {
    return new Message(
        row.get("id", Long.class),
        row.get("conversation_id", Long.class),
        row.get("seq", Long.class),
        row.get("sender_id", Long.class),
        row.get("body", String.class),
        row.get("created_at", OffsetDateTime.class),
        withSender ? SENDER.user(row) : null,
        null);
  }
}
