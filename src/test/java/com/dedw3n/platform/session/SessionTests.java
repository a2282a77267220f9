package com.dedw3n.platform.session;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import com.dedw3n.GraphQlTransportWs;
import com.dedw3n.Instances;
import com.dedw3n.RedisBehindProxy;
import com.dedw3n.TestClock;
import io.micrometer.core.instrument.MeterRegistry;
import java.io.IOException;
import java.net.URI;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.config.BeanPostProcessor;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.data.redis.core.ReactiveStringRedisTemplate;
import org.springframework.http.HttpHeaders;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseCookie;
import org.springframework.r2dbc.core.DatabaseClient;
import org.springframework.security.crypto.password.PasswordEncoder;
import org.springframework.test.web.reactive.server.EntityExchangeResult;
import org.springframework.test.web.reactive.server.WebTestClient;
import org.springframework.web.reactive.socket.CloseStatus;
import org.springframework.web.reactive.socket.WebSocketMessage;
import org.springframework.web.reactive.socket.client.ReactorNettyWebSocketClient;
import reactor.core.Disposable;
import reactor.core.publisher.Mono;
import reactor.core.publisher.Sinks;
import tools.jackson.databind.json.JsonMapper;

/**
 * Sessions in Redis with two instances, as a deployment runs them: a session made on one works on
 * the other over HTTP (cookie or bearer token) and WebSocket (cookie or connection_init token);
 * ending it on one refuses it on both and closes its sockets (4403); an unknown cookie is never
 * deleted; reading a session does not write it; lifetimes and the per-user limit; the cookie's
 * flags; Redis going away (fail closed, quickly) and coming back; the origin policy.
 *
 * <p>Instance a runs the development cookie (no Secure), b the production one (Secure); both share
 * one test clock, moved by the lifetime tests, and allow 3 sessions per user.
 */
class SessionTests {

  static final JsonMapper json = JsonMapper.builder().build();

  /** The resume cursor before a conversation's first message: {@code seq} 0. */
  static final String FROM_START =
      Base64.getUrlEncoder().withoutPadding().encodeToString("seq:0".getBytes(UTF_8));

  static final TestClock clock = new TestClock(Instant.now());
  static final AtomicInteger users = new AtomicInteger();

  static RedisBehindProxy redis;
  static String sessionPrefix;
  static ConfigurableApplicationContext a;
  static ConfigurableApplicationContext b;

  @BeforeAll
  static void startTwoInstances() throws IOException {
    redis = RedisBehindProxy.start();
    String viaProxy = redis.url();
    String prefix = "dedw3n:test:" + UUID.randomUUID() + ":";
    sessionPrefix = prefix + "session:";
    a = instance(viaProxy, prefix, false);
    b = instance(viaProxy, prefix, true);
  }

  /** When set, runs once at the next password check, before it: what happens during it. */
  static final AtomicReference<Runnable> duringNextCheck = new AtomicReference<>();

  static ConfigurableApplicationContext instance(
      String redisUrl, String prefix, boolean secure, String... more) {
    List<String> args =
        new java.util.ArrayList<>(
            List.of(
                "--server.port=0",
                "--spring.data.redis.url=" + redisUrl,
                "--dedw3n.chat.redis-channel=" + prefix + "chat",
                "--dedw3n.budgets.redis-key-prefix=" + prefix + "budget:",
                "--dedw3n.session.redis-prefix=" + prefix + "session:",
                "--dedw3n.session.max-per-user=3",
                "--dedw3n.session.cookie-secure=" + secure,
                "--dedw3n.web.allowed-origins=http://localhost:3000"));
    args.addAll(List.of(more));
    return Instances.builder()
        .initializers(context -> context.getBeanFactory().registerSingleton("testClock", clock))
        .initializers(
            context ->
                context
                    .getBeanFactory()
                    .addBeanPostProcessor(
                        new BeanPostProcessor() {
                          @Override
                          public Object postProcessAfterInitialization(Object bean, String name) {
                            return bean instanceof PasswordEncoder encoder
                                ? holding(encoder)
                                : bean;
                          }
                        }))
        .run(args.toArray(String[]::new));
  }

  @AfterAll
  static void stop() throws IOException {
    if (a != null) a.close();
    if (b != null) b.close();
    if (redis != null) redis.close();
  }

  // --- any instance serves any session ---------------------------------------------------------

  @Test
  void aSessionMadeOnOneInstanceWorksOnTheOtherOverHttpAndWebSocket() {
    Account ann = signUp(a);
    Account ben = signUp(a);
    assertThat(viewer(b, cookie(ann.cookie()))).isEqualTo(ann.id());

    String token = signInForToken(a, ben);
    assertThat(viewer(b, bearer(token))).isEqualTo(ben.id());

    String conversation = startConversation(a, ann, ben);
    // ben listens on b by token in connection_init, ann on b by cookie
    Socket benOnB = Socket.open(b, null, token, conversation, null);
    Socket annOnB = Socket.open(b, ann.cookie(), null, conversation, null);
    send(a, ann, conversation, "hello across instances");
    assertThat(benOnB.nextBody()).isEqualTo("hello across instances");
    assertThat(annOnB.nextBody()).isEqualTo("hello across instances");
    String cursor = annOnB.lastCursor();
    annOnB.close();

    // ann reconnects to the other instance with the same session and resumes from her cursor
    send(b, ann, conversation, "while ann was away");
    Socket annOnA = Socket.open(a, ann.cookie(), null, conversation, cursor);
    assertThat(annOnA.nextBody()).isEqualTo("while ann was away");
    annOnA.close();
    benOnB.close();
  }

