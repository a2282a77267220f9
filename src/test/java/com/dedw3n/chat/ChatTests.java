package com.dedw3n.chat;

import static org.assertj.core.api.Assertions.assertThat;

import com.dedw3n.ApiTests;
import com.dedw3n.BlockingCalls;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.springframework.graphql.test.tester.GraphQlTester;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

class ChatTests extends ApiTests {

  @Test
  void participantsTalkAndPageBackwardWithGaplessNumbers() {
    var ann = signUp("Ann");
    var ben = signUp("Ben");
    String conversation = start(ann, ben.id());
    for (int i = 1; i <= 5; i++) {
      send(i % 2 == 0 ? ben : ann, conversation, "m" + i)
          .path("sendMessage.seq")
          .entity(Integer.class)
          .isEqualTo(i);
    }
    var page =
        ben.graphQl()
            .documentName("conversationPage")
            .variable("id", conversation)
            .variable("last", 3)
            .execute();
    // Relay backward paging, as Apollo Client's relayStylePagination reads it: a page in
    // chronological order, hasPreviousPage for older messages, startCursor to fetch them
    assertThat(page.path("conversation.messages.edges[*].node.body").entityList(String.class).get())
        .containsExactly("m3", "m4", "m5");
    page.path("conversation.messages.pageInfo.hasPreviousPage")
        .entity(Boolean.class)
        .isEqualTo(true);
    String before =
        page.path("conversation.messages.pageInfo.startCursor").entity(String.class).get();
    assertThat(before)
        .isEqualTo(page.path("conversation.messages.edges[0].cursor").entity(String.class).get());
    ben.graphQl()
        .documentName("conversationPage")
        .variable("id", conversation)
        .variable("last", 3)
        .variable("before", before)
        .execute()
        .path("conversation.messages.edges[*].node.body")
        .entityList(String.class)
        .containsExactly("m1", "m2")
        .path("conversation.messages.pageInfo.hasPreviousPage")
        .entity(Boolean.class)
        .isEqualTo(false);
    // a page whose query reads no hasPreviousPage is read without the message before it, and
    // an alias beside it that reads it still learns that older messages exist
    var plain =
        ben.graphQl()
            .document(
                "query($id: ID!) { conversation(id: $id) {"
                    + " messages(last: 3) { edges { node { body } } }"
                    + " older: messages(last: 3) { pageInfo { hasPreviousPage } } } }")
            .variable("id", conversation)
            .execute();
    assertThat(
            plain.path("conversation.messages.edges[*].node.body").entityList(String.class).get())
        .containsExactly("m3", "m4", "m5");
    plain.path("conversation.older.pageInfo.hasPreviousPage").entity(Boolean.class).isEqualTo(true);
    // the same two people keep their one conversation
    assertThat(start(ben, ann.id())).isEqualTo(conversation);
  }

  @Test
  void outsidersCanNeitherReadNorWriteAndNothingIsStored() {
    var ann = signUp("Ann");
    var ben = signUp("Ben");
    var eve = signUp("Eve");
    String conversation = start(ann, ben.id());
    send(ann, conversation, "secret");
    eve.graphQl()
        .documentName("conversationPage")
        .variable("id", conversation)
        .execute()
        .errors()
        .expect(e -> e.getErrorType().toString().equals("NOT_FOUND"))
        .verify();
    eve.graphQl()
        .documentName("sendMessage")
        .variable("conversationId", conversation)
        .variable("body", "hi")
        .execute()
        .errors()
        .expect(e -> e.getErrorType().toString().equals("NOT_FOUND"))
        .verify();
    anonymous()
        .documentName("conversationPage")
        .variable("id", conversation)
        .execute()
        .errors()
        .expect(e -> e.getErrorType().toString().equals("UNAUTHORIZED"))
        .verify();
    anonymous()
        .documentName("sendMessage")
        .variable("conversationId", conversation)
        .variable("body", "hi")
        .execute()
        .errors()
        .expect(e -> e.getErrorType().toString().equals("UNAUTHORIZED"))
        .verify();
    eve.graphQl()
        .document(
            "query($r:[_Any!]!){_entities(representations:$r){... on Conversation{id} ... on Message{id body}}}")
        .variable(
            "r",
            List.of(
                Map.of("__typename", "Conversation", "id", conversation),
                Map.of(
                    "__typename", "Message", "id", String.valueOf(firstMessageId(conversation)))))
        .execute()
        .path("_entities[0]")
        .valueIsNull()
        .path("_entities[1]")
        .valueIsNull();
    assertThat(messageCount(conversation)).isEqualTo(1);
  }

