package com.dedw3n.platform.observability;

import static org.assertj.core.api.Assertions.assertThat;

import com.dedw3n.ApiTests;
import com.dedw3n.platform.db.RequestStatements;
import io.micrometer.core.instrument.MeterRegistry;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.sdk.trace.data.SpanData;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.logging.LogLevel;
import org.springframework.boot.logging.LoggingSystem;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.http.MediaType;
import reactor.core.publisher.Mono;
import reactor.core.publisher.Sinks;
import reactor.netty.http.client.HttpClient;
import reactor.netty.http.client.WebsocketClientSpec;

/**
 * What an operator follows a request by: its trace id (the gateway's, from {@code traceparent}) in
 * every error the client gets and in the log line of the failure; slow SQL in the log with its
 * operation; metrics per known operation; the health groups a load balancer probes.
 */
@ExtendWith(OutputCaptureExtension.class)
class ObservabilityTests extends ApiTests {

  @Autowired MeterRegistry meters;

  /**
   * A sampled request's SQL is in its trace: a span per statement, the child of the operation's
   * span, named by the statement's verb and carrying its text (never its values).
   */
  @Test
  void aSampledOperationHasASpanPerStatementUnderItsOwn() throws InterruptedException {
    var seller = signUp("Spanner");
    String product =
        seller
            .graphQl()
            .documentName("createProduct")
            .variable(
                "input",
                Map.of(
                    "title",
                    "Traced lamp",
                    "category",
                    "lamps",
                    "price",
                    Map.of("amount", 1200, "currency", "USD"),
                    "stock",
                    3))
            .execute()
            .path("createProduct.id")
            .entity(String.class)
            .get();
    String traceId = hex(16);
    String parent = hex(8);
    http()
        .post()
        .uri("/graphql")
        .header("traceparent", "00-" + traceId + "-" + parent + "-01")
        .contentType(MediaType.APPLICATION_JSON)
        .bodyValue(
            Map.of(
                "query",
                "query tracedProduct($id: ID!) { product(id: $id) { title seller { displayName }"
                    + " reviews { edges { node { body } } } } }",
                "variables",
                Map.of("id", product)))
        .exchange()
        .expectStatus()
        .isOk()
        .expectBody(Void.class);
    // the HTTP request's span and the operation's end after the response is written, in either
    // order: wait for the trace to hold both
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
    while (!(spans.ofTrace(traceId).stream().anyMatch(s -> s.getParentSpanId().equals(parent))
            && spans.ofTrace(traceId).stream().anyMatch(s -> s.getName().startsWith("graphql")))
        && System.nanoTime() < deadline) {
      Thread.sleep(20);
    }
    List<SpanData> trace = spans.ofTrace(traceId);
    SpanData operation =
        trace.stream()
            .filter(s -> s.getName().startsWith("graphql"))
            .findFirst()
            .orElseThrow(() -> new AssertionError("no operation span in " + trace));
    List<SpanData> statements = trace.stream().filter(s -> s.getName().equals("SELECT")).toList();
    // the product with its seller and its reviews read ahead: one statement, its span under the
    // operation
    assertThat(statements).hasSize(1);
    assertThat(statements)
        .allSatisfy(
            s -> {
              assertThat(s.getParentSpanId()).isEqualTo(operation.getSpanId());
              assertThat(s.getAttributes().get(AttributeKey.stringKey("db.system.name")))
                  .isEqualTo("postgresql");
            });
    assertThat(statements)
        .extracting(s -> s.getAttributes().get(AttributeKey.stringKey("db.query.text")))
        .singleElement()
        .satisfies(sql -> assertThat(sql).contains("FROM products", "JOIN users", "FROM reviews"));
  }