  @Test
  void signingOutEndsTheSessionOnEveryInstanceAndClosesItsSockets() {
    Account ann = signUp(a);
    Account ben = signUp(a);
    String conversation = startConversation(a, ann, ben);
    String annToken = signInForToken(a, ann);
    Socket byCookie = Socket.open(b, ann.cookie(), null, conversation, null);
    Socket byToken = Socket.open(b, null, annToken, conversation, null);
    Socket bensOwn = Socket.open(b, ben.cookie(), null, conversation, null);

    var signOut = graphQl(a, cookie(ann.cookie()), "mutation { signOut }", Map.of());
    assertThat(data(signOut).get("signOut")).isEqualTo(true);
    ResponseCookie cleared = signOut.getResponseCookies().getFirst("SESSION");
    assertThat(cleared).as("the signed-out browser forgets its cookie").isNotNull();
    assertThat(cleared.getMaxAge()).isZero();
    assertThat(viewer(a, cookie(ann.cookie()))).isNull();
    assertThat(viewer(b, cookie(ann.cookie()))).isNull();
    assertThat(byCookie.closed()).isEqualTo(4403);

    // the token session is another session: still alive until signed out everywhere
    assertThat(viewer(b, bearer(annToken))).isEqualTo(ann.id());
    assertThat(
            data(graphQl(a, bearer(annToken), "mutation { signOutEverywhere }", Map.of()))
                .get("signOutEverywhere"))
        .isEqualTo(true);
    assertThat(viewer(b, bearer(annToken))).isNull();
    assertThat(byToken.closed()).isEqualTo(4403);
    // a token socket cannot start anything new either: it is gone; ben's is untouched
    send(a, ben, conversation, "still here");
    assertThat(bensOwn.nextBody()).isEqualTo("still here");
    bensOwn.close();
  }

  /**
   * A browser keeps the cookie of a session that ended elsewhere (signed out everywhere from the
   * phone) and is served as anonymous: its socket is no session's, and the sweep leaves it open.
   */
  @Test
  void aSocketOpenedWithTheCookieOfAnEndedSessionIsAnonymousAndLeftOpen() {
    Account ann = signUp(a);
    graphQl(a, cookie(ann.cookie()), "mutation { signOutEverywhere }", Map.of());
    Socket socket = Socket.operation(b, ann.cookie(), null, "{ viewer { id } }", Map.of());
    assertThat(socket.nextPayload().get("data"))
        .as("anonymous")
        .isEqualTo(java.util.Collections.singletonMap("viewer", null));
    b.getBean(SessionStore.class).recheckHeld().block(Duration.ofSeconds(10));
    Mono.delay(Duration.ofMillis(300)).block();
    assertThat(socket.closeStatus.get()).as("left open").isNull();
    socket.close();
  }

  /**
   * An end is announced to the other instances once: one whose Redis subscription was reconnecting
   * at that moment never hears of it. Its next sweep finds the session gone and closes the
   * session's sockets and Server-Sent Events streams there all the same.
   */
  @Test
  void aSessionEndedWithoutTheAnnouncementIsFoundByTheNextSweep() {
    Account ann = signUp(a);
    Account ben = signUp(a);
    String conversation = startConversation(a, ann, ben);
    Socket socket = Socket.open(b, ann.cookie(), null, conversation, null);
    AtomicReference<String> stream = new AtomicReference<>("open");
    List<String> received = new CopyOnWriteArrayList<>();
    Disposable events =
        client(b)
            .post()
            .uri("/graphql")
            .header(HttpHeaders.COOKIE, "SESSION=" + ann.cookie())
            .accept(MediaType.TEXT_EVENT_STREAM)
            .bodyValue(
                Map.of(
                    "query",
                    "subscription($c:ID!){messageAdded(conversationId:$c){body}}",
                    "variables",
                    Map.of("c", conversation)))
            .exchange()
            .returnResult(String.class)
            .getResponseBody()
            .subscribe(received::add, e -> stream.set("failed"), () -> stream.set("ended"));
    try {
      send(a, ben, conversation, "hello");
      assertThat(socket.nextBody()).isEqualTo("hello");
      long delivered = System.nanoTime() + Duration.ofSeconds(10).toNanos();
      while (received.stream().noneMatch(e -> e.contains("hello"))) {
        assertThat(System.nanoTime()).as("the stream delivers").isLessThan(delivered);
        Mono.delay(Duration.ofMillis(50)).block();
      }
      // the session's record removed, as an end on another instance does, and nothing announced
      String id = b.getBean(SessionStore.class).idOf(ann.cookie()).orElseThrow();
      assertThat(
              b.getBean(ReactiveStringRedisTemplate.class)
                  .delete(sessionPrefix + "sessions:" + id)
                  .block(Duration.ofSeconds(5)))
          .isEqualTo(1);
      assertThat(socket.closeStatus.get()).as("not told: still open").isNull();

      b.getBean(SessionStore.class).recheckHeld().block(Duration.ofSeconds(10));
      assertThat(socket.closed()).isEqualTo(4403);
      long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
      while (stream.get().equals("open") && System.nanoTime() < deadline) {
        Mono.delay(Duration.ofMillis(50)).block();
      }
      assertThat(stream.get()).as("the Server-Sent Events stream").isEqualTo("ended");
    } finally {
      events.dispose();
    }
  }

