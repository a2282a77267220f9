package com.dedw3n.chat.internal;

import static org.assertj.core.api.Assertions.assertThat;

import com.dedw3n.ApiTests;
import com.dedw3n.platform.web.InFlightRequests;
import io.micrometer.core.instrument.MeterRegistry;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.r2dbc.pool.ConnectionPool;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseCookie;
import org.springframework.web.reactive.function.client.WebClient;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.publisher.Sinks;
import reactor.netty.http.client.HttpClient;
import reactor.netty.http.client.WebsocketClientSpec;
import reactor.netty.resources.ConnectionProvider;
import reactor.util.retry.Retry;
import tools.jackson.databind.json.JsonMapper;

/**
 * The interactions that once left a request unanswered, many times over in one JVM: sign-up and
 * sign-in, conversations, WebSocket subscriptions opened the way graphql-ws opens them ({@code
 * connection_init} in the instant the socket opens; a cookie, a token or nothing), sends,
 * deliveries, subscriptions stopped, and feed reads competing under the execution limit. Every step
 * has a deadline; one missed fails loudly with what the server still had in flight (HTTP exchanges,
 * sockets, execution permits, pooled connections, watched conversations).
 *
 * <p>{@code -Dstress.rounds=50} runs it 50 times (the build runs 3).
 */
class RealtimeStressTests extends ApiTests {

  private static final Duration DEADLINE = Duration.ofSeconds(10);
  private static final int CLIENTS = 8;

  @Autowired InFlightRequests inFlight;
  @Autowired MeterRegistry meters;
  @Autowired ConnectionPool pool;
  @Autowired ChatSubscriptions subscriptions;

  private final JsonMapper json = JsonMapper.builder().build();
  private final ConnectionProvider sockets = ConnectionProvider.newConnection();

  @Test
  void everyInteractionIsAnsweredRoundAfterRound() {
    int rounds = Integer.getInteger("stress.rounds", 3);
    for (int round = 1; round <= rounds; round++) {
      int r = round;
      Flux.range(0, CLIENTS)
          .flatMap(client -> conversationRound(r, client), CLIENTS)
          .mergeWith(feedReads(r))
          .then()
          .block(Duration.ofMinutes(2));
    }
    System.out.println(
        "RealtimeStressTests: " + rounds + " rounds, " + shed.get() + " answers were 503/429");
  }

  /** Two users sign up and in, talk over a conversation both subscribe to, and leave. */
  private Mono<Void> conversationRound(int round, int client) {
    String tag = round + "-" + client + "-" + UUID.randomUUID().toString().substring(0, 6);
    return step("sign up " + tag, register("ann-" + tag))
        .zipWith(step("sign up " + tag, register("ben-" + tag)))
        .flatMap(
            users -> {
              Account ann = users.getT1();
              Account ben = users.getT2();
              return step("sign in " + tag, signIn(ann))
                  .then(step("start conversation " + tag, startConversation(ann, ben)))
                  .flatMap(conversation -> talk(tag, client, ann, ben, conversation));
            });
  }

  private Mono<Void> talk(String tag, int client, Account ann, Account ben, String conversation) {
    // alternate how the socket identifies its user, as browsers and mobile apps do
    boolean byCookie = client % 2 == 0;
    Sinks.Many<Map<String, Object>> received = Sinks.many().replay().all();
    Mono<Void> socket =
        HttpClient.create(sockets)
            .headers(
                h -> {
                  if (byCookie) {
                    h.set(HttpHeaderNames.COOKIE, "SESSION=" + ben.session());
                  }
                })
            .websocket(WebsocketClientSpec.builder().protocols("graphql-transport-ws").build())
            .uri("ws://localhost:" + port + "/graphql")
            .handle(
                (in, out) -> {
                  String init =
                      byCookie
                          ? "{\"type\":\"connection_init\"}"
                          : "{\"type\":\"connection_init\",\"payload\":{\"sessionToken\":\""
                              + ben.session()
                              + "\"}}";
                  Flux<Map<String, Object>> messages =
                      in.receive().asString().map(this::parse).share();
                  return Flux.merge(
                          // connection_init in the instant the socket opens, as graphql-ws does
                          out.sendString(Mono.just(init)).then().then(Mono.empty()),
                          // subscribe once acknowledged
                          messages
                              .filter(m -> "connection_ack".equals(m.get("type")))
                              .next()
                              .flatMap(
                                  ack -> out.sendString(Mono.just(subscribe(conversation))).then())
                              .then(Mono.empty()),
                          messages
                              .filter(m -> "next".equals(m.get("type")))
                              .doOnNext(m -> received.tryEmitNext(m)))
                      .then();
                })
            .then();
    var connection = socket.subscribe();
    return step(
            "conversation " + tag + ": messages delivered",
            Mono.delay(Duration.ofMillis(300))
                .then(send(ann, conversation, "first " + tag))
                .then(received.asFlux().next())
                .then(send(ann, conversation, "second " + tag))
                .then(send(ann, conversation, "third " + tag))
                .then(received.asFlux().take(3).count()))
        .doOnNext(count -> assertThat(count).isEqualTo(3))
        .doFinally(signal -> connection.dispose())
        .then();
  }

  private String subscribe(String conversation) {
    return "{\"id\":\"1\",\"type\":\"subscribe\",\"payload\":{\"query\":"
        + "\"subscription($c:ID!){messageAdded(conversationId:$c){seq body}}\","
        + "\"variables\":{\"c\":\""
        + conversation
        + "\"}}}";
  }

