package com.dedw3n.chat;

import static org.assertj.core.api.Assertions.assertThat;

import com.dedw3n.Instances;
import com.dedw3n.RedisBehindProxy;
import java.io.IOException;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.LongStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.core.io.FileSystemResource;
import org.springframework.graphql.client.WebSocketGraphQlClient;
import org.springframework.graphql.support.ResourceDocumentSource;
import org.springframework.http.HttpHeaders;
import org.springframework.http.MediaType;
import org.springframework.test.web.reactive.server.EntityExchangeResult;
import org.springframework.test.web.reactive.server.WebTestClient;
import org.springframework.web.reactive.socket.client.ReactorNettyWebSocketClient;
import reactor.core.Disposable;
import reactor.core.publisher.Mono;

/**
 * Two instances whose Redis goes away under load, through a TCP proxy the test controls
 * (NetCrusher): first closed (connections dropped, new ones refused), then frozen (connections stay
 * open and nothing answers, as when the Redis process is paused). Meanwhile every instance keeps
 * answering reads and acknowledging sends within a second, health answers within two seconds and
 * reports Redis down, and afterwards every subscriber on both instances has every message once, in
 * order; typing indicators, which only Redis carries, cross instances again within seconds.
 *
 * <p>Each outage lasts {@code -Dredis.outage} (8 s in the build; the 30 s by hand).
 */
class RedisOutageTests {

  static final Duration OUTAGE = Duration.parse(System.getProperty("redis.outage", "PT8S"));

  static RedisBehindProxy redis;
  static ConfigurableApplicationContext a;
  static ConfigurableApplicationContext b;

  @BeforeAll
  static void startTwoInstances() throws IOException {
    redis = RedisBehindProxy.start();
    String viaProxy = redis.url();
    String prefix = "dedw3n:test:" + UUID.randomUUID() + ":";
    a = instance(viaProxy, prefix);
    b = instance(viaProxy, prefix);
  }

  static ConfigurableApplicationContext instance(String redisUrl, String prefix) {
    return Instances.builder()
        .run(
            "--server.port=0",
            "--spring.data.redis.url=" + redisUrl,
            "--dedw3n.chat.redis-channel=" + prefix + "chat",
            "--dedw3n.budgets.redis-key-prefix=" + prefix,
            // sessions are not the subject here: in Redis, a signed-in request fails closed while
            // Redis is away (SessionTests); this test proves the chat bus, the budgets and health
            // never wait on Redis, so its sessions live in each instance's memory
            "--dedw3n.session.redis=false");
  }

  @AfterAll
  static void stop() throws IOException {
    if (a != null) a.close();
    if (b != null) b.close();
    if (redis != null) redis.close();
  }

  @Test
  void redisDownOrFrozenNeitherStallsAnInstanceNorLosesAMessage() {
    String tag = UUID.randomUUID().toString().substring(0, 8);
    String annEmail = "ann-" + tag + "@example.com";
    String benEmail = "ben-" + tag + "@example.com";
    String benId = signUp(a, benEmail);
    signUp(a, annEmail);
    // sessions live in one instance's memory (until sessions move to Redis): sign in on each
    Map<ConfigurableApplicationContext, String> ann =
        Map.of(a, signIn(a, annEmail), b, signIn(b, annEmail));
    Map<ConfigurableApplicationContext, String> ben =
        Map.of(a, signIn(a, benEmail), b, signIn(b, benEmail));
    String conversation =
        (String)
            ((Map<?, ?>)
                    data(graphQl(
                            a,
                            ann.get(a),
                            "mutation($p:[ID!]!){startConversation(participantIds:$p){id}}",
                            Map.of("p", List.of(benId))))
                        .get("startConversation"))
                .get("id");
    List<Long> onA = new CopyOnWriteArrayList<>();
    List<Long> onB = new CopyOnWriteArrayList<>();
    List<Disposable> subscriptions =
        List.of(
            subscribe(a, ben.get(a), conversation, onA),
            subscribe(b, ben.get(b), conversation, onB));
    Mono.delay(Duration.ofSeconds(1)).block();

    int sent = 0;
    sent += underLoad(ann, conversation, sent, "healthy", 1);
    redis.proxy().close(); // Redis down: connections dropped, new ones refused
    sent += underLoad(ann, conversation, sent, "down", OUTAGE.toSeconds() * 4);
    redis.proxy().open();
    sent += underLoad(ann, conversation, sent, "back", 4);
    redis.proxy().freeze(); // Redis frozen: connections open, nothing answers
    sent += underLoad(ann, conversation, sent, "frozen", OUTAGE.toSeconds() * 4);
    redis.proxy().unfreeze();
    sent += underLoad(ann, conversation, sent, "thawed", 4);

    List<Long> expected = LongStream.rangeClosed(1, sent).boxed().toList();
    long deadline = System.nanoTime() + Duration.ofSeconds(15).toNanos();
    while ((onA.size() < sent || onB.size() < sent) && System.nanoTime() < deadline) {
      Mono.delay(Duration.ofMillis(100)).block();
    }
    assertThat(onA).as("every message once, in order, on a").isEqualTo(expected);
    assertThat(onB).as("every message once, in order, on b").isEqualTo(expected);

    // typing indicators cross instances through Redis alone: pub/sub is back
    List<Object> typing = new CopyOnWriteArrayList<>();
    Disposable typingOnB =
        ws(b, ben.get(b))
            .document("subscription($c:ID!){typing(conversationId:$c){user{id}}}")
            .variable("c", conversation)
            .retrieveSubscription("typing")
            .toEntity(Map.class)
            .subscribe(typing::add);
    long typingDeadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
    while (typing.isEmpty() && System.nanoTime() < typingDeadline) {
      graphQl(
          a,
          ann.get(a),
          "mutation($c:ID!){setTyping(conversationId:$c)}",
          Map.of("c", conversation));
      Mono.delay(Duration.ofMillis(300)).block();
    }
    typingOnB.dispose();
    subscriptions.forEach(Disposable::dispose);
    assertThat(typing).as("typing indicators from a reach b again").isNotEmpty();
  }

