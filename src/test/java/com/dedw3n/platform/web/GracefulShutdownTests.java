package com.dedw3n.platform.web;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.dedw3n.Instances;
import com.dedw3n.platform.graphql.WebSocketShutdown;
import io.r2dbc.spi.ConnectionFactories;
import io.r2dbc.spi.ConnectionFactoryOptions;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.graphql.client.WebSocketGraphQlClient;
import org.springframework.http.HttpHeaders;
import org.springframework.r2dbc.core.DatabaseClient;
import org.springframework.web.reactive.socket.client.ReactorNettyWebSocketClient;
import tools.jackson.databind.json.JsonMapper;

/**
 * A server shut down (as SIGTERM does: the context closes) under 16 connections of mixed reads and
 * writes drops no request: it reports not ready at once, answers every request that reaches it
 * during the drain with {@code Connection: close} (so clients leave the connection instead of
 * reusing it as the server stops), and finishes the requests in flight.
 *
 * <p>Each client stops sending to the instance once it was told {@code Connection: close}, as a
 * load balancer or the gateway does once an instance is not ready; everything it sent before must
 * have been answered.
 */
class GracefulShutdownTests {

  private static final int CONNECTIONS = 16;
  private static final JsonMapper JSON = new JsonMapper();

  @Test
  void aShutdownUnderLoadDropsNoRequestAndReportsNotReadyWhileDraining() throws Exception {
    ConfigurableApplicationContext server =
        Instances.builder()
            .run(
                "--server.port=0",
                "--dedw3n.web.drain-delay=2s",
                // the clients write posts as fast as they can: not what this test is about
                "--dedw3n.budgets.posts.capacity=1000000",
                "--dedw3n.budgets.posts.refill=1000000");
    String base = "http://localhost:" + server.getEnvironment().getProperty("local.server.port");
    HttpClient client =
        HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5))
            .build();
    List<String> sessions = new ArrayList<>();
    for (int i = 0; i < 4; i++) {
      sessions.add(signUp(client, base));
    }

    AtomicInteger answered = new AtomicInteger();
    AtomicInteger toldToClose = new AtomicInteger();
    ConcurrentLinkedQueue<String> failures = new ConcurrentLinkedQueue<>();
    CountDownLatch warm = new CountDownLatch(CONNECTIONS * 5);
    List<CompletableFuture<Void>> clients = new ArrayList<>();
    for (int c = 0; c < CONNECTIONS; c++) {
      int id = c;
      clients.add(
          CompletableFuture.runAsync(
              () -> {
                for (int n = 0; ; n++) {
                  HttpRequest request =
                      id % 2 == 0
                          ? read(base)
                          : write(base, sessions.get(id % sessions.size()), id + "-" + n);
                  HttpResponse<String> response;
                  try {
                    response = client.send(request, HttpResponse.BodyHandlers.ofString());
                  } catch (Exception e) {
                    failures.add("client " + id + " request " + n + ": " + e);
                    return;
                  }
                  if (response.statusCode() != 200 || response.body().contains("\"errors\"")) {
                    failures.add(
                        "client "
                            + id
                            + " request "
                            + n
                            + ": "
                            + response.statusCode()
                            + " "
                            + response.body());
                    return;
                  }
                  answered.incrementAndGet();
                  warm.countDown();
                  if (response
                      .headers()
                      .firstValue("connection")
                      .orElse("")
                      .equalsIgnoreCase("close")) {
                    toldToClose.incrementAndGet();
                    return; // this instance is going away: a balancer sends elsewhere now
                  }
                }
              },
              java.util.concurrent.Executors.newSingleThreadExecutor()));
    }
    assertThat(warm.await(60, TimeUnit.SECONDS)).as("every client under way").isTrue();

    CompletableFuture<Void> shutdown = CompletableFuture.runAsync(server::close);
    // during the drain the instance still answers, and says it is not ready
    int readiness = 0;
    long deadline = System.nanoTime() + Duration.ofSeconds(2).toNanos();
    while (readiness != 503 && System.nanoTime() < deadline) {
      readiness =
          client
              .send(
                  HttpRequest.newBuilder(URI.create(base + "/actuator/health/readiness")).build(),
                  HttpResponse.BodyHandlers.discarding())
              .statusCode();
    }
    assertThat(readiness).as("readiness while draining").isEqualTo(503);

    CompletableFuture.allOf(clients.toArray(CompletableFuture[]::new)).get(60, TimeUnit.SECONDS);
    shutdown.get(60, TimeUnit.SECONDS);
    assertThat(failures).as("requests that failed").isEmpty();
    assertThat(toldToClose.get()).as("clients told to close").isEqualTo(CONNECTIONS);
    assertThat(answered.get()).isGreaterThan(CONNECTIONS * 5);
  }

  /**
   * A mutation sent over a WebSocket is answered before the socket closes with 1001, and one sent
   * once the shutdown has started is never run. graphql-ws sends an unanswered operation again
   * after a 1001, to the instance it reconnects to: a mutation cut after its statement committed
   * was stored twice (a chat message without an idempotency key).
   */
  @Test
  void aMutationOverAWebSocketIsAnsweredBeforeTheSocketGoesAway() throws Exception {
    ConfigurableApplicationContext server =
        Instances.builder().run("--server.port=0", "--dedw3n.web.drain-delay=0s");
    // a connection of the test's own: the server's pool closes with it
    var env = server.getEnvironment();
    DatabaseClient db =
        DatabaseClient.create(
            ConnectionFactories.get(
                ConnectionFactoryOptions.parse(env.getProperty("spring.r2dbc.url"))
                    .mutate()
                    .option(ConnectionFactoryOptions.USER, env.getProperty("spring.r2dbc.username"))
                    .option(
                        ConnectionFactoryOptions.PASSWORD,
                        env.getProperty("spring.r2dbc.password", ""))
                    .build()));
    String tag = UUID.randomUUID().toString().substring(0, 8);
    String trigger = "test_slow_post_" + tag;
    db.sql(
            "CREATE FUNCTION "
                + trigger
                + "() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN IF NEW.body LIKE 'slow-"
                + tag
                + "%' THEN PERFORM pg_sleep(2); END IF; RETURN NEW; END $$")
        .then()
        .block();
    db.sql(
            "CREATE TRIGGER "
                + trigger
                + " BEFORE INSERT ON posts FOR EACH ROW EXECUTE FUNCTION "
                + trigger
                + "()")
        .then()
        .block();
    try {
      String port = env.getProperty("local.server.port");
      HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
      String session = signUp(http, "http://localhost:" + port);
      var socket =
          WebSocketGraphQlClient.builder(
                  URI.create("ws://localhost:" + port + "/graphql"),
                  new ReactorNettyWebSocketClient())
              .header(HttpHeaders.COOKIE, "SESSION=" + session)
              .build();
      String create = "mutation($b:String!){ createPost(body:$b) { id } }";
      var first =
          socket.document(create).variable("b", "slow-" + tag + " first").execute().toFuture();
      await(
          () ->
              db.sql(
                          "SELECT count(*) AS n FROM pg_stat_activity WHERE wait_event = 'PgSleep'"
                              + " AND query LIKE '%INSERT INTO posts%'")
                      .map(row -> row.get("n", Long.class))
                      .one()
                      .block()
                  > 0);
      WebSocketShutdown sockets = server.getBean(WebSocketShutdown.class);
      CompletableFuture<Void> shutdown = CompletableFuture.runAsync(server::close);
      await(() -> !sockets.isRunning());
      var second =
          socket.document(create).variable("b", "slow-" + tag + " second").execute().toFuture();

      Object id = first.get(30, TimeUnit.SECONDS).field("createPost.id").getValue();
      assertThat(id).as("the answer of the mutation under way").isNotNull();
      assertThatThrownBy(() -> second.get(30, TimeUnit.SECONDS))
          .as("the mutation sent during the shutdown, for the client to send elsewhere")
          .hasMessageContaining("1001");
      shutdown.get(60, TimeUnit.SECONDS);
      assertThat(
              db.sql("SELECT body FROM posts WHERE body LIKE $1")
                  .bind(0, "slow-" + tag + "%")
                  .map(row -> row.get("body", String.class))
                  .all()
                  .collectList()
                  .block())
          .containsExactly("slow-" + tag + " first");
    } finally {
      if (server.isActive()) {
        server.close();
      }
      db.sql("DROP TRIGGER " + trigger + " ON posts").then().block();
      db.sql("DROP FUNCTION " + trigger + "()").then().block();
    }
  }

  private static void await(java.util.function.BooleanSupplier condition)
      throws InterruptedException {
    long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
    while (!condition.getAsBoolean()) {
      assertThat(System.nanoTime()).as("waited 20 s").isLessThan(deadline);
      Thread.sleep(20);
    }
  }

  private static HttpRequest read(String base) {
    return graphQl(base, null, "{ products(first: 10) { edges { node { id title } } } }", Map.of());
  }

  private static HttpRequest write(String base, String session, String body) {
    return graphQl(
        base,
        session,
        "mutation($b:String!){ createPost(body:$b) { id } }",
        Map.of("b", "drain " + body));
  }

  private static HttpRequest graphQl(
      String base, String session, String query, Map<String, String> variables) {
    String json = JSON.writeValueAsString(Map.of("query", query, "variables", variables));
    HttpRequest.Builder request =
        HttpRequest.newBuilder(URI.create(base + "/graphql"))
            .timeout(Duration.ofSeconds(30))
            .header("Content-Type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofString(json));
    if (session != null) {
      request.header("Cookie", "SESSION=" + session);
    }
    return request.build();
  }

  private static String signUp(HttpClient client, String base) throws Exception {
    String email = "drain-" + UUID.randomUUID() + "@example.com";
    HttpResponse<String> response =
        client.send(
            graphQl(
                base,
                null,
                "mutation($e:String!,$p:String!,$n:String!){ signUp(email:$e,password:$p,displayName:$n) { id } }",
                Map.of("e", email, "p", "correct horse battery", "n", "Drain")),
            HttpResponse.BodyHandlers.ofString());
    return response.headers().allValues("set-cookie").stream()
        .filter(cookie -> cookie.startsWith("SESSION="))
        .map(cookie -> cookie.substring("SESSION=".length(), cookie.indexOf(';')))
        .findFirst()
        .orElseThrow(() -> new AssertionError("no session: " + response.body()));
  }
}