  /**
   * An operation over a WebSocket runs under the socket's session, here a phone's connection_init
   * token, whatever cookie its upgrade request carried (here the browser's): signing out there is
   * refused and ends neither, a password changed there keeps the phone's session and ends the
   * browser's, and signing up there is refused before the account is made.
   */
  @Test
  void overAWebSocketTheSessionIsTheSockets() {
    Account ann = signUp(a);
    String phone = signInForToken(b, ann);
    Socket signOut = Socket.operation(b, ann.cookie(), phone, "mutation { signOut }", Map.of());
    assertThat(signOut.nextPayload().toString())
        .contains("BAD_REQUEST")
        .contains("takes an HTTP request");
    signOut.close();
    assertThat(viewer(b, cookie(ann.cookie()))).as("the browser's session").isEqualTo(ann.id());
    assertThat(viewer(b, bearer(phone))).as("the phone's session").isEqualTo(ann.id());

    Socket change =
        Socket.operation(
            b,
            ann.cookie(),
            phone,
            "mutation($c:String!,$n:String!){changePassword(currentPassword:$c,newPassword:$n)}",
            Map.of("c", "correct horse battery", "n", "another horse battery"));
    assertThat(change.nextPayload()).containsEntry("data", Map.of("changePassword", true));
    change.close();
    assertThat(viewer(b, bearer(phone))).as("the socket's session stays").isEqualTo(ann.id());
    assertThat(viewer(a, cookie(ann.cookie()))).as("the browser's ends").isNull();

    // signing up there is refused before the account is made: the address is still free
    String email = "socket-" + System.nanoTime() + "@example.com";
    String signUp =
        "mutation($e:String!){signUp(email:$e,password:\"correct horse battery\","
            + "displayName:\"Socket\"){id}}";
    Socket overSocket = Socket.operation(b, null, null, signUp, Map.of("e", email));
    assertThat(overSocket.nextPayload().toString()).contains("takes an HTTP request");
    overSocket.close();
    assertThat(data(graphQl(a, Map.of(), signUp, Map.of("e", email))).get("signUp")).isNotNull();
  }

  static PasswordEncoder holding(PasswordEncoder encoder) {
    return new PasswordEncoder() {
      @Override
      public String encode(CharSequence raw) {
        return encoder.encode(raw);
      }

      @Override
      public boolean matches(CharSequence raw, String hash) {
        Runnable during = duringNextCheck.getAndSet(null);
        if (during != null) {
          during.run();
        }
        return encoder.matches(raw, hash);
      }
    };
  }

  /**
   * A sign-in with the old password that is still checking it when a reset stores another one and
   * ends the user's sessions gets no session: the reset's end came before this session was made.
   * The reset's two steps run inside the sign-in's check (a reset of its own would wait for the
   * check: passwords are hashed on one thread on two cores).
   */
  @Test
  void aSignInStillCheckingTheOldPasswordWhenItIsResetGetsNoSession() {
    Account ann = signUp(a);
    long userId = Long.parseLong(ann.id());
    duringNextCheck.set(
        () -> {
          String newHash = a.getBean(PasswordEncoder.class).encode("another horse battery");
          a.getBean(DatabaseClient.class)
              .sql("UPDATE users SET password_hash = $2 WHERE id = $1")
              .bind(0, userId)
              .bind(1, newHash)
              .then()
              .block(Duration.ofSeconds(10));
          a.getBean(SessionStore.class)
              .endAll(userId, null, SessionStore.Reason.PASSWORD_CHANGED)
              .block(Duration.ofSeconds(10));
        });
    var late =
        graphQl(
                a,
                Map.of(),
                "mutation($e:String!,$p:String!){signInForToken(email:$e,password:$p){token}}",
                Map.of("e", ann.email(), "p", "correct horse battery"))
            .getResponseBody();
    assertThat(duringNextCheck.get()).as("the check ran").isNull();
    assertThat(late.toString()).as("%s", late).contains("UNAUTHORIZED");
    assertThat(viewer(b, cookie(ann.cookie()))).as("the reset ended the earlier session").isNull();
    Object data = late.get("data");
    Object token = data == null ? null : ((Map<?, ?>) data).get("signInForToken");
    if (token != null) {
      assertThat(viewer(b, bearer((String) ((Map<?, ?>) token).get("token"))))
          .as("the late sign-in's session")
          .isNull();
    }
  }

  /**
   * A password change whose check of the current password overlaps a reset does not undo the reset:
   * it stores its hash only over the one it checked, and answers as for a wrong current password.
   */
  @Test
  void aPasswordChangeOverlappingAResetDoesNotUndoIt() {
    Account ann = signUp(a);
    long userId = Long.parseLong(ann.id());
    String resetHash = a.getBean(PasswordEncoder.class).encode("the reset's password");
    duringNextCheck.set(
        () ->
            a.getBean(DatabaseClient.class)
                .sql("UPDATE users SET password_hash = $2 WHERE id = $1")
                .bind(0, userId)
                .bind(1, resetHash)
                .then()
                .block(Duration.ofSeconds(10)));
    var changed =
        graphQl(
                a,
                cookie(ann.cookie()),
                "mutation($c:String!,$n:String!){changePassword(currentPassword:$c,newPassword:$n)}",
                Map.of("c", "correct horse battery", "n", "the change's password"))
            .getResponseBody();
    assertThat(duringNextCheck.get()).as("the check ran").isNull();
    assertThat(changed.toString()).as("%s", changed).contains("UNAUTHORIZED");
    assertThat(
            a.getBean(DatabaseClient.class)
                .sql("SELECT password_hash FROM users WHERE id = $1")
                .bind(0, userId)
                .map(row -> row.get(0, String.class))
                .one()
                .block(Duration.ofSeconds(10)))
        .isEqualTo(resetHash);
  }

