package com.dedw3n.chat.internal;

import static org.assertj.core.api.Assertions.assertThat;

import com.dedw3n.ApiTests;
import com.dedw3n.GraphQlTransportWs;
import com.dedw3n.platform.graphql.KeysetCursors;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.core.io.FileSystemResource;
import org.springframework.graphql.client.SubscriptionErrorException;
import org.springframework.graphql.client.WebSocketGraphQlClient;
import org.springframework.graphql.client.WebSocketGraphQlClientInterceptor;
import org.springframework.graphql.support.ResourceDocumentSource;
import org.springframework.http.HttpHeaders;
import org.springframework.web.reactive.socket.client.ReactorNettyWebSocketClient;
import reactor.core.Disposable;
import reactor.core.publisher.BaseSubscriber;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.publisher.Sinks;
import reactor.netty.http.client.HttpClient;
import reactor.netty.http.client.WebsocketClientSpec;

/** Subscriptions over a real graphql-transport-ws connection, on one server without Redis. */
class ChatRealtimeTests extends ApiTests {

  @Autowired ChatSubscriptions subscriptions;
  @Autowired ChatBus bus;
  @Autowired ChatSettings settings;

  @Test
  void aSubscriberReceivesEveryMessageInOrder() {
    var ann = signUp("Ann");
    var ben = signUp("Ben");
    String conversation = start(ann, ben);
    var received = subscribe(ben, conversation, null);
    awaitSubscribed(ann, conversation);
    for (int i = 1; i <= 5; i++) send(ann, conversation, "m" + i);
    await(() -> received.size() == 5);
    assertThat(received)
        .extracting(m -> m.get("body"))
        .containsExactly("m1", "m2", "m3", "m4", "m5");
  }

  /**
   * A conversation's feed on this instance (its place in the dispatch, its buffer, the sweep's
   * reads) lives as long as someone here follows it: a subscriber that completes its subscription
   * (graphql-transport-ws {@code complete}) or whose socket closes without a word leaves it, and
   * the last one to leave closes it. The same for an inbox.
   */
  @Test
  void aFeedIsClosedWhenItsLastSubscriberLeavesHoweverItLeaves() {
    var ann = signUp("Ann");
    var ben = signUp("Ben");
    String conversation = start(ann, ben);
    long id = Long.parseLong(conversation);
    long benId = Long.parseLong(ben.id());
    WebSocketGraphQlClient annSocket = client(ann.session(), null);
    WebSocketGraphQlClient benSocket = client(ben.session(), null);
    List<Throwable> annErrors = new CopyOnWriteArrayList<>();
    List<Throwable> benErrors = new CopyOnWriteArrayList<>();
    try {
      Disposable annFollows =
          annSocket
              .documentName("messageAdded")
              .variable("conversationId", conversation)
              .retrieveSubscription("messageAdded")
              .toEntity(Map.class)
              .subscribe(m -> {}, annErrors::add);
      await(() -> subscriptions.followers(id) == 1); // Ann's, registered
      benSocket
          .documentName("messageAdded")
          .variable("conversationId", conversation)
          .retrieveSubscription("messageAdded")
          .toEntity(Map.class)
          .subscribe(m -> {}, benErrors::add);
      benSocket
          .documentName("inbox")
          .retrieveSubscription("inbox")
          .toEntity(Map.class)
          .subscribe(m -> {}, benErrors::add);
      await(() -> subscriptions.followers(id) == 2 && subscriptions.followsInbox(benId));

      annFollows.dispose(); // Ann completes her subscription; Ben still follows
      await(() -> subscriptions.followers(id) == 1);

      // Ben's socket closes with both his subscriptions open: no complete for either
      benSocket.stop().block(Duration.ofSeconds(5));
      await(() -> subscriptions.followers(id) == 0 && !subscriptions.followsInbox(benId));
      // ended by the close on the client's side, not by an error of the server's
      await(() -> benErrors.size() == 2);
      assertThat(benErrors).noneMatch(SubscriptionErrorException.class::isInstance);
      assertThat(annErrors).isEmpty();
    } finally {
      annSocket.stop().block(Duration.ofSeconds(5));
      benSocket.stop().block(Duration.ofSeconds(5));
    }
  }

