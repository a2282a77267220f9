package com.dedw3n;

import com.dedw3n.platform.db.StatementCounter;
import io.opentelemetry.api.common.AttributeKey;
import io.r2dbc.spi.Connection;
import io.r2dbc.spi.ConnectionFactory;
import io.r2dbc.spi.Result;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Consumer;
import org.jspecify.annotations.Nullable;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.context.annotation.Import;
import org.springframework.core.io.FileSystemResource;
import org.springframework.graphql.support.ResourceDocumentSource;
import org.springframework.graphql.test.tester.HttpGraphQlTester;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseCookie;
import org.springframework.r2dbc.core.DatabaseClient;
import org.springframework.test.web.reactive.server.WebTestClient;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * Base of the API tests: the whole server on a random port, over real HTTP, against a real
 * PostgreSQL (a throw-away embedded one, or the one at DATABASE_URL). Operations are the documents
 * in {@code api/}, the same ones clients send. All test classes share one server and one database,
 * so every test makes its own users and data.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
@Import(RecordedSpans.class)
public abstract class ApiTests {

  private static final AtomicInteger users = new AtomicInteger();

  @LocalServerPort protected int port;
  @Autowired protected DatabaseClient db;
  @Autowired protected StatementCounter statements;
  @Autowired protected RecordedSpans spans;
  @Autowired protected ConnectionFactory connections;

  protected WebTestClient http() {
    return WebTestClient.bindToServer()
        .baseUrl("http://localhost:" + port)
        .responseTimeout(java.time.Duration.ofSeconds(30))
        .build();
  }

  /**
   * Posts an operation as an app does, with the user's session cookie (null: anonymous), for what
   * GraphQlTester does not show: an answer other than HTTP 200, its headers.
   */
  protected WebTestClient.ResponseSpec postGraphQl(
      @Nullable Client client, String query, Map<String, ?> variables) {
    WebTestClient.RequestBodySpec request =
        http().post().uri("/graphql").contentType(MediaType.APPLICATION_JSON);
    if (client != null) {
      request = request.cookie("SESSION", client.session());
    }
    return request.bodyValue(Map.of("query", query, "variables", variables)).exchange();
  }

  /** A client with no session. */
  protected HttpGraphQlTester anonymous() {
    return tester(http());
  }

  /** Signs up a fresh user and returns a client that carries its session. */
  protected Client signUp(String name) {
    String email =
        name.toLowerCase()
            + "-"
            + users.incrementAndGet()
            + "-"
            + UUID.randomUUID()
            + "@example.com";
    var result =
        http()
            .post()
            .uri("/graphql")
            .bodyValue(
                Map.of(
                    "query",
                    "mutation($e:String!,$p:String!,$n:String!){signUp(email:$e,password:$p,displayName:$n){id}}",
                    "variables",
                    Map.of("e", email, "p", "correct horse battery", "n", name)))
            .exchange()
            .expectStatus()
            .isOk()
            .expectBody(Map.class)
            .returnResult();
    ResponseCookie cookie = result.getResponseCookies().getFirst("SESSION");
    if (cookie == null) {
      throw new AssertionError("signUp set no session cookie: " + result.getResponseBody());
    }
    @SuppressWarnings("unchecked")
    Map<String, Map<String, String>> data =
        (Map<String, Map<String, String>>) result.getResponseBody().get("data");
    String id = data.get("signUp").get("id");
    return new Client(
        tester(http().mutate().defaultCookie("SESSION", cookie.getValue()).build()),
        id,
        email,
        name,
        cookie.getValue());
  }

  protected HttpGraphQlTester tester(WebTestClient client) {
    return HttpGraphQlTester.builder(client.mutate())
        .url("http://localhost:" + port + "/graphql")
        .documentSource(
            new ResourceDocumentSource(
                List.of(new FileSystemResource("api/")), List.of(".graphql")))
        .build();
  }

