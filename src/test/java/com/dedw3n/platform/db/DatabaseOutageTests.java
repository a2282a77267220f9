package com.dedw3n.platform.db;

import static org.assertj.core.api.Assertions.assertThat;

import com.dedw3n.Application;
import com.dedw3n.payment.internal.FakeStripe;
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
import org.springframework.r2dbc.core.DatabaseClient;
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

  /**
   * Stripe's side of an outage: an event that arrives while the database is down is answered 503,
   * so Stripe delivers it again; the redelivery after recovery is applied, and once only.
   */
  @Test
  @SuppressWarnings("unchecked")
  void aStripeEventDuringADatabaseOutageIsRefusedAndAppliedOnceWhenRedelivered()
      throws IOException {
    FakeStripe stripe = server.getBean(FakeStripe.class);
    stripe.webhookUrl(null); // this test delivers the events
    DatabaseClient db = server.getBean(DatabaseClient.class);
    var signUp =
        http.post()
            .uri("/graphql")
            .contentType(MediaType.APPLICATION_JSON)
            .bodyValue(
                Map.of(
                    "query",
                    "mutation{signUp(email:\"outage-buyer@example.com\",password:\"correct horse battery\",displayName:\"B\"){id}}"))
            .exchange()
            .expectStatus()
            .isOk()
            .returnResult(String.class);
    String cookie = signUp.getResponseCookies().getFirst("SESSION").getValue();
    long seller =
        db.sql(
                "INSERT INTO users (email, display_name, password_hash) VALUES ('outage-seller@example.com', 'S', 'x') RETURNING id")
            .map(r -> r.get(0, Long.class))
            .one()
            .block();
    long product =
        db.sql(
                "INSERT INTO products (seller_id, category, title, price_amount, price_currency, stock) VALUES ($1, 'outage', 'Thing', 1500, 'USD', 5) RETURNING id")
            .bind(0, seller)
            .map(r -> r.get(0, Long.class))
            .one()
            .block();
    WebTestClient buyer = http.mutate().defaultCookie("SESSION", cookie).build();
    Map<String, Object> placed =
        graphQl(
            buyer,
            "mutation($p:ID!){placeOrder(items:[{productId:$p,quantity:1}]){id}}",
            Map.of("p", String.valueOf(product)));
    String order =
        (String)
            ((Map<String, Object>) ((Map<String, Object>) placed.get("data")).get("placeOrder"))
                .get("id");
    Map<String, Object> checkout =
        graphQl(
            buyer, "mutation($o:ID!){checkout(orderId:$o){paymentIntentId}}", Map.of("o", order));
    String pi =
        (String)
            ((Map<String, Object>) ((Map<String, Object>) checkout.get("data")).get("checkout"))
                .get("paymentIntentId");
    String event =
        FakeStripe.event(
            "evt_outage_" + System.nanoTime(),
            "payment_intent.succeeded",
            stripe.pay(pi),
            java.time.Instant.now().getEpochSecond());

    postgres.close();
    assertThat(deliver(event)).isEqualTo(503);
    postgres = start();
    long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    int status;
    while ((status = deliver(event)) != 200) {
      assertThat(status).isEqualTo(503);
      assertThat(System.nanoTime()).as("delivered within 30 s of the restart").isLessThan(deadline);
    }
    assertThat(deliver(event)).isEqualTo(200); // a further redelivery
    Map<String, Object> after =
        graphQl(buyer, "query($o:ID!){order(id:$o){status}}", Map.of("o", order));
    assertThat(
            ((Map<String, Object>) ((Map<String, Object>) after.get("data")).get("order"))
                .get("status"))
        .isEqualTo("PAID");
    assertThat(
            db.sql("SELECT count(*) FROM mail_outbox WHERE dedup_key = $1")
                .bind(0, "order-paid:" + order)
                .map(r -> r.get(0, Long.class))
                .one()
                .block())
        .isEqualTo(1);
  }

  private static int deliver(String event) {
    return http.post()
        .uri("/webhooks/stripe")
        .contentType(MediaType.APPLICATION_JSON)
        .header(
            "Stripe-Signature",
            FakeStripe.signature(
                event, FakeStripe.WEBHOOK_SECRET, java.time.Instant.now().getEpochSecond()))
        .bodyValue(event)
        .exchange()
        .returnResult(String.class)
        .getStatus()
        .value();
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> graphQl(
      WebTestClient client, String query, Map<String, Object> variables) {
    return client
        .post()
        .uri("/graphql")
        .contentType(MediaType.APPLICATION_JSON)
        .bodyValue(Map.of("query", query, "variables", variables))
        .exchange()
        .expectStatus()
        .isOk()
        .expectBody(Map.class)
        .returnResult()
        .getResponseBody();
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