  /**
   * A client that subscribes and at once completes (React's strict mode mounts an effect twice, a
   * route changes at once) sends its {@code complete} right behind its {@code subscribe}.
   * spring-graphql cancels only a subscription it has already registered, so a {@code complete}
   * handled before that would leave it running, with its feed and buffer, until the socket closes.
   * Today a subscription's setup runs on one thread up to its registration, before the next frame
   * is handled; this catches a change that makes it wait on the way (an interceptor that switches
   * threads, say). The socket stays open throughout, and a second subscription, left running and
   * then completed, shows what the check sees.
   */
  @Test
  void aSubscriptionCompletedAsSoonAsSentIsNotLeftRunning() throws Exception {
    var ann = signUp("Ann");
    var ben = signUp("Ben");
    String conversation = start(ann, ben);
    long id = Long.parseLong(conversation);
    String document =
        new String(Files.readAllBytes(Path.of("api/messageAdded.graphql")), StandardCharsets.UTF_8);
    List<String> frames = new CopyOnWriteArrayList<>();
    Sinks.Many<String> outgoing = Sinks.many().unicast().onBackpressureBuffer();
    Disposable socket =
        HttpClient.create()
            .headers(h -> h.add(HttpHeaders.COOKIE, "SESSION=" + ann.session()))
            .websocket(WebsocketClientSpec.builder().protocols("graphql-transport-ws").build())
            .uri("ws://localhost:" + port + "/graphql")
            .handle(
                (in, out) -> {
                  in.receive().asString().subscribe(frames::add);
                  return out.sendString(outgoing.asFlux(), StandardCharsets.UTF_8);
                })
            .subscribe();
    try {
      outgoing.tryEmitNext("{\"type\":\"connection_init\"}");
      await(() -> frames.stream().anyMatch(f -> f.contains("connection_ack")));
      // back to back, as a client unsubscribing right away sends them
      outgoing.tryEmitNext(
          GraphQlTransportWs.subscribe("s1", document, Map.of("conversationId", conversation)));
      outgoing.tryEmitNext("{\"id\":\"s1\",\"type\":\"complete\"}");
      Mono.delay(Duration.ofSeconds(3)).block();
      assertThat(subscriptions.followers(id)).isZero();

      // the same subscription left running is seen, and its complete ends it
      outgoing.tryEmitNext(
          GraphQlTransportWs.subscribe("s2", document, Map.of("conversationId", conversation)));
      await(() -> subscriptions.followers(id) == 1);
      outgoing.tryEmitNext("{\"id\":\"s2\",\"type\":\"complete\"}");
      await(() -> subscriptions.followers(id) == 0);
      outgoing.tryEmitNext("{\"type\":\"ping\"}");
      await(() -> frames.stream().anyMatch(f -> f.contains("pong"))); // the socket is still open
      assertThat(frames).noneMatch(f -> f.contains("\"error\""));
    } finally {
      socket.dispose();
    }
  }

  @Test
  void aResubscriberWithItsLastCursorGetsExactlyWhatItMissedThenLiveOnes() {
    var ann = signUp("Ann");
    var ben = signUp("Ben");
    String conversation = start(ann, ben);
    List<Map<String, Object>> first = new CopyOnWriteArrayList<>();
    Disposable connection = subscription(ben, conversation, null).subscribe(first::add);
    awaitSubscribed(ann, conversation);
    for (int i = 1; i <= 3; i++) send(ann, conversation, "m" + i);
    await(() -> first.size() == 3);
    connection.dispose(); // the tunnel
    for (int i = 4; i <= 6; i++) send(ann, conversation, "m" + i);

    String cursor = (String) first.get(2).get("cursor");
    var resumed = subscribe(ben, conversation, cursor);
    await(() -> resumed.size() == 3);
    send(ann, conversation, "m7");
    await(() -> resumed.size() == 4);
    assertThat(resumed).extracting(m -> m.get("body")).containsExactly("m4", "m5", "m6", "m7");
  }