  @Test
  void changingThePasswordEndsEveryOtherSession() {
    Account ann = signUp(a);
    String phone = signInForToken(b, ann);
    var changed =
        graphQl(
            a,
            cookie(ann.cookie()),
            "mutation($c:String!,$n:String!){changePassword(currentPassword:$c,newPassword:$n)}",
            Map.of("c", "correct horse battery", "n", "another horse battery"));
    assertThat(data(changed).get("changePassword")).isEqualTo(true);
    assertThat(viewer(b, bearer(phone))).as("the other session").isNull();
    assertThat(viewer(b, cookie(ann.cookie()))).as("this session").isEqualTo(ann.id());
  }

  /**
   * A reset whose sessions cannot be ended (the session store away) changes nothing: once the store
   * is back its link still works, and the retry ends every session. Ended after the commit, the
   * link was used up, and every session, an intruder's too, came back with the store.
   */
  @Test
  void aResetThatCannotEndTheSessionsChangesNothingAndItsRetryEndsThem() throws Exception {
    Account ann = signUp(a);
    String intruder = signInForToken(b, ann);
    String link = resetLink(a, Long.parseLong(ann.id()));
    String reset = "mutation($t:String!,$p:String!){resetPassword(token:$t,newPassword:$p)}";
    redis.proxy().close();
    try {
      var refused =
          graphQl(a, Map.of(), reset, Map.of("t", link, "p", "a brand new horse"))
              .getResponseBody();
      assertThat(refused.toString()).as("%s", refused).contains("UNAVAILABLE");
    } finally {
      redis.proxy().open();
    }
    awaitSessionsBack(bearer(intruder));
    assertThat(viewer(b, bearer(intruder))).as("nothing changed yet").isEqualTo(ann.id());

    var retried = graphQl(a, Map.of(), reset, Map.of("t", link, "p", "a brand new horse"));
    assertThat(data(retried).get("resetPassword"))
        .as("%s", retried.getResponseBody())
        .isEqualTo(true);
    assertThat(viewer(b, bearer(intruder))).as("the intruder's session").isNull();
    assertThat(viewer(a, cookie(ann.cookie()))).as("the sign-up's session").isNull();
  }

  /**
   * A reset link as the mail carries it, issued by the user feature's own token store (package
   * private there: this test of sessions reaches it by reflection rather than through a mailbox
   * that any instance's sender may fill).
   */
  @SuppressWarnings({"unchecked", "rawtypes"})
  static String resetLink(ConfigurableApplicationContext instance, long userId)
      throws ReflectiveOperationException {
    Class<?> tokens = Class.forName("com.dedw3n.user.internal.AccountTokens");
    Class purpose = Class.forName("com.dedw3n.user.internal.AccountTokens$Purpose");
    var issue = tokens.getDeclaredMethod("issue", long.class, purpose, Duration.class);
    issue.setAccessible(true);
    return ((Mono<String>)
            issue.invoke(
                instance.getBean(tokens),
                userId,
                Enum.valueOf(purpose, "RESET_PASSWORD"),
                Duration.ofHours(1)))
        .block(Duration.ofSeconds(10));
  }

  @Test
  void anUnknownOrEndedSessionIsAnonymousAndItsCookieIsLeftAlone() {
    Account ann = signUp(a);
    graphQl(a, cookie(ann.cookie()), "mutation { signOut }", Map.of());
    for (String unknown :
        List.of(ann.cookie(), "not-a-token", ann.cookie().substring(0, 20) + ".forged")) {
      for (var instance : List.of(a, b)) {
        var result = graphQl(instance, cookie(unknown), "{ viewer { id } }", Map.of());
        assertThat(data(result).get("viewer")).isNull();
        assertThat(result.getResponseHeaders().get(HttpHeaders.SET_COOKIE))
            .as("no Set-Cookie for an unknown session")
            .isNull();
      }
    }
  }

  @Test
  void readingASessionNeverWritesItAndTouchesAreThrottled() {
    Account ann = signUp(a);
    double before = writes();
    for (int i = 0; i < 1000; i++) {
      var instance = i % 2 == 0 ? a : b;
      assertThat(viewer(instance, cookie(ann.cookie()))).isEqualTo(ann.id());
    }
    assertThat(writes() - before)
        .as("session writes for 1,000 signed-in requests")
        .isLessThanOrEqualTo(2);

    // past touch-after, the next request pushes the expiry back once, and renews the cookie
    clock.advance(Duration.ofHours(2).plusMinutes(1));
    var touched = graphQl(a, cookie(ann.cookie()), "{ viewer { id } }", Map.of());
    assertThat(writes() - before).isEqualTo(1);
    ResponseCookie renewed = touched.getResponseCookies().getFirst("SESSION");
    assertThat(renewed).isNotNull();
    assertThat(renewed.getValue()).isEqualTo(ann.cookie());
    assertThat(renewed.getMaxAge()).isEqualTo(Duration.ofDays(30));
    viewer(b, cookie(ann.cookie()));
    assertThat(writes() - before).as("touched once per touch-after, on any instance").isEqualTo(1);
  }