  /** Feed reads competing with everything above for the execution limit. */
  private Flux<Void> feedReads(int round) {
    return Flux.range(0, 40)
        .flatMap(
            i ->
                step(
                    "feed read " + round + "-" + i,
                    graphQl(
                            null,
                            "{ products(first: 20) { edges { node { id seller { displayName } } } } }",
                            Map.of())
                        .then()),
            8);
  }

  // --- the steps, each with its deadline ---------------------------------------------------------

  private <T> Mono<T> step(String name, Mono<T> work) {
    return work.timeout(
        DEADLINE,
        Mono.error(
            () ->
                new AssertionError(
                    "No answer within " + DEADLINE + " for " + name + "\n" + state())));
  }

  private String state() {
    var metrics = pool.getMetrics().orElseThrow();
    return "in flight: "
        + inFlight.snapshot()
        + "\nexecuting "
        + gauge("dedw3n.graphql.executing")
        + ", queued "
        + gauge("dedw3n.graphql.queued")
        + "\npool: acquired "
        + metrics.acquiredSize()
        + ", idle "
        + metrics.idleSize()
        + ", pending "
        + metrics.pendingAcquireSize()
        + "\nwatched: "
        + subscriptions.watched();
  }

  private double gauge(String name) {
    var gauge = meters.find(name).gauge();
    return gauge == null ? Double.NaN : gauge.value();
  }

  record Account(String id, String email, String session) {}

  /** A 503 or 429 with Retry-After: the server answered, and asked to be asked again. */
  static final class Shed extends RuntimeException {
    Shed() {
      super(null, null, false, false);
    }
  }

  private final AtomicInteger shed = new AtomicInteger();

  private static final AtomicInteger accounts = new AtomicInteger();

  private Mono<Account> register(String name) {
    String email = name + "-" + accounts.incrementAndGet() + "@example.com";
    return web()
        .post()
        .uri("/graphql")
        .contentType(MediaType.APPLICATION_JSON)
        .bodyValue(
            Map.of(
                "query",
                "mutation($e:String!,$p:String!,$n:String!){signUp(email:$e,password:$p,displayName:$n){id}}",
                "variables",
                Map.of("e", email, "p", "correct horse battery", "n", name)))
        .exchangeToMono(
            response -> {
              ResponseCookie cookie = response.cookies().getFirst("SESSION");
              return response
                  .bodyToMono(Map.class)
                  .map(
                      body -> {
                        assertThat(cookie).as("session cookie of %s", body).isNotNull();
                        return new Account(
                            (String)
                                ((Map<?, ?>) ((Map<?, ?>) body.get("data")).get("signUp"))
                                    .get("id"),
                            email,
                            cookie.getValue());
                      });
            });
  }

  private Mono<Void> signIn(Account account) {
    return graphQl(
            null,
            "mutation($e:String!,$p:String!){signIn(email:$e,password:$p){id}}",
            Map.of("e", account.email(), "p", "correct horse battery"))
        .doOnNext(body -> assertThat(body.get("errors")).as("%s", body).isNull())
        .then();
  }

  private Mono<String> startConversation(Account ann, Account ben) {
    return graphQl(
            ann.session(),
            "mutation($p:[ID!]!){startConversation(participantIds:$p){id}}",
            Map.of("p", List.of(ben.id())))
        .map(
            body ->
                (String)
                    ((Map<?, ?>) ((Map<?, ?>) body.get("data")).get("startConversation"))
                        .get("id"));
  }

  private Mono<Void> send(Account sender, String conversation, String body) {
    return graphQl(
            sender.session(),
            "mutation($c:ID!,$b:String!){sendMessage(conversationId:$c,body:$b){seq}}",
            Map.of("c", conversation, "b", body))
        .doOnNext(answer -> assertThat(answer.get("errors")).as("%s", answer).isNull())
        .then();
  }

  @SuppressWarnings("unchecked")
  private Mono<Map<String, Object>> graphQl(
      String session, String query, Map<String, Object> variables) {
    var request =
        web()
            .post()
            .uri("/graphql")
            .contentType(MediaType.APPLICATION_JSON)
            .bodyValue(Map.of("query", query, "variables", variables));
    if (session != null) {
      request = request.cookie("SESSION", session);
    }
    return request
        .exchangeToMono(
            response ->
                response
                    .bodyToMono(Map.class)
                    .map(
                        body -> {
                          int status = response.statusCode().value();
                          if (status == 503 || status == 429) {
                            // shed load (the queue deadline, at 2 cores with BCrypt holding
                            // execution permits): an answer, which clients retry after
                            // Retry-After, as this one does within the step's deadline
                            shed.incrementAndGet();
                            throw new Shed();
                          }
                          // an answer, but not the one the step needs: fail with what it said
                          assertThat(status).as("%s answered %s", query, body).isEqualTo(200);
                          return (Map<String, Object>) body;
                        }))
        .retryWhen(
            Retry.fixedDelay(Long.MAX_VALUE, Duration.ofSeconds(1)).filter(Shed.class::isInstance));
  }

  private WebClient web() {
    return WebClient.create("http://localhost:" + port);
  }

  @SuppressWarnings("unchecked")
  private Map<String, Object> parse(String frame) {
    return json.readValue(frame, Map.class);
  }
}