  @Test
  void theInboxGathersEveryConversationAndResumesFromItsCursor() {
    var ann = signUp("Ann");
    var ben = signUp("Ben");
    var cid = signUp("Cid");
    String withAnn = start(ann, ben);
    String withCid = start(cid, ben);
    List<Map<String, Object>> inbox = new CopyOnWriteArrayList<>();
    // from the inbox's start rather than live from whenever the subscription becomes live: what
    // is sent before that moment still comes, through the catch-up, so no fixed wait is needed
    Disposable first =
        client(ben.session(), null)
            .documentName("inbox")
            .variable("after", KeysetCursors.of("inbox", 0))
            .retrieveSubscription("inbox")
            .toEntity(Map.class)
            .subscribe(m -> inbox.add(m));
    send(ann, withAnn, "a1");
    send(cid, withCid, "c1");
    await(() -> inbox.size() == 2);
    first.dispose();
    send(ann, withAnn, "a2"); // while Ben is away
    List<Map<String, Object>> resumed = new CopyOnWriteArrayList<>();
    Disposable second =
        client(ben.session(), null)
            .documentName("inbox")
            .variable("after", inbox.get(1).get("cursor"))
            .retrieveSubscription("inbox")
            .toEntity(Map.class)
            .subscribe(m -> resumed.add(m));
    try {
      await(() -> resumed.size() == 1);
      send(cid, withCid, "c2");
      await(() -> resumed.size() == 2);
    } finally {
      second.dispose();
    }
    assertThat(inbox)
        .extracting(m -> (Object) ((Map<?, ?>) m.get("message")).get("body"))
        .containsExactly("a1", "c1");
    assertThat(resumed)
        .extracting(m -> (Object) ((Map<?, ?>) m.get("message")).get("body"))
        .containsExactly("a2", "c2");
  }

  @Test
  void serverSentEventsDeliverToClientsThatCannotUseWebSockets() {
    var ann = signUp("Ann");
    var ben = signUp("Ben");
    String conversation = start(ann, ben);
    List<String> events = new CopyOnWriteArrayList<>();
    Disposable stream = serverSentEvents(ben, conversation).subscribe(events::add);
    try {
      awaitSubscribed(ann, conversation);
      send(ann, conversation, "over SSE");
      await(() -> events.stream().anyMatch(e -> e.contains("over SSE")));
    } finally {
      stream.dispose();
    }
  }

  /**
   * A subscription over Server-Sent Events was authorised once, when it started: it ends when its
   * session does (here signed out by the same user), as a WebSocket is closed, and delivers nothing
   * after.
   */
  @Test
  void aServerSentEventsSubscriptionEndsWithItsSession() {
    var ann = signUp("Ann");
    var ben = signUp("Ben");
    String conversation = start(ann, ben);
    List<String> events = new CopyOnWriteArrayList<>();
    AtomicBoolean ended = new AtomicBoolean();
    Disposable stream =
        serverSentEvents(ben, conversation)
            .doFinally(signal -> ended.set(true))
            .subscribe(events::add, e -> {});
    try {
      awaitSubscribed(ann, conversation);
      send(ann, conversation, "before");
      await(() -> events.stream().anyMatch(e -> e.contains("before")));
      ben.graphQl()
          .documentName("signOut")
          .execute()
          .path("signOut")
          .entity(Boolean.class)
          .isEqualTo(true);
      await(ended::get);
      send(ann, conversation, "after the sign-out");
      Mono.delay(Duration.ofMillis(500)).block();
      assertThat(events).noneMatch(e -> e.contains("after the sign-out"));
    } finally {
      stream.dispose();
    }
  }

  /** The conversation's messages over Server-Sent Events, as graphql-sse's client asks for them. */
  private Flux<String> serverSentEvents(Client client, String conversation) {
    return org.springframework.web.reactive.function.client.WebClient.create(
            "http://localhost:" + port)
        .post()
        .uri("/graphql")
        .cookie("SESSION", client.session())
        .accept(org.springframework.http.MediaType.TEXT_EVENT_STREAM)
        .bodyValue(
            Map.of(
                "query",
                "subscription($c:ID!){messageAdded(conversationId:$c){seq body}}",
                "variables",
                Map.of("c", conversation)))
        .retrieve()
        .bodyToFlux(String.class);
  }

  @Test
  void aLostNotificationStillLeadsToDelivery() {
    var ann = signUp("Ann");
    var ben = signUp("Ben");
    String conversation = start(ann, ben);
    var received = subscribe(ben, conversation, null);
    awaitSubscribed(ann, conversation);
    send(ann, conversation, "m1");
    storeWithoutNotification(conversation, ann, "m2"); // committed, never published
    send(ann, conversation, "m3"); // its notification reveals the gap
    await(() -> received.size() == 3);
    storeWithoutNotification(conversation, ann, "m4"); // the last one: only the sweep finds it
    await(() -> received.size() == 4);
    assertThat(received).extracting(m -> m.get("body")).containsExactly("m1", "m2", "m3", "m4");
    assertThat(received)
        .extracting(m -> ((Number) m.get("seq")).longValue())
        .containsExactly(1L, 2L, 3L, 4L);
  }

