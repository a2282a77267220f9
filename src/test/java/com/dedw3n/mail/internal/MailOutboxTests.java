package com.dedw3n.mail.internal;

import static org.assertj.core.api.Assertions.assertThat;

import com.dedw3n.ApiTests;
import com.dedw3n.TestClock;
import com.dedw3n.mail.Outbox;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.net.URI;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.transaction.reactive.TransactionalOperator;
import org.springframework.web.reactive.function.client.WebClient;
import reactor.core.publisher.Flux;

/**
 * The outbox's sender against a fake Brevo on loopback and a clock the test moves: Brevo failing
 * with 5xx, rate limiting with 429 and x-sib-ratelimit-reset, and answering too late, and every
 * mail delivered exactly once after it recovers.
 *
 * <p>The test builds its own sender, with Brevo configured and its own clock ten years ahead, on
 * the shared server's database (no context of its own): rows dated by that clock are never due for
 * the server's sender (the local mailbox, on the system clock), so only the test's sender, run by
 * hand, delivers them.
 */
class MailOutboxTests extends ApiTests {

  static final FakeBrevo brevo = new FakeBrevo();

  final TestClock clock =
      new TestClock(Instant.now().plus(Duration.ofDays(3650)).truncatedTo(ChronoUnit.MILLIS));
  MailSettings settings;
  SimpleMeterRegistry meters;
  MailSender sender;

  @AfterAll
  static void stopFake() {
    brevo.close();
  }

  @Autowired Outbox outbox;
  @Autowired TransactionalOperator transaction;

  @BeforeEach
  void healthyBrevoAndNothingDue() {
    MailSettings settings =
        new MailSettings(
            "no-reply@dedw3n.test",
            "Dedw3n",
            URI.create("http://localhost:8080"),
            Duration.ofHours(1),
            20,
            Duration.ofMinutes(2),
            25,
            Duration.ofSeconds(10),
            Duration.ofHours(1),
            0,
            false,
            new MailSettings.Brevo(
                FakeBrevo.API_KEY,
                URI.create(brevo.baseUrl()),
                Duration.ofMillis(500),
                Duration.ofSeconds(60),
                3,
                Duration.ofSeconds(60)));
    this.settings = settings;
    sender = newSender();
    brevo.healthy();
    // whatever other tests left pending is sent first, so each test sees only its own mail
    clock.advance(Duration.ofDays(1));
    drain();
  }

  @Test
  void everyMailIsDeliveredExactlyOnceThroughServerErrorsRateLimitsAndTimeouts() {
    List<String> keys = List.of(key(), key(), key(), key());
    keys.forEach(k -> enqueue(k, k + "@example.com"));
    int before = brevo.requests();

    brevo.failWith(503, null);
    assertThat(sender.deliverDue().block()).isZero();
    assertThat(brevo.requests() - before).isEqualTo(3); // the breaker opened after three
    assertThat(
            meters
                .find("resilience4j.circuitbreaker.state")
                .tags("name", "brevo", "state", "open")
                .gauge()
                .value())
        .as("the breaker's state, for alerts")
        .isEqualTo(1.0);
    assertThat(rows(keys)).allSatisfy(row -> assertThat(row.get("status")).isEqualTo("PENDING"));
    // not due again before the backoff
    assertThat(sender.deliverDue().block()).isZero();

    // past the backoff (10 s) and the open breaker (60 s, by the same clock): one probe, then all
    clock.advance(Duration.ofSeconds(61));
    brevo.failWith(429, "30");
    int beforeLimit = brevo.requests();
    deliverRounds(3, Duration.ZERO);
    assertThat(rows(keys)).allSatisfy(row -> assertThat(row.get("status")).isEqualTo("PENDING"));
    // 429 waits its x-sib-ratelimit-reset, from the clock of the answer, and so does every other
    // row: the sender asks Brevo nothing more meanwhile
    assertThat(brevo.requests() - beforeLimit).as("one request, the 429").isEqualTo(1);
    assertThat(rows(keys))
        .allSatisfy(
            row ->
                assertThat(
                        Duration.between(
                            clock.instant(),
                            ((OffsetDateTime) row.get("next_attempt_at")).toInstant()))
                    .isEqualTo(Duration.ofSeconds(30)));

    clock.advance(Duration.ofSeconds(31));
    brevo.healthy();
    brevo.slow(Duration.ofMillis(1500)); // Brevo sends, but the answer comes too late
    int beforeTimeouts = brevo.requests();
    deliverRounds(3, Duration.ZERO);
    assertThat(rows(keys)).allSatisfy(row -> assertThat(row.get("status")).isEqualTo("PENDING"));
    assertThat(brevo.requests() - beforeTimeouts).isEqualTo(3); // the breaker opened again

    brevo.healthy();
    deliverRounds(10, Duration.ofHours(1));
    assertThat(rows(keys))
        .allSatisfy(
            row -> {
              assertThat(row.get("status")).isEqualTo("SENT");
              assertThat(row.get("delivered_by")).isEqualTo("brevo");
            });
    // each recipient got exactly one mail, although three rows reached Brevo twice (their first
    // answer was lost, and Brevo answered the retry duplicate_parameter, which is a mail sent, not
    // refused): the sender sent each row under one key, and once more only after a lost answer.
    // A sender that retried a delivered row, or with a fresh key, fails here.
    keys.forEach(k -> assertThat(brevo.mailsTo(k + "@example.com")).hasSize(1));
    assertThat(keys.stream().mapToInt(k -> brevo.received(idempotencyKey(k))).sum())
        .isEqualTo(4 + 3);
    assertThat(keys).allSatisfy(k -> assertThat(brevo.received(idempotencyKey(k))).isBetween(1, 2));
    // and nothing more is sent later
    int accepted = brevo.requests();
    deliverRounds(3, Duration.ofHours(2));
    assertThat(brevo.requests()).isEqualTo(accepted);
  }