  @Test
  void anInternalErrorCarriesTheGatewaysTraceIdAndSoDoesItsLogLine(CapturedOutput output) {
    var author = signUp("Tracer");
    String poison = "fail-" + UUID.randomUUID();
    // a failure of our own making: PostgreSQL refuses this one post with an error the API cannot
    // explain (neither an outage nor the client's fault), so it is an INTERNAL_ERROR
    beforeInsertOnPosts(
        "test_refuse_post",
        "IF NEW.body LIKE 'fail-%' THEN RAISE EXCEPTION 'refused by the test' USING ERRCODE = 'check_violation'; END IF;");
    try {
      String traceId = hex(16);
      Map<?, ?> body =
          http()
              .post()
              .uri("/graphql")
              .header("traceparent", "00-" + traceId + "-" + hex(8) + "-01")
              .cookie("SESSION", author.session())
              .contentType(MediaType.APPLICATION_JSON)
              .bodyValue(
                  Map.of(
                      "query",
                      "mutation($b:String!){createPost(body:$b){id}}",
                      "variables",
                      Map.of("b", poison)))
              .exchange()
              .expectBody(Map.class)
              .returnResult()
              .getResponseBody();
      Map<?, ?> error = (Map<?, ?>) ((List<?>) body.get("errors")).get(0);
      Map<?, ?> extensions = (Map<?, ?>) error.get("extensions");
      assertThat(extensions.get("classification")).isEqualTo("INTERNAL_ERROR");
      assertThat(extensions.get("traceId")).isEqualTo(traceId);
      assertThat((String) error.get("message")).contains(traceId);
      assertThat(output.getOut())
          .containsPattern("Internal error in /createPost \\[" + traceId + "\\]");
    } finally {
      db.sql("DROP TRIGGER test_refuse_post ON posts").then().block();
    }
  }

  @Test
  void everyErrorHasATraceIdEvenWithoutAGateway() {
    anonymous()
        .document("{ product(id: \"not-an-id\") { id } }")
        .execute()
        .errors()
        .expect(
            e ->
                e.getExtensions().get("traceId") instanceof String id && id.matches("[0-9a-f]{32}"))
        .verify();
  }

  @Test
  void aSlowStatementIsLoggedWithItsOperationAndTimed(CapturedOutput output) {
    var durations = meters.get("dedw3n.db.statement.duration").timer();
    long slowBefore = slowCount(durations);
    db.sql("SELECT pg_sleep(1.1)")
        .then()
        .contextWrite(c -> c.put(RequestStatements.KEY, new RequestStatements("productFeed")))
        .block(Duration.ofSeconds(10));
    assertThat(output.getOut())
        .containsPattern(
            "Slow SQL statement: 1[0-9]{3} ms in operation productFeed: SELECT pg_sleep\\(1.1\\)");
    assertThat(slowCount(durations)).isEqualTo(slowBefore + 1);
    assertThat(durations.max(TimeUnit.MILLISECONDS)).isGreaterThanOrEqualTo(1100);
  }

  /**
   * A line written on an event-loop thread during a request (an internal error's) carries the
   * request's trace id as a field of the MDC: in Boot's text pattern ({@code [traceId-spanId]},
   * what the tests and the development profile write) and in the JSON lines production writes
   * (Boot's ECS encoder, attached here beside the console for the length of the request).
   */
  @Test
  void aLogLineWrittenDuringARequestCarriesItsTraceIdInTextAndJson(CapturedOutput output) {
    var author = signUp("Traced");
    beforeInsertOnPosts(
        "test_refuse_traced",
        "IF NEW.body LIKE 'traced-%' THEN RAISE EXCEPTION 'refused by the test'"
            + " USING ERRCODE = 'check_violation'; END IF;");
    var json = new java.io.ByteArrayOutputStream();
    var logback =
        (ch.qos.logback.classic.LoggerContext) org.slf4j.LoggerFactory.getILoggerFactory();
    var encoder = new org.springframework.boot.logging.logback.StructuredLogEncoder();
    encoder.setContext(logback);
    encoder.setFormat("ecs");
    encoder.start();
    var appender =
        new ch.qos.logback.core.OutputStreamAppender<ch.qos.logback.classic.spi.ILoggingEvent>();
    appender.setContext(logback);
    appender.setEncoder(encoder);
    appender.setOutputStream(json);
    appender.start();
    var root = logback.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
    root.addAppender(appender);
    String traceId = hex(16);
    try {
      http()
          .post()
          .uri("/graphql")
          .header("traceparent", "00-" + traceId + "-" + hex(8) + "-01")
          .cookie("SESSION", author.session())
          .contentType(MediaType.APPLICATION_JSON)
          .bodyValue(
              Map.of(
                  "query",
                  "mutation($b:String!){createPost(body:$b){id}}",
                  "variables",
                  Map.of("b", "traced-" + UUID.randomUUID())))
          .exchange()
          .expectBody(String.class)
          .value(answer -> assertThat(answer).contains("INTERNAL_ERROR"));
    } finally {
      root.detachAppender(appender);
      appender.stop();
      db.sql("DROP TRIGGER test_refuse_traced ON posts").then().block();
    }
    String internalError = "Internal error in /createPost [" + traceId + "]";
    String text =
        output.getOut().lines().filter(l -> l.contains(internalError)).reduce("", (a, b) -> b);
    // the MDC's ids in the pattern, not only the id the message quotes
    assertThat(text).containsPattern("\\[" + traceId + "-[0-9a-f]{16}\\] ");
    String line =
        json.toString(java.nio.charset.StandardCharsets.UTF_8)
            .lines()
            .filter(l -> l.contains(internalError))
            .reduce("", (a, b) -> b);
    assertThat(line)
        .contains("\"traceId\":\"" + traceId + "\"")
        .containsPattern("\"spanId\":\"[0-9a-f]{16}\"");
  }