  /**
   * A client back after a long while resumes from its last cursor: it gets every message it missed,
   * in order and with its sender, read a page of 256 at a time as it takes them rather than all at
   * once into memory (eleven pages here, each with its senders' statement).
   */
  @Test
  void aResumeFarBehindGetsEveryMissedMessageInOrderAPageAtATime() {
    var ann = signUp("Ann");
    var ben = signUp("Ben");
    String conversation = start(ann, ben);
    int missed = 10 * ChatSubscriptions.CATCH_UP_PAGE + 88;
    db.sql(
            "WITH s AS (UPDATE conversations SET last_seq = last_seq + $3 WHERE id = $1"
                + " RETURNING id, last_seq - $3 AS before)"
                + " INSERT INTO messages (conversation_id, seq, sender_id, body)"
                + " SELECT id, before + g, $2, 'missed ' || g FROM s, generate_series(1, $3) g")
        .bind(0, Long.parseLong(conversation))
        .bind(1, Long.parseLong(ann.id()))
        .bind(2, missed)
        .then()
        .block();
    long before = statements.total();
    List<Map<String, Object>> received =
        subscription(ben, conversation, KeysetCursors.of("seq", 0))
            .take(missed)
            .collectList()
            .block(Duration.ofSeconds(30));
    long counted = statements.total() - before;
    assertThat(received)
        .extracting(m -> ((Number) m.get("seq")).longValue())
        .containsExactlyElementsOf(
            java.util.stream.LongStream.rangeClosed(1, missed).boxed().toList());
    assertThat(received.get(missed - 1).get("body")).isEqualTo("missed " + missed);
    assertThat(received)
        .extracting(m -> (Object) ((Map<?, ?>) m.get("sender")).get("displayName"))
        .containsOnly(ann.name());
    // (messages, senders) for each of the eleven pages, the subscription's own check, and what
    // the server's background work (sweeps, the mail outbox, probes) sent meanwhile: never one a
    // message
    assertThat(counted).isBetween(22L, 100L);
  }

  @Test
  void outsidersAreForbiddenAndAnonymousCallersUnauthorized() {
    var ann = signUp("Ann");
    var ben = signUp("Ben");
    var eve = signUp("Eve");
    String conversation = start(ann, ben);
    assertThat(subscriptionError(client(eve.session(), null), conversation)).isEqualTo("FORBIDDEN");
    assertThat(subscriptionError(client(null, null), conversation)).isEqualTo("UNAUTHORIZED");
  }

  /**
   * A cursor past a conversation's newest message cannot be one it gave (it is another's, say):
   * resuming from it would skip every message up to it in silence, so it is refused.
   */
  @Test
  void aCursorPastTheNewestMessageIsRefusedRatherThanSkippingToIt() {
    var ann = signUp("Ann");
    var ben = signUp("Ben");
    String conversation = start(ann, ben);
    send(ben, conversation, "the only one");
    var socket = client(ann.session(), null);
    try {
      assertThat(subscriptionError(socket, conversation, KeysetCursors.of("seq", 2)))
          .isEqualTo("BAD_REQUEST");
      assertThat(
              subscriptionError(
                  socket
                      .documentName("inbox")
                      .variable("after", KeysetCursors.of("inbox", 1_000))
                      .retrieveSubscription("inbox")))
          .isEqualTo("BAD_REQUEST");
      // nor one below the first, which would read everything at once
      assertThat(subscriptionError(socket, conversation, KeysetCursors.of("seq", -5)))
          .isEqualTo("BAD_REQUEST");
      // its own newest message's cursor resumes, with nothing to catch up; the inbox's too
      assertThat(subscriptionError(socket, conversation, KeysetCursors.of("seq", 1)))
          .isEqualTo("no error");
      assertThat(
              subscriptionError(
                  socket
                      .documentName("inbox")
                      .variable("after", KeysetCursors.of("inbox", 1))
                      .retrieveSubscription("inbox")))
          .isEqualTo("no error");
    } finally {
      socket.stop().block(Duration.ofSeconds(5));
    }
  }

  @Test
  void aMobileClientIdentifiesItselfInConnectionInit() {
    var ann = signUp("Ann");
    var ben = signUp("Ben");
    String conversation = start(ann, ben);
    deliveredOver(
        client(null, Map.of("sessionToken", ben.session())), ann, conversation, "hello mobile");
  }