  /**
   * A phone's socket that sends its token while Redis is away is closed with 1013 Try Again Later,
   * which graphql-ws retries, not 4401 Unauthorized, which it takes as final (and apps as "signed
   * out"): the token is fine, the store could not say so.
   */
  @Test
  void aTokenInConnectionInitWithRedisAwayIsToldToTryAgainNotUnauthorized() {
    Account ann = signUp(a);
    String token = signInForToken(a, ann);
    redis.proxy().close();
    try {
      Socket socket = Socket.connect(b, null, token, "subscription { inbox { cursor } }", Map.of());
      assertThat(socket.closed()).isEqualTo(1013);
      assertThat(socket.subscribed.asMono().toFuture().getNow(null))
          .as("never acknowledged")
          .isNull();
    } finally {
      redis.proxy().open();
    }
    awaitSessionsBack(bearer(token));
  }

  /**
   * A token that names no live session (signed out, past its lifetime, forged) fails the connection
   * with 4401, which graphql-ws takes as final: the app signs in again. It was closed with 1013 Try
   * Again Later, which graphql-ws retries (forever with the README's client settings), and logged
   * as a failure of the session store at each attempt.
   */
  @Test
  void aTokenOfNoLiveSessionInConnectionInitIsUnauthorized() {
    Account ann = signUp(a);
    String token = signInForToken(a, ann);
    assertThat(data(graphQl(a, bearer(token), "mutation { signOut }", Map.of())).get("signOut"))
        .isEqualTo(true);
    for (String dead : List.of(token, "x.y")) {
      Socket socket = Socket.connect(b, null, dead, "subscription { inbox { cursor } }", Map.of());
      assertThat(socket.closed()).as(dead).isEqualTo(4401);
    }
  }

  /**
   * Waits until both instances read sessions again after Redis came back (the next tests need it).
   */
  static void awaitSessionsBack(Map<String, String> credential) {
    long deadline = System.nanoTime() + Duration.ofSeconds(15).toNanos();
    for (var instance : List.of(a, b)) {
      while (graphQl(instance, credential, "{ viewer { id } }", Map.of()).getStatus().value()
          != 200) {
        assertThat(System.nanoTime()).as("Redis is back").isLessThan(deadline);
        Mono.delay(Duration.ofMillis(200)).block();
      }
    }
  }

  /**
   * A browser back after more than touch-after (a laptop that slept) reopens its WebSocket before
   * any HTTP request: the socket reads its session at its first operation, after the upgrade's
   * answer has gone, so no cookie can be set there. The session is touched and the socket served.
   */
  @Test
  void aWebSocketOpenedWhenItsSessionIsDueForATouchIsServed() {
    Account ann = signUp(a);
    Account ben = signUp(a);
    String conversation = startConversation(a, ann, ben);
    double before = writes();
    clock.advance(Duration.ofHours(2).plusMinutes(1));
    Socket annOnB = Socket.open(b, ann.cookie(), null, conversation, null);
    send(a, ben, conversation, "welcome back");
    assertThat(annOnB.nextBody()).isEqualTo("welcome back");
    assertThat(writes() - before)
        .as("ann's socket and ben's send touched a session each")
        .isEqualTo(2);
    annOnB.close();
  }

  /**
   * Redis away at a socket's first operation refuses that operation; the socket's next operation,
   * once Redis answers, asks the store again instead of meeting the same failure for as long as the
   * socket lives.
   */
  @Test
  void aWebSocketWhoseFirstOperationMetRedisAwayIsServedOnceRedisIsBack() {
    Account ann = signUp(a);
    Account ben = signUp(a);
    String conversation = startConversation(a, ann, ben);
    Socket annOnB;
    redis.proxy().close();
    try {
      annOnB = Socket.open(b, ann.cookie(), null, conversation, null);
      assertThat(annOnB.nextMessage(Duration.ofSeconds(10)).toString())
          .contains("SESSIONS_UNAVAILABLE");
    } finally {
      redis.proxy().open();
    }
    // as graphql-ws retries an operation: again, on the same socket, until one is not refused (a
    // refusal comes within 2 s; a live subscription says nothing until a message is sent)
    int operations = 1;
    long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
    while (true) {
      assertThat(System.nanoTime()).as("served once Redis is back").isLessThan(deadline);
      annOnB.subscribe(String.valueOf(++operations), conversation);
      var refusal = annOnB.nextMessage(Duration.ofSeconds(3));
      if (refusal == null) {
        break;
      }
      assertThat(refusal.toString()).contains("SESSIONS_UNAVAILABLE");
    }
    awaitSessionsBack(cookie(ben.cookie()));
    send(a, ben, conversation, "after the blip");
    assertThat(annOnB.nextBody()).isEqualTo("after the blip");
    annOnB.close();
  }

  @Test
  void aUserHoldsAtMostThreeSessionsAndNoneOutlivesItsAbsoluteLifetime() {
    Account ann = signUp(a); // session 1
    clock.advance(Duration.ofSeconds(1)); // sign-ins in order, though the test clock stands still
    String second = signInForToken(a, ann);
    clock.advance(Duration.ofSeconds(1));
    String third = signInForToken(b, ann);
    clock.advance(Duration.ofSeconds(1));
    String fourth = signInForToken(a, ann); // the oldest (the sign-up's cookie) ends
    assertThat(viewer(b, cookie(ann.cookie()))).isNull();
    for (String token : List.of(second, third, fourth)) {
      assertThat(viewer(b, bearer(token))).isEqualTo(ann.id());
    }

    // used every day, the sessions still end 90 days after sign-in
    for (int day = 0; day < 89; day++) {
      clock.advance(Duration.ofDays(1));
      assertThat(viewer(day % 2 == 0 ? a : b, bearer(fourth))).isEqualTo(ann.id());
    }
    clock.advance(Duration.ofDays(1).plusMinutes(1));
    assertThat(viewer(a, bearer(fourth))).isNull();
  }