  /**
   * SQL statements one run of {@code request} sends. Background work (the chat sweep, say) can add
   * statements to the process-wide count during a run, never remove any, so the least of a few runs
   * is the request's own cost.
   */
  protected long statementsOf(Runnable request) {
    long least = Long.MAX_VALUE;
    for (int run = 0; run < 3; run++) {
      long before = statements.total();
      request.run();
      least = Math.min(least, statements.total() - before);
    }
    return least;
  }

  /**
   * The SQL text of each statement one request sent, in the order they ended, read from the
   * statement spans of a sampled trace (the text is cut at 500 characters): what tests check to
   * prove which tables a request read. {@code client} signs the request in (null: anonymous).
   */
  protected List<String> sqlOf(@Nullable Client client, Consumer<HttpGraphQlTester> request)
      throws InterruptedException {
    String traceId = hex(16);
    String parent = hex(8);
    WebTestClient.Builder web =
        http().mutate().defaultHeader("traceparent", "00-" + traceId + "-" + parent + "-01");
    if (client != null) {
      web = web.defaultCookie("SESSION", client.session());
    }
    request.accept(tester(web.build()));
    // the HTTP request's span ends after the response is written: wait for the trace to be whole
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
    while (spans.ofTrace(traceId).stream().noneMatch(s -> s.getParentSpanId().equals(parent))
        && System.nanoTime() < deadline) {
      Thread.sleep(20);
    }
    List<String> sql =
        spans.ofTrace(traceId).stream()
            .map(s -> s.getAttributes().get(AttributeKey.stringKey("db.query.text")))
            .filter(Objects::nonNull)
            .toList();
    if (sql.isEmpty()) {
      throw new AssertionError("no statement spans in trace " + traceId);
    }
    return sql;
  }

  private static String hex(int bytes) {
    byte[] random = new byte[bytes];
    ThreadLocalRandom.current().nextBytes(random);
    return HexFormat.of().formatHex(random);
  }

  /**
   * A transaction on a connection of its own that takes the row locks of {@code lockingStatement}
   * (a {@code SELECT ... FOR UPDATE}, say) and holds them until closed, when it rolls back: a test
   * lines concurrent requests up behind them ({@link HeldLock#awaitWaiting}) and lets them go
   * together.
   */
  protected HeldLock holding(String lockingStatement) {
    Connection connection = Mono.from(connections.create()).block(Duration.ofSeconds(10));
    HeldLock held = new HeldLock(connection);
    try {
      Mono.from(connection.beginTransaction()).block(Duration.ofSeconds(10));
      Flux.from(connection.createStatement(lockingStatement).execute())
          .flatMap(Result::getRowsUpdated)
          .then()
          .block(Duration.ofSeconds(10));
      return held;
    } catch (RuntimeException e) {
      held.close();
      throw e;
    }
  }

  /** Row locks held by a transaction of the test's own; closing it rolls back and lets go. */
  public final class HeldLock implements AutoCloseable {
    private final Connection connection;

    private HeldLock(Connection connection) {
      this.connection = connection;
    }

    /**
     * Waits until this many backends of the database wait for a lock (behind this transaction or
     * behind each other); the test's requests are the only ones taking these locks.
     */
    public void awaitWaiting(int backends) {
      long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
      while (db.sql(
                  "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
                      + " AND cardinality(pg_blocking_pids(pid)) > 0")
              .map(r -> r.get(0, Long.class))
              .one()
              .block()
          < backends) {
        if (System.nanoTime() > deadline) {
          throw new AssertionError(backends + " backends never waited for a lock together");
        }
        LockSupport.parkNanos(Duration.ofMillis(5).toNanos());
      }
    }

    @Override
    public void close() {
      try {
        Mono.from(connection.rollbackTransaction()).block(Duration.ofSeconds(10));
      } finally {
        Mono.from(connection.close()).block(Duration.ofSeconds(10));
      }
    }
  }

  /** A signed-in user: its GraphQL client, id, email, display name and session id. */
  public record Client(
      HttpGraphQlTester graphQl, String id, String email, String name, String session) {}
}