  /**
   * The web app served from another origin (a listed one: by default any port of localhost) opens
   * its WebSocket as a browser does, with its Origin and the session cookie, and gets its chat.
   */
  @Test
  void aBrowserOnAListedOriginGetsItsChatOverTheWebSocket() {
    var ann = signUp("Ann");
    var ben = signUp("Ben");
    String conversation = start(ann, ben);
    var browser =
        client(ben.session(), null).mutate().header(HttpHeaders.ORIGIN, "http://localhost:3000");
    var received = deliveredOver(browser.build(), ann, conversation, "hello from the web app");
    assertThat(received.get(0).get("body")).isEqualTo("hello from the web app");
  }

  /** The endpoint's path percent-encoded reaches the same handler, and the same Origin check. */
  @ParameterizedTest
  @ValueSource(strings = {"/graphql", "/%67raphql", "/graph%71l"})
  void aWebSocketFromAForeignOriginIsRefused(String path) {
    var ann = signUp("Ann");
    http()
        .get()
        // a URI as it is, not a template to encode again
        .uri(URI.create("http://localhost:" + port + path))
        .header(HttpHeaders.UPGRADE, "websocket")
        .header(HttpHeaders.CONNECTION, "Upgrade")
        .header("Sec-WebSocket-Version", "13")
        .header("Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ==")
        .header("Sec-WebSocket-Protocol", "graphql-transport-ws")
        .header(HttpHeaders.ORIGIN, "https://evil.example")
        .cookie("SESSION", ann.session())
        .exchange()
        .expectStatus()
        .isForbidden()
        .expectBody(Void.class);
  }

  @Test
  void typingReachesTheOtherParticipantAndReadStateCountsUnread() {
    var ann = signUp("Ann");
    var ben = signUp("Ben");
    String conversation = start(ann, ben);
    List<Map<String, Object>> typing = new CopyOnWriteArrayList<>();
    Disposable d =
        client(ben.session(), null)
            .documentName("typing")
            .variable("conversationId", conversation)
            .retrieveSubscription("typing")
            .toEntity(Map.class)
            .subscribe(typing::add);
    try {
      await(
          () -> {
            ann.graphQl()
                .documentName("setTyping")
                .variable("conversationId", conversation)
                .execute()
                .path("setTyping")
                .entity(Boolean.class)
                .isEqualTo(true);
            return !typing.isEmpty();
          });
      assertThat(((Map<?, ?>) typing.get(0).get("user")).get("id")).isEqualTo(ann.id());
    } finally {
      d.dispose();
    }
    for (int i = 1; i <= 3; i++) send(ann, conversation, "m" + i);
    ben.graphQl()
        .documentName("unreadCounts")
        .execute()
        .path("myConversations.edges[0].node.unreadCount")
        .entity(Integer.class)
        .isEqualTo(3);
    ann.graphQl()
        .documentName("unreadCounts")
        .execute()
        .path("myConversations.edges[0].node.unreadCount")
        .entity(Integer.class)
        .isEqualTo(0);
    ben.graphQl()
        .documentName("markRead")
        .variable("conversationId", conversation)
        .variable("upTo", 2)
        .execute()
        .path("markRead.unreadCount")
        .entity(Integer.class)
        .isEqualTo(1);
  }

  /**
   * Each event of a subscription is answered as of that event: graphql-java keeps one set of
   * DataLoaders for the whole subscription, and a value loaded for an earlier event (here the
   * conversation by id, and its unread count) must not answer a later one.
   */
  @Test
  void eachEventOfASubscriptionReadsItsDataAfresh() {
    var ann = signUp("Ann");
    var ben = signUp("Ben");
    String conversation = start(ann, ben);
    List<Map<String, Object>> typing = new CopyOnWriteArrayList<>();
    Disposable d =
        client(ben.session(), null)
            .document(
                "subscription($c: ID!) { typing(conversationId: $c)"
                    + " { conversation { lastMessageAt unreadCount } } }")
            .variable("c", conversation)
            .retrieveSubscription("typing")
            .toEntity(Map.class)
            .subscribe(typing::add);
    try {
      await(() -> typingAnd(ann, conversation, typing) > 0);
      Map<?, ?> first = conversationOf(typing.get(0));
      assertThat(first.get("unreadCount")).isEqualTo(0);
      send(ann, conversation, "hello");
      // an event published before the send may still arrive; one published after it must tell
      await(
          () ->
              typingAnd(ann, conversation, typing) > 0
                  && conversationOf(typing.get(typing.size() - 1)).get("unreadCount").equals(1));
      assertThat(conversationOf(typing.get(typing.size() - 1)).get("lastMessageAt"))
          .isNotEqualTo(first.get("lastMessageAt"));
    } finally {
      d.dispose();
    }
  }