  /**
   * An absolute lifetime set shorter than the idle one (sign in again every 12 hours, say) bounds a
   * session from its start: the expiry its token is issued with is the absolute one, not 30 days.
   */
  @Test
  void anAbsoluteLifetimeShorterThanTheIdleOneBoundsANewSession() {
    try (var strict =
        instance(
            redis.url(),
            "dedw3n:test:" + UUID.randomUUID() + ":",
            false,
            "--dedw3n.session.absolute-timeout=12h")) {
      Account ann = signUp(strict);
      var issued =
          (Map<?, ?>)
              data(graphQl(
                      strict,
                      Map.of(),
                      "mutation($e:String!,$p:String!){signInForToken(email:$e,password:$p)"
                          + "{token expiresAt}}",
                      Map.of("e", ann.email(), "p", "correct horse battery")))
                  .get("signInForToken");
      assertThat(java.time.OffsetDateTime.parse((String) issued.get("expiresAt")).toInstant())
          .isBeforeOrEqualTo(clock.instant().plus(Duration.ofHours(12)));
      assertThat(viewer(strict, bearer((String) issued.get("token")))).isEqualTo(ann.id());
    }
  }

  // --- the cookie --------------------------------------------------------------------------------

  @Test
  void theCookieIsHttpOnlyLaxAndSecureWhereHttpsIs() {
    String development = signUpCookieHeader(a, null);
    // attribute names are case-insensitive (RFC 6265); Netty writes "HTTPOnly"
    assertThat(development)
        .containsIgnoringCase("HttpOnly")
        .contains("SameSite=Lax")
        .contains("Path=/");
    assertThat(development).doesNotContainIgnoringCase("Secure");
    assertThat(signUpCookieHeader(a, "https"))
        .as("over HTTPS through a trusted proxy")
        .containsIgnoringCase("Secure");
    assertThat(signUpCookieHeader(b, null))
        .as("production")
        .containsIgnoringCase("Secure")
        .containsIgnoringCase("HttpOnly");
  }

  // --- Redis away
  // ---------------------------------------------------------------------------------