  /**
   * {@code steps} times, 250 ms apart: one send through a or b (acknowledged within a second), a
   * feed read on each instance (within a second), and health on each (within two seconds, and
   * reporting Redis down while it is). Returns how many messages were sent.
   */
  private int underLoad(
      Map<ConfigurableApplicationContext, String> sender,
      String conversation,
      int sentBefore,
      String phase,
      long steps) {
    boolean redisGone = phase.equals("down") || phase.equals("frozen");
    boolean healthSawRedisDown = false;
    int sent = 0;
    for (int step = 0; step < steps; step++) {
      var instance = step % 2 == 0 ? a : b;
      long started = System.nanoTime();
      var answer =
          graphQl(
              instance,
              sender.get(instance),
              "mutation($c:ID!,$b:String!){sendMessage(conversationId:$c,body:$b){seq}}",
              Map.of("c", conversation, "b", phase + " " + step));
      assertThat(Duration.ofNanos(System.nanoTime() - started))
          .as("send acknowledged while Redis is %s", phase)
          .isLessThan(Duration.ofSeconds(1));
      assertThat(answer.getResponseBody().get("errors"))
          .as("%s", answer.getResponseBody())
          .isNull();
      sent++;
      for (var reader : List.of(a, b)) {
        long read = System.nanoTime();
        var feed =
            graphQl(reader, null, "{ products(first: 5) { edges { node { id } } } }", Map.of());
        assertThat(feed.getStatus().value()).isEqualTo(200);
        assertThat(Duration.ofNanos(System.nanoTime() - read))
            .as("feed read while Redis is %s", phase)
            .isLessThan(Duration.ofSeconds(1));
      }
      if (step % 4 == 0) {
        for (var probed : List.of(a, b)) {
          long asked = System.nanoTime();
          var health =
              client(probed)
                  .get()
                  .uri("/actuator/health")
                  .exchange()
                  .expectBody(Map.class)
                  .returnResult();
          assertThat(Duration.ofNanos(System.nanoTime() - asked))
              .as("health while Redis is %s", phase)
              .isLessThan(Duration.ofSeconds(2));
          var redisHealth =
              (Map<?, ?>) ((Map<?, ?>) health.getResponseBody().get("components")).get("redis");
          healthSawRedisDown |= "DOWN".equals(redisHealth.get("status"));
        }
      }
      Mono.delay(Duration.ofMillis(250)).block();
    }
    if (redisGone) {
      assertThat(healthSawRedisDown)
          .as("health reported Redis down while it was %s", phase)
          .isTrue();
    }
    return sent;
  }

  // --- helpers ---------------------------------------------------------------------------------

  static Disposable subscribe(
      ConfigurableApplicationContext instance,
      String session,
      String conversation,
      List<Long> seqs) {
    return ws(instance, session)
        .documentName("messageAdded")
        .variable("conversationId", conversation)
        .retrieveSubscription("messageAdded")
        .toEntity(Map.class)
        .subscribe(m -> seqs.add(((Number) m.get("seq")).longValue()));
  }

  static WebSocketGraphQlClient ws(ConfigurableApplicationContext instance, String session) {
    return WebSocketGraphQlClient.builder(
            URI.create(base(instance).replace("http", "ws") + "/graphql"),
            new ReactorNettyWebSocketClient())
        .header(HttpHeaders.COOKIE, "SESSION=" + session)
        .documentSource(
            new ResourceDocumentSource(
                List.of(new FileSystemResource("api/")), List.of(".graphql")))
        .build();
  }

  static String signUp(ConfigurableApplicationContext instance, String email) {
    var result =
        graphQl(
            instance,
            null,
            "mutation($e:String!,$p:String!){signUp(email:$e,password:$p,displayName:\"R\"){id}}",
            Map.of("e", email, "p", "correct horse battery"));
    return (String) ((Map<?, ?>) data(result).get("signUp")).get("id");
  }

  static String signIn(ConfigurableApplicationContext instance, String email) {
    var result =
        client(instance)
            .post()
            .uri("/graphql")
            .contentType(MediaType.APPLICATION_JSON)
            .bodyValue(
                Map.of(
                    "query",
                    "mutation($e:String!,$p:String!){signIn(email:$e,password:$p){id}}",
                    "variables",
                    Map.of("e", email, "p", "correct horse battery")))
            .exchange()
            .expectBody(Map.class)
            .returnResult();
    return result.getResponseCookies().getFirst("SESSION").getValue();
  }

  static EntityExchangeResult<Map> graphQl(
      ConfigurableApplicationContext instance,
      String session,
      String query,
      Map<String, Object> variables) {
    var request = client(instance).post().uri("/graphql").contentType(MediaType.APPLICATION_JSON);
    if (session != null) {
      request = request.cookie("SESSION", session);
    }
    return request
        .bodyValue(Map.of("query", query, "variables", variables))
        .exchange()
        .expectBody(Map.class)
        .returnResult();
  }

  @SuppressWarnings("unchecked")
  static Map<String, Object> data(EntityExchangeResult<Map> result) {
    return (Map<String, Object>) result.getResponseBody().get("data");
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
}