  @Test
  void aConsumerThatNeverReadsIsToldToResumeAndHoldsNoMoreThanItsBuffer() {
    long conversationId = 987_000_000L + System.nanoTime() % 1000;
    AtomicReference<Throwable> failure = new AtomicReference<>();
    List<Message> delivered = new ArrayList<>();
    BaseSubscriber<Message> neverReads =
        new BaseSubscriber<>() {
          @Override
          protected void hookOnSubscribe(org.reactivestreams.Subscription s) {
            s.request(1); // reads the first, then stops reading
          }

          @Override
          protected void hookOnNext(Message m) {
            delivered.add(m);
          }

          @Override
          protected void hookOnError(Throwable e) {
            failure.set(e);
          }
        };
    subscriptions.conversation(conversationId, 0, 0).subscribe(neverReads);
    publish(conversationId, 1).block(Duration.ofSeconds(5));
    await(() -> delivered.size() == 1);
    int flood = settings.subscriptionBuffer() + 100;
    Flux.range(2, flood)
        .concatMap(i -> publish(conversationId, i))
        .blockLast(Duration.ofSeconds(10));
    await(() -> failure.get() != null);
    assertThat(failure.get()).hasMessageContaining("subscribe again with `after`");
    assertThat(delivered).hasSize(1);
  }

  @Test
  void aDeliveredMessageCostsTheSameStatementsForOneSubscriberAndForFifty() {
    List<Client> people = IntStream.range(0, 50).mapToObj(i -> signUp("P" + i)).toList();
    String group = group(people);
    int messages = 50;
    long forOne = statementsToDeliver(people, group, 1, messages);
    long forFifty = statementsToDeliver(people, group, 50, messages);
    // the process's count also has what runs in the background meanwhile (the mail poll, the
    // chat sweep, the database probe: a few statements every 5 s, never one per message), so a
    // message's own statements are the whole part of the count per message
    assertThat(forFifty / messages)
        .isEqualTo(forOne / messages)
        .isEqualTo(1); // its send, which returns the message with its sender
  }

  /**
   * A typing event costs its {@code setTyping}'s one statement, however many watch: the event
   * carries the typist. Each watching subscription used to read them, a statement per watcher per
   * event (a participant of a group of 50 typing made 49).
   */
  @Test
  void aTypingEventCostsTheSameStatementsForOneWatcherAndForTwenty() {
    List<Client> people = IntStream.range(0, 41).mapToObj(i -> signUp("T" + i)).toList();
    String group = group(people);
    long forOne = statementsToShowTyping(people, group, 1, people.subList(20, 30));
    long forTwenty = statementsToShowTyping(people, group, 20, people.subList(30, 40));
    // background work adds a few statements every 5 s, never one per event (see above)
    assertThat(forTwenty / 10).isEqualTo(forOne / 10).isEqualTo(1);
  }

  /**
   * Statements the server sends from the first of {@code typists} saying they are typing until each
   * of {@code watchers} fresh typing subscriptions (people 0, 1, ...) has seen all of them by name.
   * The last person says it until every subscription is live; that is not counted.
   */
  private long statementsToShowTyping(
      List<Client> people, String conversation, int watchers, List<Client> typists) {
    List<WebSocketGraphQlClient> sockets = new ArrayList<>();
    List<List<Map<?, ?>>> received = new ArrayList<>();
    List<Disposable> subscriptions = new ArrayList<>();
    try {
      for (int w = 0; w < watchers; w++) {
        var socket = client(people.get(w).session(), null);
        List<Map<?, ?>> into = new CopyOnWriteArrayList<>();
        sockets.add(socket);
        received.add(into);
        subscriptions.add(
            socket
                .documentName("typing")
                .variable("conversationId", conversation)
                .retrieveSubscription("typing")
                .toEntity(Map.class)
                .subscribe(event -> into.add((Map<?, ?>) event.get("user"))));
      }
      Client herald = people.get(people.size() - 1);
      await(
          () -> {
            herald
                .graphQl()
                .documentName("setTyping")
                .variable("conversationId", conversation)
                .execute();
            return received.stream().noneMatch(List::isEmpty);
          });
      Map<Object, Object> names = new HashMap<>();
      typists.forEach(t -> names.put(t.id(), t.name()));
      long before = statements.total();
      for (Client typist : typists) {
        typist
            .graphQl()
            .documentName("setTyping")
            .variable("conversationId", conversation)
            .execute()
            .path("setTyping")
            .entity(Boolean.class)
            .isEqualTo(true);
      }
      await(
          () ->
              received.stream()
                  .allMatch(
                      users ->
                          users.stream()
                                  .filter(u -> names.containsKey(u.get("id")))
                                  .map(u -> u.get("id"))
                                  .distinct()
                                  .count()
                              == typists.size()));
      long counted = statements.total() - before;
      for (List<Map<?, ?>> users : received) {
        assertThat(users)
            .filteredOn(u -> names.containsKey(u.get("id")))
            .allSatisfy(u -> assertThat(u.get("displayName")).isEqualTo(names.get(u.get("id"))));
      }
      return counted;
    } finally {
      subscriptions.forEach(Disposable::dispose);
      sockets.forEach(socket -> socket.stop().block(Duration.ofSeconds(5)));
    }
  }