  @Test
  void withRedisAwayASignedInRequestFailsClosedQuicklyAndAnonymousReadsWork() {
    Account ann = signUp(a);
    redis.proxy().close();
    try {
      for (var instance : List.of(a, b)) {
        long started = System.nanoTime();
        var refused = graphQl(instance, cookie(ann.cookie()), "{ viewer { id } }", Map.of());
        assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofSeconds(2));
        assertThat(refused.getStatus().value()).isEqualTo(503);
        assertThat(refused.getResponseHeaders().getFirst(HttpHeaders.RETRY_AFTER)).isNotNull();
        assertThat(refused.getResponseBody().toString()).contains("SESSIONS_UNAVAILABLE");
        var anonymous =
            graphQl(
                instance, Map.of(), "{ products(first: 2) { edges { node { id } } } }", Map.of());
        assertThat(anonymous.getStatus().value()).isEqualTo(200);
        assertThat(anonymous.getResponseBody().get("errors")).isNull();
      }
    } finally {
      redis.proxy().open();
    }
    long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
    Object viewer = null;
    while (viewer == null && System.nanoTime() < deadline) {
      var result = graphQl(b, cookie(ann.cookie()), "{ viewer { id } }", Map.of());
      if (result.getStatus().value() == 200) {
        viewer = data(result).get("viewer");
      }
      Mono.delay(Duration.ofMillis(200)).block();
    }
    assertThat(viewer).as("the session works again once Redis is back").isNotNull();
  }

  // --- the origin policy
  // --------------------------------------------------------------------------

  @Test
  void listedOriginsGetCorsWithCredentialsAndOthersADocumentedRefusal() {
    var preflight =
        client(a)
            .options()
            .uri("/graphql")
            .header(HttpHeaders.ORIGIN, "http://localhost:3000")
            .header(HttpHeaders.ACCESS_CONTROL_REQUEST_METHOD, "POST")
            .header(HttpHeaders.ACCESS_CONTROL_REQUEST_HEADERS, "content-type, authorization")
            .exchange()
            .expectBody(String.class)
            .returnResult();
    assertThat(preflight.getStatus().value()).isEqualTo(200);
    assertThat(preflight.getResponseHeaders().getAccessControlAllowOrigin())
        .isEqualTo("http://localhost:3000");
    assertThat(preflight.getResponseHeaders().getAccessControlAllowCredentials()).isTrue();

    var listed =
        graphQl(
            a, Map.of(HttpHeaders.ORIGIN, "http://localhost:3000"), "{ viewer { id } }", Map.of());
    assertThat(listed.getStatus().value()).isEqualTo(200);
    assertThat(listed.getResponseHeaders().getAccessControlAllowOrigin())
        .isEqualTo("http://localhost:3000");

    for (String method : List.of("OPTIONS", "POST")) {
      var spec =
          method.equals("OPTIONS")
              ? client(a)
                  .options()
                  .uri("/graphql")
                  .header(HttpHeaders.ACCESS_CONTROL_REQUEST_METHOD, "POST")
              : client(a)
                  .post()
                  .uri("/graphql")
                  .contentType(MediaType.APPLICATION_JSON)
                  .bodyValue(Map.of("query", "{ viewer { id } }"));
      var refused =
          spec.header(HttpHeaders.ORIGIN, "https://evil.example")
              .exchange()
              .expectBody(Map.class)
              .returnResult();
      assertThat(refused.getStatus().value()).as(method).isEqualTo(403);
      assertThat(refused.getResponseHeaders().getAccessControlAllowOrigin()).isNull();
      assertThat(refused.getResponseBody().toString()).contains("ORIGIN_NOT_ALLOWED");
    }
  }

  // --- helpers -----------------------------------------------------------------------------------

  record Account(String id, String email, String cookie) {}

  static Account signUp(ConfigurableApplicationContext instance) {
    String email = "s" + users.incrementAndGet() + "-" + UUID.randomUUID() + "@example.com";
    var result =
        graphQl(
            instance,
            Map.of(),
            "mutation($e:String!,$p:String!){signUp(email:$e,password:$p,displayName:\"S\"){id}}",
            Map.of("e", email, "p", "correct horse battery"));
    String id = (String) ((Map<?, ?>) data(result).get("signUp")).get("id");
    return new Account(id, email, result.getResponseCookies().getFirst("SESSION").getValue());
  }

  static String signUpCookieHeader(ConfigurableApplicationContext instance, String forwardedProto) {
    var request = client(instance).post().uri("/graphql").contentType(MediaType.APPLICATION_JSON);
    if (forwardedProto != null) {
      request = request.header("X-Forwarded-Proto", forwardedProto);
    }
    return request
        .bodyValue(
            Map.of(
                "query",
                "mutation($e:String!){signUp(email:$e,password:\"correct horse battery\",displayName:\"C\"){id}}",
                "variables",
                Map.of(
                    "e", "c" + users.incrementAndGet() + "-" + UUID.randomUUID() + "@example.com")))
        .exchange()
        .expectBody(Map.class)
        .returnResult()
        .getResponseHeaders()
        .getFirst(HttpHeaders.SET_COOKIE);
  }

  static String signInForToken(ConfigurableApplicationContext instance, Account account) {
    var result =
        graphQl(
            instance,
            Map.of(),
            "mutation($e:String!,$p:String!){signInForToken(email:$e,password:$p){token expiresAt user{id}}}",
            Map.of("e", account.email(), "p", "correct horse battery"));
    assertThat(result.getResponseCookies().getFirst("SESSION"))
        .as("no cookie for a token")
        .isNull();
    return (String) ((Map<?, ?>) data(result).get("signInForToken")).get("token");
  }

  static String startConversation(
      ConfigurableApplicationContext instance, Account from, Account to) {
    return (String)
        ((Map<?, ?>)
                data(graphQl(
                        instance,
                        cookie(from.cookie()),
                        "mutation($p:[ID!]!){startConversation(participantIds:$p){id}}",
                        Map.of("p", List.of(to.id()))))
                    .get("startConversation"))
            .get("id");
  }

  static void send(
      ConfigurableApplicationContext instance, Account from, String conversation, String body) {
    var result =
        graphQl(
            instance,
            cookie(from.cookie()),
            "mutation($c:ID!,$b:String!){sendMessage(conversationId:$c,body:$b){seq}}",
            Map.of("c", conversation, "b", body));
    assertThat(result.getResponseBody().get("errors")).as("%s", result.getResponseBody()).isNull();
  }

  static Object viewer(ConfigurableApplicationContext instance, Map<String, String> headers) {
    var result = graphQl(instance, headers, "{ viewer { id } }", Map.of());
    assertThat(result.getStatus().value()).as("%s", result.getResponseBody()).isEqualTo(200);
    var viewer = (Map<?, ?>) data(result).get("viewer");
    return viewer == null ? null : viewer.get("id");
  }

  static double writes() {
    return counter(a, "dedw3n.sessions.writes") + counter(b, "dedw3n.sessions.writes");
  }

  static double counter(ConfigurableApplicationContext instance, String name) {
    var found = instance.getBean(MeterRegistry.class).find(name).counter();
    return found == null ? 0 : found.count();
  }

  static Map<String, String> cookie(String value) {
    return Map.of(HttpHeaders.COOKIE, "SESSION=" + value);
  }

  static Map<String, String> bearer(String token) {
    return Map.of(HttpHeaders.AUTHORIZATION, "Bearer " + token);
  }

  static EntityExchangeResult<Map> graphQl(
      ConfigurableApplicationContext instance,
      Map<String, String> headers,
      String query,
      Map<String, Object> variables) {
    var request = client(instance).post().uri("/graphql").contentType(MediaType.APPLICATION_JSON);
    for (var header : headers.entrySet()) {
      request = request.header(header.getKey(), header.getValue());
    }
    return request
        .bodyValue(Map.of("query", query, "variables", variables))
        .exchange()
        .expectBody(Map.class)
        .returnResult();
  }

  @SuppressWarnings("unchecked")
  static Map<String, Object> data(EntityExchangeResult<Map> result) {
    Object data = result.getResponseBody().get("data");
    assertThat(data).as("%s", result.getResponseBody()).isNotNull();
    return (Map<String, Object>) data;
  }

  static WebTestClient client(ConfigurableApplicationContext instance) {
    return WebTestClient.bindToServer()
        .baseUrl(base(instance))
        .responseTimeout(Duration.ofSeconds(30))
        .build();
  }

  static String base(ConfigurableApplicationContext instance) {
    return "http://localhost:" + instance.getEnvironment().getProperty("local.server.port");
  }

  /**
   * A graphql-transport-ws client as graphql-ws speaks it: connection_init on open (with a token,
   * or relying on the upgrade's cookie), subscribe once acknowledged, collect the messages.
   */
  static final class Socket {
    /** A conversation's messages, from a cursor ($a). */
    static final String MESSAGES =
        "subscription($c:ID!,$a:String){messageAdded(conversationId:$c,after:$a){body cursor}}";

    final Sinks.Many<Map<String, Object>> messages = Sinks.many().replay().all();
    final Sinks.Many<String> outgoing = Sinks.many().unicast().onBackpressureBuffer();
    final AtomicReference<CloseStatus> closeStatus = new AtomicReference<>();
    final List<Map<String, Object>> received = new CopyOnWriteArrayList<>();
    final Sinks.One<Boolean> subscribed = Sinks.one();
    Disposable connection;
    int read;

    static Socket open(
        ConfigurableApplicationContext instance,
        String cookie,
        String token,
        String conversation,
        String after) {
      return operation(
          instance,
          cookie,
          token,
          MESSAGES,
          // from the conversation's start (seq 0) unless resuming: a message sent before the
          // server has set the subscription up is still delivered
          Map.of("c", conversation, "a", after == null ? FROM_START : after));
    }

    /** Any operation over the socket (graphql-ws sends queries and mutations the same way). */
    static Socket operation(
        ConfigurableApplicationContext instance,
        String cookie,
        String token,
        String query,
        Map<String, Object> variables) {
      Socket socket = connect(instance, cookie, token, query, variables);
      socket.subscribed.asMono().block(Duration.ofSeconds(10));
      return socket;
    }

    /** A socket that sends connection_init, and the operation once acknowledged; not waited for. */
    static Socket connect(
        ConfigurableApplicationContext instance,
        String cookie,
        String token,
        String query,
        Map<String, Object> variables) {
      Socket socket = new Socket();
      HttpHeaders headers = new HttpHeaders();
      if (cookie != null) {
        headers.set(HttpHeaders.COOKIE, "SESSION=" + cookie);
      }
      String init =
          token == null
              ? "{\"type\":\"connection_init\"}"
              : "{\"type\":\"connection_init\",\"payload\":{\"sessionToken\":\"" + token + "\"}}";
      String subscribe = GraphQlTransportWs.subscribe("1", query, variables);
      socket.connection =
          new ReactorNettyWebSocketClient()
              .execute(
                  URI.create(base(instance).replace("http", "ws") + "/graphql"),
                  headers,
                  new org.springframework.web.reactive.socket.WebSocketHandler() {
                    @Override
                    public List<String> getSubProtocols() {
                      return List.of("graphql-transport-ws");
                    }

                    @Override
                    public Mono<Void> handle(
                        org.springframework.web.reactive.socket.WebSocketSession session) {
                      session.closeStatus().subscribe(socket.closeStatus::set);
                      Sinks.Many<String> out = socket.outgoing;
                      out.tryEmitNext(init);
                      Mono<Void> receive =
                          session
                              .receive()
                              .map(WebSocketMessage::getPayloadAsText)
                              .doOnNext(
                                  text -> {
                                    @SuppressWarnings("unchecked")
                                    Map<String, Object> message = json.readValue(text, Map.class);
                                    if ("connection_ack".equals(message.get("type"))) {
                                      out.tryEmitNext(subscribe);
                                      socket.subscribed.tryEmitValue(true);
                                    } else if ("next".equals(message.get("type"))) {
                                      socket.messages.tryEmitNext(message);
                                    }
                                  })
                              .then();
                      return session.send(out.asFlux().map(session::textMessage)).and(receive);
                    }
                  })
              .subscribe();
      return socket;
    }

    /** Subscribes once more over this socket, as graphql-ws does for each operation. */
    void subscribe(String id, String conversation) {
      outgoing.tryEmitNext(
          GraphQlTransportWs.subscribe(id, MESSAGES, Map.of("c", conversation, "a", FROM_START)));
    }

    /** The next result, data or errors, waiting up to {@code wait}; null when none came. */
    Map<String, Object> nextMessage(Duration wait) {
      var message = messages.asFlux().skip(read).next().timeout(wait, Mono.empty()).block();
      if (message != null) {
        read++;
      }
      return message;
    }

    String nextBody() {
      var message = messages.asFlux().skip(read).next().block(Duration.ofSeconds(10));
      read++;
      received.add(message);
      return (String) field(message, "body");
    }

    /** The payload of the next result, data and errors. */
    @SuppressWarnings("unchecked")
    Map<String, Object> nextPayload() {
      var message = messages.asFlux().skip(read).next().block(Duration.ofSeconds(10));
      read++;
      return (Map<String, Object>) message.get("payload");
    }

    String lastCursor() {
      return (String) field(received.get(received.size() - 1), "cursor");
    }

    @SuppressWarnings("unchecked")
    static Object field(Map<String, Object> message, String name) {
      var payload = (Map<String, Object>) message.get("payload");
      var data = (Map<String, Object>) payload.get("data");
      return ((Map<String, Object>) data.get("messageAdded")).get(name);
    }

    /** The close code the server closed this socket with, waiting up to 5 s. */
    int closed() {
      long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
      while (closeStatus.get() == null && System.nanoTime() < deadline) {
        Mono.delay(Duration.ofMillis(50)).block();
      }
      return closeStatus.get() == null ? -1 : closeStatus.get().getCode();
    }

    void close() {
      connection.dispose();
    }
  }
}
