package com.dedw3n.platform.graphql;

import static org.assertj.core.api.Assertions.assertThat;

import com.dedw3n.ApiTests;
import com.dedw3n.BlockingCalls;
import io.r2dbc.pool.ConnectionPool;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.graphql.autoconfigure.GraphQlSourceBuilderCustomizer;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.context.TestConfiguration;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.context.annotation.Bean;
import org.springframework.core.io.ByteArrayResource;
import org.springframework.graphql.execution.RuntimeWiringConfigurer;
import org.springframework.http.MediaType;
import org.springframework.r2dbc.core.DatabaseClient;
import org.springframework.test.web.reactive.server.EntityExchangeResult;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * Deadlines, the response size limit and the gateway-only {@code _service}, on a server of their
 * own with tight settings (one heavy request, from a cost of 2, and one light executing at once,
 * 300 ms in the queue, 1 s to execute, 40 KiB responses, 3 s for a request's body to arrive) and a
 * test-only field that runs {@code pg_sleep} in PostgreSQL.
 */
@SpringBootTest(
    webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
    properties = {
      "dedw3n.graphql.max-concurrent-requests=1",
      "dedw3n.graphql.max-concurrent-light-requests=1",
      "dedw3n.graphql.heavy-request-cost=2",
      "dedw3n.graphql.limits.queue-timeout=300ms",
      "dedw3n.graphql.limits.execution-timeout=1s",
      "dedw3n.graphql.limits.max-response-size=40KB",
      "dedw3n.graphql.body-timeout=3s",
      "dedw3n.graphql.limits.service-open=false",
      "dedw3n.graphql.limits.gateway-secret=" + ProtectionTests.SECRET,
      "dedw3n.budgets.enabled=false"
    })
class ProtectionTests extends ApiTests {

  static final String SECRET = "gateway-secret-for-tests";

  @Autowired ConnectionPool pool;

  @Autowired io.micrometer.core.instrument.MeterRegistry meters;

  /** {@code sleep(seconds)}: one {@code SELECT pg_sleep(seconds)}, as a slow query would be. */
  @TestConfiguration
  static class SleepField {

    @Bean
    GraphQlSourceBuilderCustomizer sleepSchema() {
      var sdl =
          new ByteArrayResource(
              "extend type Query { sleep(seconds: Float!): Boolean }"
                  .getBytes(StandardCharsets.UTF_8)) {
            @Override
            public String getFilename() {
              return "sleep.graphqls";
            }
          };
      return builder -> builder.schemaResources(sdl);
    }

    @Bean
    RuntimeWiringConfigurer sleepField(DatabaseClient db) {
      return wiring ->
          wiring.type(
              "Query",
              type ->
                  type.dataFetcher(
                      "sleep",
                      env ->
                          db.sql("SELECT pg_sleep($1)")
                              .bind(0, env.<Double>getArgument("seconds"))
                              .then()
                              .thenReturn(true)));
    }
  }

  @Test
  void aQueryPastTheExecutionTimeoutIsAnsweredAndItsStatementStopsInPostgres() {
    long started = System.nanoTime();
    var answer = post("{ sleep(seconds: 30) }", Map.of());
    Duration took = Duration.ofNanos(System.nanoTime() - started);

    assertThat(answer.getStatus().value()).isEqualTo(503);
    assertThat(answer.getResponseHeaders().getFirst("Retry-After")).isNotNull();
    assertThat(code(answer)).isEqualTo("EXECUTION_TIMEOUT");
    assertThat(took).isLessThan(Duration.ofSeconds(5));
    // the statement really stopped (not after its 30 s), and its connection is back in the pool
    await(() -> sleepingStatements() == 0);
    await(() -> pool.getMetrics().orElseThrow().acquiredSize() == 0);
    assertThat(post("{ __typename }", Map.of()).getStatus().value()).isEqualTo(200);
  }

  @Test
  void aFloodWaitsAtMostTheQueueTimeoutAndIsToldToRetry() {
    // one light request holds the only light turn for 900 ms (within its 1 s to execute)
    var slow = Mono.fromCallable(() -> post("{ sleep(seconds: 0.9) }", Map.of())).cache();
    slow.subscribeOn(BlockingCalls.SCHEDULER).subscribe();
    await(() -> sleepingStatements() == 1);

    long started = System.nanoTime();
    List<EntityExchangeResult<Map>> flood =
        Flux.range(0, 8)
            .flatMap(
                i ->
                    Mono.fromCallable(() -> post("{ __typename }", Map.of()))
                        .subscribeOn(BlockingCalls.SCHEDULER),
                8)
            .collectList()
            .block(Duration.ofSeconds(10));
    Duration took = Duration.ofNanos(System.nanoTime() - started);

    assertThat(flood)
        .allSatisfy(
            answer -> {
              assertThat(answer.getStatus().value()).isEqualTo(503);
              assertThat(answer.getResponseHeaders().getFirst("Retry-After")).isEqualTo("1");
              assertThat(code(answer)).isEqualTo("SATURATED");
            });
    assertThat(took).isLessThan(Duration.ofMillis(900));
    assertThat(slow.block(Duration.ofSeconds(5)).getStatus().value()).isEqualTo(200);
    assertThat(post("{ __typename }", Map.of()).getStatus().value()).isEqualTo(200);
  }

  /**
   * A request takes the turn of its class by its static cost (here heavy from 2 points): a query of
   * two products is heavy, one of no object light, while each waits on PostgreSQL. (That the
   * classes never wait for each other is ExecutionLimitTests'; a test through HTTP would race the 1
   * s execution timeout on a busy machine.)
   */
  @Test
  void aRequestTakesATurnOfItsClassByItsStaticCost() {
    var heavy =
        Mono.fromCallable(
                () ->
                    post(
                        "{ sleep(seconds: 0.9) a: product(id: \"1\") { id }"
                            + " b: product(id: \"2\") { id } }",
                        Map.of()))
            .subscribeOn(BlockingCalls.SCHEDULER)
            .cache();
    heavy.subscribe();
    await(() -> sleepingStatements() == 1);
    assertThat(executing("heavy")).isEqualTo(1);
    assertThat(executing("light")).isZero();
    assertThat(heavy.block(Duration.ofSeconds(5)).getStatus().value()).isEqualTo(200);

    var light =
        Mono.fromCallable(() -> post("{ sleep(seconds: 0.9) }", Map.of()))
            .subscribeOn(BlockingCalls.SCHEDULER)
            .cache();
    light.subscribe();
    await(() -> sleepingStatements() == 1);
    assertThat(executing("light")).isEqualTo(1);
    assertThat(executing("heavy")).isZero();
    assertThat(light.block(Duration.ofSeconds(5)).getStatus().value()).isEqualTo(200);
  }

  private double executing(String weight) {
    return meters.get("dedw3n.graphql.executing").tag("weight", weight).gauge().value();
  }

  @Test
  void aResponseAtTheSizeLimitIsSentAndOneByteMoreIsRefused() {
    var seller = signUp("Sizer");
    // descriptions hold at most 5,000 characters: eight full ones and one that sizes the rest (the
    // limit is 40 KiB so that _service's SDL, about 27 KiB, fits in the gateway test)
    String full = product(seller, "f".repeat(5000));
    String probe = product(seller, "x".repeat(10));
    int overhead =
        post(descriptions(full, probe), Map.of()).getResponseBodyContent().length
            - FULL * 5000
            - 10;
    int limit = 40 * 1024;
    String exactly = product(seller, "y".repeat(limit - overhead - FULL * 5000));
    String over = product(seller, "z".repeat(limit - overhead - FULL * 5000 + 1));

    var fits = post(descriptions(full, exactly), Map.of());
    assertThat(fits.getResponseBodyContent()).hasSize(limit);
    assertThat(fits.getResponseBody().get("errors")).isNull();

    var tooLarge = post(descriptions(full, over), Map.of());
    assertThat(code(tooLarge)).isEqualTo("RESPONSE_TOO_LARGE");
    assertThat(tooLarge.getResponseBody().get("data")).isNull();

    // asked for with Server-Sent Events, as graphql-sse's client asks: the same limit
    String event =
        org.springframework.web.reactive.function.client.WebClient.create(
                "http://localhost:" + port)
            .post()
            .uri("/graphql")
            .accept(MediaType.TEXT_EVENT_STREAM)
            .bodyValue(Map.of("query", descriptions(full, over)))
            .retrieve()
            .bodyToFlux(String.class)
            .blockFirst(Duration.ofSeconds(30));
    assertThat(event).contains("RESPONSE_TOO_LARGE").doesNotContain("zzzz");
  }

  /**
   * A body trickling in a byte every 500 ms stays under the 10 s gap limit for as long as it lasts
   * (here 1,000 bytes: 8 minutes), holding the buffers of what it sent; it is answered 408 at the
   * body limit, its connection closed, as the client's doing (no ERROR line). Before the limit, the
   * test's 20 s of trickle ended with the connection still open.
   */
  @Test
  @ExtendWith(OutputCaptureExtension.class)
  void aBodyThatTricklesInIsAnswered408AtTheBodyLimit(CapturedOutput output) throws Exception {
    int logBefore = output.getOut().length();
    try (var socket = new Socket("127.0.0.1", port)) {
      socket.setSoTimeout(500);
      var out = socket.getOutputStream();
      var in = socket.getInputStream();
      out.write(
          ("POST /graphql HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
                  + "Content-Length: 1000\r\n\r\n{\"query\":\"{ __typename }\", \"x\":\"")
              .getBytes(StandardCharsets.US_ASCII));
      out.flush();
      long started = System.nanoTime();
      var answer = new ByteArrayOutputStream();
      boolean closed = false;
      while (!closed && Duration.ofNanos(System.nanoTime() - started).toSeconds() < 20) {
        try {
          out.write('x');
          out.flush();
        } catch (IOException reset) {
          closed = true; // the server closed first and the kernel said so
          break;
        }
        try {
          int n;
          while ((n = in.read()) >= 0) {
            answer.write(n);
          }
          closed = true;
        } catch (SocketTimeoutException quiet) {
          // nothing more for now: trickle on
        } catch (IOException reset) {
          closed = true;
        }
      }
      Duration lasted = Duration.ofNanos(System.nanoTime() - started);
      assertThat(closed).as("connection closed").isTrue();
      assertThat(lasted).isGreaterThan(Duration.ofMillis(2_500)).isLessThan(Duration.ofSeconds(8));
      assertThat(answer.toString(StandardCharsets.UTF_8))
          .startsWith("HTTP/1.1 408")
          .contains("The request body did not arrive within 3 s.");
    }
    Thread.sleep(300); // let a late log line land
    assertThat(output.getOut().substring(logBefore)).doesNotContain(" ERROR ");
  }

  @Test
  void onlyTheGatewayReadsTheSubgraphSchema() {
    assertThat(code(post("{ _service { sdl } }", Map.of()))).isEqualTo("SERVICE_SDL_FORBIDDEN");
    assertThat(code(post("{ ...S } fragment S on Query { _service { sdl } }", Map.of())))
        .isEqualTo("SERVICE_SDL_FORBIDDEN");
    assertThat(code(postAsGateway("{ _service { sdl } }", "wrong-secret")))
        .isEqualTo("SERVICE_SDL_FORBIDDEN");

    var gateway = postAsGateway("{ _service { sdl } }", SECRET);
    assertThat(gateway.getResponseBody().get("errors")).isNull();
    assertThat(gateway.getResponseBody().toString()).contains("type Product");
  }

  // --- helpers ---------------------------------------------------------------------------------

  private long sleepingStatements() {
    return db.sql(
            "SELECT count(*) FROM pg_stat_activity WHERE state = 'active'"
                + " AND query LIKE 'SELECT pg_sleep%'")
        .map(row -> row.get(0, Long.class))
        .one()
        .block(Duration.ofSeconds(5));
  }

  private static void await(BooleanSupplier condition) {
    long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("condition not met within 10 s");
      }
      Mono.delay(Duration.ofMillis(50)).block();
    }
  }

  private EntityExchangeResult<Map> post(String document, Map<String, Object> variables) {
    return http()
        .post()
        .uri("/graphql")
        .contentType(MediaType.APPLICATION_JSON)
        .bodyValue(Map.of("query", document, "variables", variables))
        .exchange()
        .expectBody(Map.class)
        .returnResult();
  }

  private EntityExchangeResult<Map> postAsGateway(String document, String secret) {
    return http()
        .post()
        .uri("/graphql")
        .header(OperationGuard.GATEWAY_SECRET_HEADER, secret)
        .contentType(MediaType.APPLICATION_JSON)
        .bodyValue(Map.of("query", document))
        .exchange()
        .expectBody(Map.class)
        .returnResult();
  }

  @SuppressWarnings("unchecked")
  private static String code(EntityExchangeResult<Map> answer) {
    var errors = (List<Map<String, Object>>) answer.getResponseBody().get("errors");
    assertThat(errors).as("errors of %s", answer.getResponseBody()).isNotEmpty();
    return (String) ((Map<String, Object>) errors.get(0).get("extensions")).get("code");
  }

  /** Full descriptions in the sized response, beside the one that sizes it. */
  private static final int FULL = 8;

  private static String descriptions(String full, String last) {
    StringBuilder query = new StringBuilder("{");
    for (int i = 0; i < FULL; i++) {
      query
          .append(" f")
          .append(i)
          .append(": product(id: \"")
          .append(full)
          .append("\") { description }");
    }
    return query
        .append(" last: product(id: \"")
        .append(last)
        .append("\") { description } }")
        .toString();
  }

  private String product(Client seller, String description) {
    return seller
        .graphQl()
        .documentName("createProduct")
        .variable(
            "input",
            Map.of(
                "title",
                "Big",
                "description",
                description,
                "category",
                "size-" + UUID.randomUUID().toString().substring(0, 8),
                "price",
                Map.of("amount", 100, "currency", "USD"),
                "stock",
                1))
        .execute()
        .path("createProduct.id")
        .entity(String.class)
        .get();
  }
}