  /** The conversation of all these people, started by the first. */
  private static String group(List<Client> people) {
    return people
        .get(0)
        .graphQl()
        .documentName("startConversation")
        .variable("participantIds", people.stream().skip(1).map(Client::id).toList())
        .execute()
        .path("startConversation.id")
        .entity(String.class)
        .get();
  }

  /**
   * Statements the server sends for {@code messages} messages, each from a different participant,
   * from the first send until every one of {@code subscribers} fresh subscriptions (one socket per
   * participant) has received all of them.
   */
  private long statementsToDeliver(
      List<Client> people, String conversation, int subscribers, int messages) {
    List<WebSocketGraphQlClient> sockets = new ArrayList<>();
    List<List<Map<String, Object>>> received = new ArrayList<>();
    List<Disposable> subscriptions = new ArrayList<>();
    long counted;
    try {
      // each subscription resumes just before this message: once every one has it, every one
      // is live and has made its catch-up read, which is not counted
      int mark =
          send(people.get(people.size() - 1), conversation, "mark")
              .path("sendMessage.seq")
              .entity(Integer.class)
              .get();
      for (int s = 0; s < subscribers; s++) {
        var socket = client(people.get(s).session(), null);
        List<Map<String, Object>> into = new CopyOnWriteArrayList<>();
        sockets.add(socket);
        received.add(into);
        subscriptions.add(
            socket
                .documentName("messageAdded")
                .variable("conversationId", conversation)
                .variable("after", KeysetCursors.of("seq", mark - 1))
                .retrieveSubscription("messageAdded")
                .toEntity(Map.class)
                .subscribe(m -> into.add(m)));
      }
      await(() -> received.stream().allMatch(r -> r.size() == 1));
      long before = statements.total();
      for (int i = 0; i < messages; i++) {
        send(people.get(i % people.size()), conversation, "to all " + i);
      }
      await(
          () ->
              IntStream.range(0, subscribers)
                  .allMatch(s -> received.get(s).size() == 1 + messages));
      counted = statements.total() - before;
      for (int s = 0; s < subscribers; s++) {
        var got = received.get(s).subList(1, received.get(s).size());
        assertThat(got)
            .extracting(m -> m.get("body"))
            .containsExactlyElementsOf(
                IntStream.range(0, messages).mapToObj(i -> (Object) ("to all " + i)).toList());
        assertThat(got)
            .extracting(m -> (Object) ((Map<?, ?>) m.get("sender")).get("displayName"))
            .containsExactlyElementsOf(
                IntStream.range(0, messages)
                    .mapToObj(i -> (Object) people.get(i % people.size()).name())
                    .toList());
      }
    } finally {
      subscriptions.forEach(Disposable::dispose);
      sockets.forEach(socket -> socket.stop().block(Duration.ofSeconds(5)));
    }
    return counted;
  }

  private Mono<Void> publish(long conversationId, long seq) {
    return Mono.fromRunnable(
        () ->
            bus.publish(
                ChatEvent.message(
                    new Message(seq, conversationId, seq, 1, "m" + seq, OffsetDateTime.now()),
                    Map.of())));
  }

  private List<Map<String, Object>> subscribe(Client user, String conversation, String after) {
    List<Map<String, Object>> received = new CopyOnWriteArrayList<>();
    subscription(user, conversation, after).subscribe(received::add);
    return received;
  }

  @SuppressWarnings({"unchecked", "rawtypes"})
  private Flux<Map<String, Object>> subscription(Client user, String conversation, String after) {
    return (Flux)
        client(user.session(), null)
            .documentName("messageAdded")
            .variable("conversationId", conversation)
            .variable("after", after)
            .retrieveSubscription("messageAdded")
            .toEntity(Map.class)
            .take(Duration.ofSeconds(30));
  }

