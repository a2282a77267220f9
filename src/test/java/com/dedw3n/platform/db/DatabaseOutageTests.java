package com.dedw3n.platform.db;

import static org.assertj.core.api.Assertions.assertThat;

import com.dedw3n.Application;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.http.MediaType;
import org.springframework.test.web.reactive.server.EntityExchangeResult;
import org.springframework.test.web.reactive.server.WebTestClient;

/**
 * A PostgreSQL of the test's own, stopped under a running server and started again: while it is
 * down every request is answered UNAVAILABLE (503, Retry-After) quickly and the log gets a line now
 * and then instead of a stack trace per request; once it is back the same server answers normally,
 * without a restart.
 */
@ExtendWith(OutputCaptureExtension.class)
class DatabaseOutageTests {

  static Path data;
  static int port;
  static EmbeddedPostgres postgres;
  static ConfigurableApplicationContext server;
  static WebTestClient http;

  @BeforeAll
  static void startDatabaseAndServer() throws IOException {
    data = Files.createTempDirectory("dedw3n-outage-");
    port = freePort();
    postgres = start();
    String jdbc = "jdbc:postgresql://localhost:" + port + "/postgres";
    server =
        new SpringApplicationBuilder(Application.class)
            .run(
                "--server.port=0",
                "--spring.r2dbc.url=r2dbc:postgresql://localhost:" + port + "/postgres",
                "--spring.r2dbc.username=postgres",
                "--spring.r2dbc.password=",
                "--spring.flyway.url=" + jdbc,
                "--spring.flyway.user=postgres",
                "--spring.flyway.password=",
                "--dedw3n.demo-data.enabled=false",
                "--dedw3n.db.connect-timeout=1s");
    http =
        WebTestClient.bindToServer()
            .baseUrl("http://localhost:" + server.getEnvironment().getProperty("local.server.port"))
            .responseTimeout(Duration.ofSeconds(30))
            .build();
  }

  @AfterAll
  static void stop() throws IOException {
    if (server != null) {
      server.close();
    }
    if (postgres != null) {
      postgres.close();
    }
  }

  @Test
  void aDatabaseOutageIsUnavailableAndTheServerRecoversWhenItReturns(CapturedOutput output)
      throws IOException {
    assertThat(feed().getStatus().value()).isEqualTo(200);

    postgres.close();
    int logBefore = output.getOut().length();
    long started = System.nanoTime();
    for (int i = 0; i < 20; i++) {
      EntityExchangeResult<Map> answer = feed();
      assertThat(answer.getStatus().value()).isEqualTo(503);
      assertThat(answer.getResponseHeaders().getFirst("Retry-After")).isNotNull();
      assertThat(answer.getResponseBody().toString())
          .contains("DATABASE_UNAVAILABLE")
          .contains("UNAVAILABLE");
    }
    Duration took = Duration.ofNanos(System.nanoTime() - started);
    assertThat(took)
        .as("20 requests while the database is down")
        .isLessThan(Duration.ofSeconds(20));
    String log = output.getOut().substring(logBefore);
    assertThat(log).doesNotContain("\tat io.r2dbc");
    long lines = log.lines().filter(line -> line.contains("Database unavailable")).count();
    assertThat(lines).isLessThanOrEqualTo(took.toSeconds() + 2);

    postgres = start();
    long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    while (feed().getStatus().value() != 200) {
      assertThat(System.nanoTime()).as("recovered within 30 s").isLessThan(deadline);
    }
    for (int i = 0; i < 10; i++) {
      assertThat(feed().getStatus().value()).isEqualTo(200);
    }
  }

  private static EntityExchangeResult<Map> feed() {
    return http.post()
        .uri("/graphql")
        .contentType(MediaType.APPLICATION_JSON)
        .bodyValue(Map.of("query", "{ products(first: 5) { edges { node { id title } } } }"))
        .exchange()
        .expectBody(Map.class)
        .returnResult();
  }

  private static EmbeddedPostgres start() throws IOException {
    return EmbeddedPostgres.builder()
        .setDataDirectory(data)
        .setCleanDataDirectory(false)
        .setPort(port)
        .setServerConfig("fsync", "off")
        .start();
  }

  private static int freePort() throws IOException {
    try (ServerSocket socket = new ServerSocket(0)) {
      return socket.getLocalPort();
    }
  }
}