  /**
   * An instance without BREVO_API_KEY in production shares the outbox with those that have it: it
   * leaves every row for them (it used to mark them delivered, and the mail was lost).
   */
  @Test
  void anInstanceWithoutTheKeyLeavesTheMailToThoseWithIt() {
    String k = key();
    enqueue(k, k + "@example.com");
    MailSender keyless =
        new MailSender(db, settings, null, clock, new SimpleMeterRegistry(), Flux.never());
    assertThat(keyless.deliverDue().block()).isZero();
    assertThat(rows(List.of(k)).get(0).get("status")).isEqualTo("PENDING");
    drain();
    assertThat(rows(List.of(k)).get(0).get("delivered_by")).isEqualTo("brevo");
    assertThat(brevo.mailsTo(k + "@example.com")).hasSize(1);
  }

  /** Another instance's sender, on the same database, settings and clock. */
  private MailSender newSender() {
    meters = new SimpleMeterRegistry();
    return new MailSender(
        db,
        settings,
        new BrevoApi(settings, WebClient.builder(), clock, meters),
        clock,
        meters,
        Flux.never());
  }

  /**
   * A round slower than the lease: while this sender waits for Brevo's answer to its first mail,
   * the lease of the second runs out and another instance takes both and sends them. This sender
   * then leaves the second alone: its lease is no longer the row's.
   */
  @Test
  void aRowAnotherSenderTookAfterTheLeaseRanOutIsNotSentAgain() throws Exception {
    String first = key(), second = key();
    enqueue(first, first + "@example.com");
    enqueue(second, second + "@example.com");
    brevo.slow(Duration.ofMillis(400));
    int before = brevo.requests();
    var round = sender.deliverDue().toFuture();
    long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
    while (brevo.requests() == before) {
      assertThat(System.nanoTime()).as("the first mail's request").isLessThan(deadline);
      Thread.sleep(1);
    }
    // the round sends its rows in the order the claim returned them
    String waiting = brevo.received(idempotencyKey(first)) == 1 ? second : first;
    clock.advance(Duration.ofMinutes(3)); // past both leases
    newSender().deliverDue().block(Duration.ofSeconds(30));
    round.get(30, TimeUnit.SECONDS);

    assertThat(rows(List.of(first, second)))
        .allSatisfy(row -> assertThat(row.get("status")).isEqualTo("SENT"));
    assertThat(brevo.received(idempotencyKey(waiting)))
        .as("requests for the mail the first round had not sent yet")
        .isEqualTo(1);
    assertThat(brevo.mailsTo(waiting + "@example.com")).hasSize(1);
  }

  @Test
  void theSameCauseQueuesOneMail() {
    String k = key();
    // the server's Outbox, in one transaction and in two: one row
    outbox
        .enqueue(k, "a@example.com", "One", "Body")
        .then(outbox.enqueue(k, "a@example.com", "One", "Body"))
        .as(transaction::transactional)
        .block();
    outbox.enqueue(k, "a@example.com", "One", "Body").block();
    assertThat(rows(List.of(k))).hasSize(1);
  }