  @Test
  void badInputIsABadRequest() {
    var ann = signUp("Ann");
    var ben = signUp("Ben");
    String conversation = start(ann, ben.id());
    ann.graphQl()
        .documentName("sendMessage")
        .variable("conversationId", conversation)
        .variable("body", " ")
        .execute()
        .errors()
        .expect(e -> e.getErrorType().toString().equals("BAD_REQUEST"))
        .verify();
    ann.graphQl()
        .documentName("sendMessage")
        .variable("conversationId", conversation)
        .variable("body", "x".repeat(4001))
        .execute()
        .errors()
        .expect(e -> e.getErrorType().toString().equals("BAD_REQUEST"))
        .verify();
    ann.graphQl()
        .documentName("sendMessage")
        .variable("conversationId", "c-1")
        .variable("body", "hi")
        .execute()
        .errors()
        .expect(e -> e.getErrorType().toString().equals("BAD_REQUEST"))
        .verify();
    ann.graphQl()
        .documentName("startConversation")
        .variable("participantIds", List.of())
        .execute()
        .errors()
        .expect(e -> e.getErrorType().toString().equals("BAD_REQUEST"))
        .verify();
    ann.graphQl()
        .documentName("startConversation")
        .variable("participantIds", List.of(ann.id()))
        .execute()
        .errors()
        .expect(e -> e.getErrorType().toString().equals("BAD_REQUEST"))
        .verify();
    ann.graphQl()
        .documentName("startConversation")
        .variable("participantIds", List.of("987654321"))
        .execute()
        .errors()
        .expect(e -> e.getErrorType().toString().equals("NOT_FOUND"))
        .verify();
    for (int size : new int[] {0, 101}) {
      ann.graphQl()
          .documentName("conversationPage")
          .variable("id", conversation)
          .variable("last", size)
          .execute()
          .errors()
          .expect(e -> e.getErrorType().toString().equals("BAD_REQUEST"))
          .verify();
    }
    assertThat(messageCount(conversation)).isZero();
  }

  /**
   * Both people starting their conversation at the same moment, or one tapping twice: each call
   * finds none and goes on to create it. Here both are held at their insert, behind a transaction
   * that holds the two users' rows (an insert of a conversation checks its references to them; the
   * second call, since V36, waits for the first's insert instead), and let go together.
   */
  @Test
  void twoCallsStartingTheSameConversationAtOnceAnswerOneConversation() throws Exception {
    var ann = signUp("Ann");
    var ben = signUp("Ben");
    List<CompletableFuture<String>> calls;
    try (var held =
        holding(
            "SELECT 1 FROM users WHERE id IN (" + ann.id() + ", " + ben.id() + ") FOR UPDATE")) {
      calls = List.of(startAside(ann, ben.id()), startAside(ben, ann.id()));
      held.awaitWaiting(2); // both calls at their insert
    }
    String first = calls.get(0).get(30, TimeUnit.SECONDS);
    assertThat(calls.get(1).get(30, TimeUnit.SECONDS)).isEqualTo(first);
    assertThat(
            db.sql("SELECT count(*) FROM conversation_participants WHERE user_id = $1")
                .bind(0, Long.parseLong(ann.id()))
                .map(r -> r.get(0, Long.class))
                .one()
                .block())
        .as("Ann's conversations")
        .isEqualTo(1);
    // and they talk in it
    send(ben, first, "hello").path("sendMessage.seq").entity(Integer.class).isEqualTo(1);
  }