  /**
   * Subscribes to the conversation over {@code socket}, has {@code sender} send {@code body} once
   * the subscription is live, and returns what the socket received: that one message.
   */
  private List<Map<String, Object>> deliveredOver(
      WebSocketGraphQlClient socket, Client sender, String conversation, String body) {
    List<Map<String, Object>> received = new CopyOnWriteArrayList<>();
    Disposable d =
        socket
            .documentName("messageAdded")
            .variable("conversationId", conversation)
            .retrieveSubscription("messageAdded")
            .toEntity(Map.class)
            .subscribe(m -> received.add(m));
    try {
      awaitSubscribed(sender, conversation);
      send(sender, conversation, body);
      await(() -> received.size() == 1);
    } finally {
      d.dispose();
    }
    return received;
  }

  private String subscriptionError(WebSocketGraphQlClient client, String conversation) {
    return subscriptionError(client, conversation, null);
  }

  private String subscriptionError(
      WebSocketGraphQlClient client, String conversation, String after) {
    return subscriptionError(
        client
            .documentName("messageAdded")
            .variable("conversationId", conversation)
            .variable("after", after)
            .retrieveSubscription("messageAdded"));
  }

  /** The first error's type, or "no error" when nothing failed within 10 s (or 2 s of quiet). */
  private static String subscriptionError(
      org.springframework.graphql.client.GraphQlClient.RetrieveSubscriptionSpec subscription) {
    try {
      subscription
          .toEntity(Map.class)
          .take(Duration.ofSeconds(2))
          .blockLast(Duration.ofSeconds(10));
      return "no error";
    } catch (SubscriptionErrorException e) {
      return e.getErrors().get(0).getErrorType().toString();
    }
  }

  WebSocketGraphQlClient client(String session, Map<String, Object> initPayload) {
    var builder =
        WebSocketGraphQlClient.builder(
                URI.create("ws://localhost:" + port + "/graphql"),
                new ReactorNettyWebSocketClient())
            .documentSource(
                new ResourceDocumentSource(
                    List.of(new FileSystemResource("api/")), List.of(".graphql")));
    if (session != null) builder.header(HttpHeaders.COOKIE, "SESSION=" + session);
    if (initPayload != null) {
      builder.interceptor(
          new WebSocketGraphQlClientInterceptor() {
            @Override
            public Mono<Object> connectionInitPayload() {
              return Mono.just(initPayload);
            }
          });
    }
    return builder.build();
  }

  /** Waits until the subscription is registered on the server (it counts for the sweep). */
  private void awaitSubscribed(Client any, String conversation) {
    // a subscription becomes live asynchronously: give the handshake and catch-up a moment
    Mono.delay(Duration.ofMillis(700)).block();
  }

  private String start(Client a, Client b) {
    return a.graphQl()
        .documentName("startConversation")
        .variable("participantIds", List.of(b.id()))
        .execute()
        .path("startConversation.id")
        .entity(String.class)
        .get();
  }

  private org.springframework.graphql.test.tester.GraphQlTester.Response send(
      Client sender, String conversation, String body) {
    var response =
        sender
            .graphQl()
            .documentName("sendMessage")
            .variable("conversationId", conversation)
            .variable("body", body)
            .execute();
    response.path("sendMessage.id").hasValue();
    return response;
  }

  private void storeWithoutNotification(String conversation, Client sender, String body) {
    db.sql(
            "WITH s AS (UPDATE conversations SET last_seq = last_seq + 1 WHERE id = $1 RETURNING id, last_seq)"
                + " INSERT INTO messages (conversation_id, seq, sender_id, body) SELECT id, last_seq, $2, $3 FROM s")
        .bind(0, Long.parseLong(conversation))
        .bind(1, Long.parseLong(sender.id()))
        .bind(2, body)
        .then()
        .block();
  }

  /** Ann says she is typing; the events received so far. */
  private static int typingAnd(Client who, String conversation, List<Map<String, Object>> events) {
    who.graphQl().documentName("setTyping").variable("conversationId", conversation).execute();
    return events.size();
  }

  private static Map<?, ?> conversationOf(Map<String, Object> typingEvent) {
    return (Map<?, ?>) typingEvent.get("conversation");
  }

  static void await(java.util.function.BooleanSupplier condition) {
    long deadline = System.nanoTime() + Duration.ofSeconds(15).toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("condition not met within 15 s");
      }
      Mono.delay(Duration.ofMillis(50)).block();
    }
  }
}
