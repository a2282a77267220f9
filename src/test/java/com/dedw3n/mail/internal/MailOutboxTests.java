package com.dedw3n.mail.internal;

import static org.assertj.core.api.Assertions.assertThat;

import com.dedw3n.ApiTests;
import com.dedw3n.TestClock;
import com.dedw3n.mail.Outbox;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.TestConfiguration;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Import;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import org.springframework.transaction.reactive.TransactionalOperator;
import reactor.core.publisher.Flux;

/**
 * The outbox against a fake Brevo on loopback and a clock the test moves: Brevo failing with 5xx,
 * rate limiting with 429 and Retry-After, and answering too late, and every mail delivered exactly
 * once after it recovers. The sender's own rounds are an hour apart here: the test runs them.
 */
@Import(MailOutboxTests.MovableClock.class)
class MailOutboxTests extends ApiTests {

  static final FakeBrevo brevo = new FakeBrevo();

  @TestConfiguration(proxyBeanMethods = false)
  static class MovableClock {
    @Bean
    TestClock testClock() {
      return new TestClock(Instant.now().truncatedTo(ChronoUnit.MILLIS));
    }
  }

  @DynamicPropertySource
  static void fakeBrevo(DynamicPropertyRegistry properties) {
    properties.add("dedw3n.mail.brevo.api-key", () -> FakeBrevo.API_KEY);
    properties.add("dedw3n.mail.brevo.base-url", brevo::baseUrl);
    properties.add("dedw3n.mail.brevo.timeout", () -> "500ms");
    properties.add("dedw3n.mail.brevo.breaker-failures", () -> "3");
    properties.add("dedw3n.mail.brevo.breaker-open-for", () -> "60s");
    properties.add("dedw3n.mail.poll-interval", () -> "1h");
    properties.add("dedw3n.mail.jitter", () -> "0");
  }

  @AfterAll
  static void stopFake() {
    brevo.close();
  }

  @Autowired TestClock clock;
  @Autowired Outbox outbox;
  @Autowired MailSender sender;
  @Autowired TransactionalOperator transaction;

  @BeforeEach
  void healthyBrevoAndNothingDue() {
    brevo.healthy();
    // anything other tests left due is sent first (past any open breaker), so each test sees
    // only its own mail
    clock.advance(Duration.ofDays(1));
    drain();
  }

  @Test
  void everyMailIsDeliveredExactlyOnceThroughServerErrorsRateLimitsAndTimeouts() {
    List<String> keys = List.of(key(), key(), key(), key());
    Flux.fromIterable(keys)
        .concatMap(k -> outbox.enqueue(k, k + "@example.com", "Subject " + k, "Body"))
        .then()
        .as(transaction::transactional)
        .block();
    int before = brevo.requests();

    brevo.failWith(503, null);
    assertThat(sender.deliverDue().block()).isZero();
    assertThat(brevo.requests() - before).isEqualTo(3); // the breaker opened after three
    assertThat(rows(keys)).allSatisfy(row -> assertThat(row.get("status")).isEqualTo("PENDING"));
    // not due again before the backoff
    assertThat(sender.deliverDue().block()).isZero();

    // past the backoff (10 s) and the open breaker (60 s, by the same clock): one probe, then all
    clock.advance(Duration.ofSeconds(61));
    brevo.failWith(429, "30");
    deliverRounds(3, Duration.ZERO);
    assertThat(rows(keys)).allSatisfy(row -> assertThat(row.get("status")).isEqualTo("PENDING"));
    // 429 waits its Retry-After, from the clock of the answer
    OffsetDateTime next = (OffsetDateTime) rows(keys).get(0).get("next_attempt_at");
    assertThat(Duration.between(clock.instant(), next.toInstant()))
        .isEqualTo(Duration.ofSeconds(30));

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
              assertThat(brevo.deliveries((UUID) row.get("idempotency_key"))).isEqualTo(1);
            });
  }

  @Test
  void theSameCauseQueuesOneMail() {
    String k = key();
    outbox.enqueue(k, "a@example.com", "One", "Body").block();
    outbox.enqueue(k, "a@example.com", "One", "Body").block();
    assertThat(rows(List.of(k))).hasSize(1);
    assertThat(sender.deliverDue().block()).isEqualTo(1);
    assertThat(sender.deliverDue().block()).isZero();
    assertThat(brevo.deliveries((UUID) rows(List.of(k)).get(0).get("idempotency_key")))
        .isEqualTo(1);
  }

  @Test
  void aMailBrevoRefusesIsGivenUpAtOnce() {
    String k = key();
    outbox.enqueue(k, "bad@example.com", "Refused", "Body").block();
    brevo.failWith(400, null);
    sender.deliverDue().block();
    var row = rows(List.of(k)).get(0);
    assertThat(row.get("status")).isEqualTo("FAILED");
    assertThat((String) row.get("last_error")).startsWith("400");
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
            "SELECT dedup_key, status, delivered_by, idempotency_key, next_attempt_at, last_error"
                + " FROM mail_outbox WHERE dedup_key = ANY($1) ORDER BY id")
        .bind(0, keys.toArray(String[]::new))
        .fetch()
        .all()
        .collectList()
        .block();
  }

  private static String key() {
    return "test:" + UUID.randomUUID();
  }
}