  /**
   * Spring's own lines about an exchange (here its debug line for the answer) are prefixed with the
   * exchange's trace id instead of a connection counter.
   */
  @Test
  void theWebLayersLinesAboutARequestCarryItsTraceId(CapturedOutput output)
      throws InterruptedException {
    var logging = LoggingSystem.get(getClass().getClassLoader());
    String adapter = "org.springframework.web.server.adapter.HttpWebHandlerAdapter";
    String traceId = hex(16);
    logging.setLogLevel(adapter, LogLevel.DEBUG);
    try {
      http()
          .post()
          .uri("/graphql")
          .header("traceparent", "00-" + traceId + "-" + hex(8) + "-01")
          .contentType(MediaType.APPLICATION_JSON)
          .bodyValue(Map.of("query", "{ __typename }"))
          .exchange()
          .expectStatus()
          .isOk()
          .expectBody(Void.class);
      // the adapter writes "Completed" once the response has gone out, possibly after the client
      // has read it: the level stays at debug until the line is there
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
      while (!output.getOut().contains(traceId + "] Completed") && System.nanoTime() < deadline) {
        Thread.sleep(20);
      }
    } finally {
      logging.setLogLevel(adapter, null);
    }
    // (the adapter's first line, "HTTP POST", is written before any filter has run, under the
    // connection's counter)
    assertThat(output.getOut()).containsPattern("\\[" + traceId + "\\] Completed 200 OK");
  }

  /**
   * A statement slowed inside PostgreSQL by a trigger, in a real request: logged as slow with its
   * operation, like a slow SELECT.
   */
  @Test
  void anInsertSlowedByATriggerInARequestIsLoggedAsSlow(CapturedOutput output) {
    var author = signUp("Slowpoke");
    beforeInsertOnPosts(
        "test_slow_post", "IF NEW.body LIKE 'slow-%' THEN PERFORM pg_sleep(1.1); END IF;");
    try {
      author
          .graphQl()
          .document("mutation slowPost($b: String!) { createPost(body: $b) { id } }")
          .variable("b", "slow-" + UUID.randomUUID())
          .execute()
          .path("createPost.id")
          .hasValue();
    } finally {
      db.sql("DROP TRIGGER test_slow_post ON posts").then().block();
    }
    assertThat(output.getOut())
        .containsPattern(
            "Slow SQL statement: 1[0-9]{3} ms in operation slowPost: INSERT INTO posts");
  }

  /**
   * A trigger that runs {@code plpgsql} before each insert into posts, until the test drops it
   * ({@code DROP TRIGGER <name> ON posts}): how these tests make PostgreSQL fail or slow down one
   * statement of a real request.
   */
  private void beforeInsertOnPosts(String name, String plpgsql) {
    db.sql(
            "CREATE OR REPLACE FUNCTION "
                + name
                + "() RETURNS trigger AS $$ BEGIN "
                + plpgsql
                + " RETURN NEW; END $$ LANGUAGE plpgsql")
        .then()
        .block();
    db.sql(
            "CREATE OR REPLACE TRIGGER "
                + name
                + " BEFORE INSERT ON posts FOR EACH ROW EXECUTE FUNCTION "
                + name
                + "()")
        .then()
        .block();
  }