  /**
   * The conversation a set of people already has is found by one probe of its key, reading no
   * participation rows: the same for an account in 100,000 conversations as in one. It read every
   * conversation of the set's smallest user id, and the participants of each. Here the participant
   * rows are locked against any reader, and the call still answers.
   */
  @Test
  void startingAConversationAgainReadsNoParticipationRows() {
    var ann = signUp("Ann");
    var ben = signUp("Ben");
    String conversation = start(ann, ben.id());
    try (var held = holding("LOCK TABLE conversation_participants IN ACCESS EXCLUSIVE MODE")) {
      assertThat(
              ann.graphQl()
                  .document("mutation($p:[ID!]!){startConversation(participantIds:$p){id}}")
                  .variable("p", List.of(ben.id()))
                  .execute()
                  .path("startConversation.id")
                  .entity(String.class)
                  .get())
          .isEqualTo(conversation);
    }
  }

  /**
   * Instances of the release before V36 created conversations without a key during that upgrade:
   * V41 keys them (the oldest of a set, as V36 did), so that their people are not given a second
   * conversation now that the key alone finds one.
   */
  @Test
  void conversationsCreatedWithoutAKeyAreKeyedByV41() throws Exception {
    var ann = signUp("Ann");
    var ben = signUp("Ben");
    var cat = signUp("Cat");
    long older = keyless(ann, ben);
    long newer = keyless(ben, ann);
    String keyed = start(ann, cat.id());
    long duplicate = keyless(cat, ann);

    String v41;
    try (var in =
        getClass().getResourceAsStream("/db/migration/V41__conversations_found_by_their_key.sql")) {
      v41 = new String(in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
    }
    db.sql(v41).then().block();

    assertThat(start(ben, ann.id())).isEqualTo(String.valueOf(older));
    assertThat(keyOf(newer)).as("the newer of two keyless").isEmpty();
    assertThat(start(cat, ann.id())).isEqualTo(keyed);
    assertThat(keyOf(duplicate)).as("a duplicate of a keyed conversation").isEmpty();
  }

  /** A conversation as an instance of the release before V36 created it, with no key. */
  private long keyless(Client creator, Client other) {
    return db.sql(
            "WITH c AS (INSERT INTO conversations (created_by) VALUES ($1) RETURNING id),"
                + " p AS (INSERT INTO conversation_participants (conversation_id, user_id)"
                + " SELECT c.id, u FROM c, unnest(ARRAY[$1, $2]::bigint[]) AS u)"
                + " SELECT id FROM c")
        .bind(0, Long.parseLong(creator.id()))
        .bind(1, Long.parseLong(other.id()))
        .map(row -> row.get(0, Long.class))
        .one()
        .block();
  }

  private java.util.Optional<Long[]> keyOf(long conversation) {
    return db.sql("SELECT participant_ids FROM conversations WHERE id = $1")
        .bind(0, conversation)
        .map(row -> java.util.Optional.ofNullable(row.get(0, Long[].class)))
        .one()
        .block();
  }

  private CompletableFuture<String> startAside(Client starter, String other) {
    return Mono.fromCallable(() -> start(starter, other))
        .subscribeOn(BlockingCalls.SCHEDULER)
        .toFuture();
  }

  /**
   * A phone whose answer was lost sends its message again with the same key: the conversation and
   * the inboxes hold it once, with no gap in the numbers after it.
   */
  @Test
  void aSendRetriedWithItsIdempotencyKeyAnswersTheFirstMessageStoredOnce() {
    var ann = signUp("Ann");
    var ben = signUp("Ben");
    var eve = signUp("Eve");
    String conversation = start(ann, ben.id());
    String key = UUID.randomUUID().toString();
    var first = sendOnce(ann, conversation, "see you at 8", key);
    String id = first.path("sendMessage.id").entity(String.class).get();
    first.path("sendMessage.seq").entity(Integer.class).isEqualTo(1);

    sendOnce(ann, conversation, "see you at 8", key)
        .path("sendMessage.id")
        .entity(String.class)
        .isEqualTo(id)
        .path("sendMessage.seq")
        .entity(Integer.class)
        .isEqualTo(1)
        .path("sendMessage.sender.id")
        .entity(String.class)
        .isEqualTo(ann.id())
        .path("sendMessage.conversation.id")
        .entity(String.class)
        .isEqualTo(conversation);
    assertThat(messageCount(conversation)).isEqualTo(1);
    assertThat(inboxEntries(conversation)).as("one entry in each inbox").isEqualTo(2);
    // the retry took no number: the next message is the second
    send(ben, conversation, "ok").path("sendMessage.seq").entity(Integer.class).isEqualTo(2);

    // the same key with another body is another message: refused, nothing stored
    sendOnce(ann, conversation, "see you at 9", key)
        .errors()
        .expect(
            e ->
                e.getErrorType().toString().equals("CONFLICT")
                    && e.getMessage().contains("message " + id))
        .verify();
    // keys are the sender's, in one conversation: Ben's and another conversation's are theirs
    sendOnce(ben, conversation, "see you at 8", key)
        .path("sendMessage.seq")
        .entity(Integer.class)
        .isEqualTo(3);
    String other = start(ann, eve.id());
    sendOnce(ann, other, "see you at 8", key)
        .path("sendMessage.seq")
        .entity(Integer.class)
        .isEqualTo(1);
    // a key that is not one: refused before anything is stored
    for (String bad : List.of("", "has space", "k".repeat(65), "ключ")) {
      sendOnce(ann, conversation, "hi", bad)
          .errors()
          .expect(e -> e.getErrorType().toString().equals("BAD_REQUEST"))
          .verify();
    }
    assertThat(messageCount(conversation)).isEqualTo(3);
  }

  /**
   * Two attempts with one key at once (a retry sent while the first still runs): both wait at the
   * conversation's row, held here; the first stores the message, the second fails on the key
   * without taking a number, and both answer the one message.
   */
  @Test
  void twoAttemptsWithOneKeyAtOnceStoreOneMessage() throws Exception {
    var ann = signUp("Ann");
    var ben = signUp("Ben");
    String conversation = start(ann, ben.id());
    String key = UUID.randomUUID().toString();
    List<CompletableFuture<String>> attempts;
    try (var held =
        holding("SELECT 1 FROM conversations WHERE id = " + conversation + " FOR UPDATE")) {
      attempts = List.of(sendAside(ann, conversation, key), sendAside(ann, conversation, key));
      held.awaitWaiting(2); // both attempts at the conversation's row
    }
    String first = attempts.get(0).get(30, TimeUnit.SECONDS);
    assertThat(attempts.get(1).get(30, TimeUnit.SECONDS)).isEqualTo(first);
    assertThat(messageCount(conversation)).isEqualTo(1);
    send(ben, conversation, "ok").path("sendMessage.seq").entity(Integer.class).isEqualTo(2);
  }

  private CompletableFuture<String> sendAside(Client sender, String conversation, String key) {
    return Mono.fromCallable(
            () ->
                sendOnce(sender, conversation, "on my way", key)
                    .path("sendMessage.id")
                    .entity(String.class)
                    .get())
        .subscribeOn(BlockingCalls.SCHEDULER)
        .toFuture();
  }

  @Test
  void concurrentSendersGetGaplessDistinctNumbers() {
    var ann = signUp("Ann");
    var ben = signUp("Ben");
    String conversation = start(ann, ben.id());
    Flux.range(1, 20)
        .parallel(8)
        .runOn(BlockingCalls.SCHEDULER)
        .doOnNext(
            i ->
                send(i % 2 == 0 ? ann : ben, conversation, "m" + i)
                    .path("sendMessage.id")
                    .hasValue())
        .sequential()
        .blockLast(Duration.ofSeconds(60));
    List<Long> seqs =
        db.sql("SELECT seq FROM messages WHERE conversation_id = $1 ORDER BY seq")
            .bind(0, Long.parseLong(conversation))
            .map(r -> r.get(0, Long.class))
            .all()
            .collectList()
            .block();
    assertThat(seqs)
        .containsExactlyElementsOf(IntStream.rangeClosed(1, 20).mapToObj(i -> (long) i).toList());
  }

  @Test
  void aConversationPageCostsTheSameStatementsForFiveAndFiftyMessages() {
    var ann = signUp("Ann");
    var ben = signUp("Ben");
    String small = start(ann, ben.id());
    var carl = signUp("Carl");
    String large = start(ann, carl.id());
    seedMessages(small, ann, 5);
    seedMessages(large, ann, 50);
    long forFive = statementsFor(ann, small, 5);
    long forFifty = statementsFor(ann, large, 50);
    assertThat(forFifty).isEqualTo(forFive);
    // the conversation with its messages and their senders
    assertThat(forFifty).isEqualTo(1);
  }

  /**
   * The senders a page's statement carries are each message's own, in a conversation of three where
   * each writes; and a page that selects no sender reads no users (the positive half proves the SQL
   * is seen at all).
   */
  @Test
  void aPagesJoinedSendersAreEachMessagesOwnAndOnlyJoinedWhenSelected()
      throws InterruptedException {
    var ann = signUp("Ann");
    var ben = signUp("Ben");
    var cid = signUp("Cid");
    String conversation = start(ann, ben.id(), cid.id());
    List<Client> senders = List.of(ann, ben, cid, cid, ann, ben);
    for (int i = 0; i < senders.size(); i++) {
      send(senders.get(i), conversation, "m" + i);
    }
    var read = new AtomicReference<GraphQlTester.Response>();
    long statements =
        statementsOf(
            () ->
                read.set(
                    ben.graphQl()
                        .documentName("conversationPage")
                        .variable("id", conversation)
                        .variable("last", 6)
                        .execute()));
    // the conversation, its messages and their senders: one statement (a lateral join), not
    // one for each or the senders from the DataLoader
    assertThat(statements).isEqualTo(1);
    var page = read.get();
    assertThat(
            page.path("conversation.messages.edges[*].node.sender.id")
                .entityList(String.class)
                .get())
        .containsExactlyElementsOf(senders.stream().map(Client::id).toList());
    assertThat(
            page.path("conversation.messages.edges[*].node.sender.displayName")
                .entityList(String.class)
                .get())
        .containsExactlyElementsOf(senders.stream().map(Client::name).toList());

    List<String> withSenders =
        sqlOf(
            ben,
            t ->
                t.documentName("conversationPage")
                    .variable("id", conversation)
                    .variable("last", 6)
                    .execute());
    assertThat(withSenders)
        .filteredOn(s -> s.contains("FROM messages"))
        .singleElement()
        .satisfies(s -> assertThat(s).contains("JOIN users"));
    List<String> bodiesOnly =
        sqlOf(
            ben,
            t ->
                t.document(
                        "query($id: ID!) { conversation(id: $id) {"
                            + " messages(last: 6) { edges { node { body } } } } }")
                    .variable("id", conversation)
                    .execute());
    assertThat(bodiesOnly)
        .singleElement()
        .satisfies(
            s -> assertThat(s).contains("FROM messages").doesNotContainIgnoringCase("users"));
  }

  /**
   * A conversation without messages yet is read with its empty first page in one statement, and its
   * first message then appears on it.
   */
  @Test
  void aNewConversationsPageIsEmptyAndThenHasItsFirstMessage() {
    var ann = signUp("Ann");
    var ben = signUp("Ben");
    String conversation = start(ann, ben.id());
    var page = new AtomicReference<GraphQlTester.Response>();
    long statements =
        statementsOf(
            () ->
                page.set(
                    ben.graphQl()
                        .documentName("conversationPage")
                        .variable("id", conversation)
                        .execute()));
    assertThat(statements).isEqualTo(1);
    page.get()
        .path("conversation.id")
        .entity(String.class)
        .isEqualTo(conversation)
        .path("conversation.messages.edges")
        .entityList(Object.class)
        .hasSize(0)
        .path("conversation.messages.pageInfo.hasPreviousPage")
        .entity(Boolean.class)
        .isEqualTo(false);
    send(ann, conversation, "first");
    ben.graphQl()
        .documentName("conversationPage")
        .variable("id", conversation)
        .execute()
        .path("conversation.messages.edges[*].node.body")
        .entityList(String.class)
        .containsExactly("first");
  }

  /**
   * During a rolling upgrade the instances of the release before V34 share the database with this
   * one, and their sends write inbox_entries.conversation_id. These are that release's send
   * statement's writes as they were (its answer reduced to the number): they must store the
   * message, gapless among this release's sends, until every instance runs this release. The
   * release after drops the column, and this test with it.
   */
  @Test
  void aSendOfThePreviousReleaseStillWorks() {
    var ann = signUp("Ann");
    var ben = signUp("Ben");
    String conversation = start(ann, ben.id());
    send(ann, conversation, "from this release");
    Long seq =
        db.sql(
                "WITH s AS (UPDATE conversations SET last_seq = last_seq + 1,"
                    + " last_message_at = clock_timestamp()"
                    + " WHERE id = $1 AND EXISTS (SELECT 1 FROM conversation_participants"
                    + " WHERE conversation_id = $1 AND user_id = $2)"
                    + " RETURNING id, created_at, last_message_at, last_seq),"
                    + " m AS (INSERT INTO messages (conversation_id, seq, sender_id, body,"
                    + " created_at) SELECT id, last_seq, $2, $3, last_message_at FROM s RETURNING"
                    + " id, conversation_id, seq, sender_id, body, created_at),"
                    + " bumped AS (INSERT INTO inboxes (user_id, last_seq) SELECT p.user_id, 1"
                    + " FROM conversation_participants p CROSS JOIN m WHERE p.conversation_id = $1"
                    + " ORDER BY p.user_id"
                    + " ON CONFLICT (user_id) DO UPDATE SET last_seq = inboxes.last_seq + 1"
                    + " RETURNING user_id, last_seq),"
                    + " entries AS (INSERT INTO inbox_entries (user_id, seq, message_id,"
                    + " conversation_id) SELECT b.user_id, b.last_seq, m.id, m.conversation_id"
                    + " FROM bumped b CROSS JOIN m),"
                    + " read AS (UPDATE conversation_participants p SET last_read_seq ="
                    + " greatest(p.last_read_seq, m.seq) FROM m"
                    + " WHERE p.conversation_id = $1 AND p.user_id = $2)"
                    + " SELECT DISTINCT m.seq FROM m CROSS JOIN s CROSS JOIN bumped b")
            .bind(0, Long.parseLong(conversation))
            .bind(1, Long.parseLong(ben.id()))
            .bind(2, "from the release before")
            .map(row -> row.get(0, Long.class))
            .one()
            .block();
    assertThat(seq).isEqualTo(2L);
    send(ann, conversation, "from this release again")
        .path("sendMessage.seq")
        .entity(Integer.class)
        .isEqualTo(3);
    ben.graphQl()
        .documentName("conversationPage")
        .variable("id", conversation)
        .variable("last", 3)
        .execute()
        .path("conversation.messages.edges[*].node.body")
        .entityList(String.class)
        .containsExactly("from this release", "from the release before", "from this release again");
    assertThat(inboxNumbers(conversation)).containsExactly(1L, 2L, 3L);
  }

  @Test
  void aSendIsOneStatementAnswerIncluded() {
    var ann = signUp("Ann");
    var ben = signUp("Ben");
    var cid = signUp("Cid");
    String conversation = start(ann, ben.id(), cid.id());
    long statements =
        statementsOf(
            () ->
                send(ben, conversation, "one round trip")
                    .path("sendMessage.sender.id")
                    .entity(String.class)
                    .isEqualTo(ben.id())
                    .path("sendMessage.conversation.id")
                    .entity(String.class)
                    .isEqualTo(conversation));
    // the message, the conversation's number, three inboxes, read state, the conversation and the
    // sender, all in one
    assertThat(statements).isEqualTo(1);
    assertThat(inboxNumbers(conversation)).containsExactly(1L, 2L, 3L);
  }

  @Test
  void myConversationsCostsTheSameStatementsForThreeAndTenConversations() {
    var few = signUp("Few");
    var many = signUp("Many");
    for (int i = 0; i < 3; i++) send(few, start(few, signUp("P" + i).id()), "hi");
    for (int i = 0; i < 10; i++) send(many, start(many, signUp("Q" + i).id()), "hi");
    long forThree = myConversationsStatements(few, 3);
    long forTen = myConversationsStatements(many, 10);
    assertThat(forTen).isEqualTo(forThree);
  }

  private long myConversationsStatements(Client user, int n) {
    return statementsOf(
        () -> {
          user.graphQl()
              .documentName("myConversations")
              .execute()
              .path("myConversations.edges[*].node.participants[*].displayName")
              .entityList(String.class)
              .hasSize(2 * n)
              .path("myConversations.edges[*].node.messages.edges[*].node.sender.displayName")
              .entityList(String.class)
              .hasSize(n);
        });
  }

  private long statementsFor(Client reader, String conversation, int n) {
    return statementsOf(
        () -> {
          reader
              .graphQl()
              .documentName("conversationPage")
              .variable("id", conversation)
              .variable("last", n)
              .execute()
              .path("conversation.messages.edges[*].node.sender.displayName")
              .entityList(String.class)
              .hasSize(n);
        });
  }

  private void seedMessages(String conversation, Client sender, int n) {
    db.sql(
            "INSERT INTO messages (conversation_id, seq, sender_id, body) SELECT $1, g, $2, 'm' || g FROM generate_series(1, $3) g")
        .bind(0, Long.parseLong(conversation))
        .bind(1, Long.parseLong(sender.id()))
        .bind(2, n)
        .then()
        .block();
    db.sql("UPDATE conversations SET last_seq = $2 WHERE id = $1")
        .bind(0, Long.parseLong(conversation))
        .bind(1, (long) n)
        .then()
        .block();
  }

  private String start(Client starter, String... others) {
    return starter
        .graphQl()
        .documentName("startConversation")
        .variable("participantIds", List.of(others))
        .execute()
        .path("startConversation.id")
        .entity(String.class)
        .get();
  }

  private org.springframework.graphql.test.tester.GraphQlTester.Response send(
      Client sender, String conversation, String body) {
    return sender
        .graphQl()
        .documentName("sendMessage")
        .variable("conversationId", conversation)
        .variable("body", body)
        .execute();
  }

  private GraphQlTester.Response sendOnce(
      Client sender, String conversation, String body, String idempotencyKey) {
    return sender
        .graphQl()
        .documentName("sendMessageOnce")
        .variable("conversationId", conversation)
        .variable("body", body)
        .variable("idempotencyKey", idempotencyKey)
        .execute();
  }

  private long inboxEntries(String conversation) {
    return db.sql(
            "SELECT count(*) FROM inbox_entries e JOIN messages m ON m.id = e.message_id"
                + " WHERE m.conversation_id = $1")
        .bind(0, Long.parseLong(conversation))
        .map(r -> r.get(0, Long.class))
        .one()
        .block();
  }

  /** Every inbox number the conversation's messages took in any inbox, ascending. */
  private List<Long> inboxNumbers(String conversation) {
    return db.sql(
            "SELECT DISTINCT e.seq FROM inbox_entries e JOIN messages m ON m.id = e.message_id"
                + " WHERE m.conversation_id = $1 ORDER BY e.seq")
        .bind(0, Long.parseLong(conversation))
        .map(r -> r.get(0, Long.class))
        .all()
        .collectList()
        .block();
  }

  private long messageCount(String conversation) {
    return db.sql("SELECT count(*) FROM messages WHERE conversation_id = $1")
        .bind(0, Long.parseLong(conversation))
        .map(r -> r.get(0, Long.class))
        .one()
        .block();
  }

  private long firstMessageId(String conversation) {
    return db.sql("SELECT min(id) FROM messages WHERE conversation_id = $1")
        .bind(0, Long.parseLong(conversation))
        .map(r -> r.get(0, Long.class))
        .one()
        .block();
  }
}