  @Test
  void aMailBrevoRefusesIsGivenUpAtOnce() {
    String k = key();
    enqueue(k, "bad@example.com");
    brevo.failWith(400, null);
    sender.deliverDue().block();
    var row = rows(List.of(k)).get(0);
    assertThat(row.get("status")).isEqualTo("FAILED");
    assertThat((String) row.get("last_error")).startsWith("400");
  }

  /**
   * 401, 402, 403: the account, not the mail (a rotated key, no credits left). Every mail would be
   * refused alike; none is given up, secrets' bodies included, and all go once an operator has
   * fixed it.
   */
  @Test
  void anAccountBrevoRefusesKeepsEveryMailForLater() {
    for (int status : new int[] {401, 402, 403}) {
      String k = key();
      enqueue(k, status + "@example.com", true);
      brevo.failWith(status, null);
      deliverRounds(4, Duration.ofMinutes(2));
      var row = rows(List.of(k)).get(0);
      assertThat(row.get("status")).as("after %s", status).isEqualTo("PENDING");
      assertThat((String) row.get("last_error")).contains(String.valueOf(status));
      assertThat(row.get("body")).isEqualTo("Body");

      brevo.healthy();
      deliverRounds(3, Duration.ofMinutes(2));
      assertThat(rows(List.of(k)).get(0).get("status")).isEqualTo("SENT");
      assertThat(brevo.mailsTo(status + "@example.com")).hasSize(1);
    }
  }

  @Test
  void aBodyWithASecretIsBlankedOnceDeliveredOrGivenUpAndOthersAreKept() {
    String secret = key(), refused = key(), plain = key();
    enqueue(secret, "secret@example.com", true);
    enqueue(plain, "plain@example.com", false);
    sender.deliverDue().block();
    enqueue(refused, "refused@example.com", true);
    brevo.failWith(400, null);
    sender.deliverDue().block();
    assertThat(brevo.mailsTo("secret@example.com"))
        .singleElement()
        .satisfies(mail -> assertThat(mail.body()).isEqualTo("Body"));
    var rows = rows(List.of(secret, plain, refused));
    assertThat(rows).extracting(row -> row.get("status")).containsExactly("SENT", "SENT", "FAILED");
    assertThat(rows)
        .extracting(row -> row.get("body"))
        .containsExactly(MailSender.BLANKED, "Body", MailSender.BLANKED);
  }

  @Test
  void theWaitDoublesAfterEachFailureUpToTheCap() {
    assertThat(sender.backoff(1)).isEqualTo(Duration.ofSeconds(10));
    assertThat(sender.backoff(2)).isEqualTo(Duration.ofSeconds(20));
    assertThat(sender.backoff(5)).isEqualTo(Duration.ofSeconds(160));
    assertThat(sender.backoff(20)).isEqualTo(Duration.ofHours(1));
    assertThat(sender.backoff(60)).isEqualTo(Duration.ofHours(1));
  }

  private void deliverRounds(int rounds, Duration between) {
    for (int i = 0; i < rounds; i++) {
      clock.advance(between);
      sender.deliverDue().block(Duration.ofSeconds(30));
    }
  }

  private void drain() {
    for (int i = 0; i < 5; i++) {
      if (sender.deliverDue().block(Duration.ofSeconds(30)) == 0) {
        return;
      }
    }
  }

  private List<Map<String, Object>> rows(List<String> keys) {
    return db.sql(
            "SELECT dedup_key, status, delivered_by, idempotency_key, next_attempt_at, last_error,"
                + " body"
                + " FROM mail_outbox WHERE dedup_key = ANY($1) ORDER BY id")
        .bind(0, keys.toArray(String[]::new))
        .fetch()
        .all()
        .collectList()
        .block();
  }

  /**
   * A row as Outbox writes it, dated by the test's clock (so the server's sender never takes it).
   */
  private void enqueue(String key, String to) {
    enqueue(key, to, false);
  }

  private void enqueue(String key, String to, boolean secret) {
    db.sql(
            "INSERT INTO mail_outbox (dedup_key, idempotency_key, recipient, subject, body,"
                + " next_attempt_at, created_at, body_secret)"
                + " VALUES ($1, $2, $3, $4, 'Body', $5, $5, $6)")
        .bind(0, key)
        .bind(1, UUID.randomUUID())
        .bind(2, to)
        .bind(3, "Subject " + key)
        .bind(4, clock.instant().atOffset(java.time.ZoneOffset.UTC))
        .bind(5, secret)
        .then()
        .block();
  }

  private UUID idempotencyKey(String dedupKey) {
    return (UUID) rows(List.of(dedupKey)).get(0).get("idempotency_key");
  }

  private static String key() {
    return "test:" + UUID.randomUUID();
  }
}