  /** Statements slower than a second, read from the histogram's buckets. */
  private static long slowCount(io.micrometer.core.instrument.Timer timer) {
    var snapshot = timer.takeSnapshot();
    double withinASecond = 0;
    for (var bucket : snapshot.histogramCounts()) {
      if (bucket.bucket(TimeUnit.MILLISECONDS) == 1000) {
        withinASecond = bucket.count();
      }
    }
    return snapshot.count() - (long) withinASecond;
  }

  @Test
  void operationsAreTimedByNameOnlyWhenTheNameIsKnown() {
    anonymous().documentName("productFeed").variable("category", "electronics").execute();
    anonymous().document("query madeUp" + hex(4) + " { __typename }").execute();
    assertThat(meters.get("graphql.operation").tag("operation", "productFeed").timer().count())
        .isPositive();
    assertThat(meters.get("graphql.operation").tag("operation", "other").timer().count())
        .isPositive();
    assertThat(meters.find("graphql.operation").timers())
        .allSatisfy(t -> assertThat(t.getId().getTag("operation")).doesNotStartWith("madeUp"));
  }

  /**
   * The gauge counts a socket for as long as it is open. It used to count the exchange of its
   * upgrade, which Reactor Netty completes with the handshake: 0 with any number of sockets open.
   */
  @Test
  void openWebSocketsAreCountedUntilTheyClose() throws InterruptedException {
    double before = openWebSockets();
    var acknowledged = new CountDownLatch(1);
    Sinks.Empty<Void> done = Sinks.empty();
    var socket =
        HttpClient.create()
            .websocket(WebsocketClientSpec.builder().protocols("graphql-transport-ws").build())
            .uri("ws://localhost:" + port + "/graphql")
            .handle(
                (inbound, outbound) -> {
                  inbound.receive().asString().subscribe(frame -> acknowledged.countDown());
                  return outbound
                      .sendString(Mono.just("{\"type\":\"connection_init\"}"))
                      .then()
                      .then(done.asMono());
                })
            .subscribe();
    try {
      assertThat(acknowledged.await(20, TimeUnit.SECONDS)).isTrue();
      awaitOpenWebSockets(before + 1);
    } finally {
      done.tryEmitEmpty();
    }
    awaitOpenWebSockets(before);
    socket.dispose();
  }

  private double openWebSockets() {
    return meters.get("dedw3n.websocket.open").gauge().value();
  }

  private void awaitOpenWebSockets(double expected) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (openWebSockets() != expected && System.nanoTime() < deadline) {
      Thread.sleep(20);
    }
    assertThat(openWebSockets()).isEqualTo(expected);
  }

  @Test
  void readinessReportsTheDatabaseWithItsPoolAndThePricesAndLivenessOnlyTheProcess() {
    Map<?, ?> readiness =
        http()
            .get()
            .uri("/actuator/health/readiness")
            .exchange()
            .expectStatus()
            .isOk()
            .expectBody(Map.class)
            .returnResult()
            .getResponseBody();
    @SuppressWarnings("unchecked")
    Map<String, Object> components = (Map<String, Object>) readiness.get("components");
    assertThat(components.keySet()).contains("readinessState", "database", "prices");
    @SuppressWarnings("unchecked")
    Map<String, Object> database =
        (Map<String, Object>) ((Map<?, ?>) components.get("database")).get("details");
    assertThat(database.keySet()).contains("acquired", "idle", "pendingAcquire", "max");
    Map<?, ?> liveness =
        http()
            .get()
            .uri("/actuator/health/liveness")
            .exchange()
            .expectStatus()
            .isOk()
            .expectBody(Map.class)
            .returnResult()
            .getResponseBody();
    assertThat(((Map<?, ?>) liveness.get("components")).keySet().toString())
        .isEqualTo("[livenessState]");
  }

  private static String hex(int bytes) {
    byte[] random = new byte[bytes];
    ThreadLocalRandom.current().nextBytes(random);
    return HexFormat.of().formatHex(random);
  }
}
