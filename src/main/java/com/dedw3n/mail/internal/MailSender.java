package com.dedw3n.mail.internal;

import io.github.resilience4j.circuitbreaker.CallNotPermittedException;
import io.micrometer.core.instrument.MeterRegistry;
import io.r2dbc.spi.Readable;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import org.jspecify.annotations.Nullable;
import org.springframework.beans.factory.DisposableBean;
import org.springframework.r2dbc.core.DatabaseClient;
import reactor.core.Disposable;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * Delivers the outbox: whenever a transaction queued mail (the {@code Outbox} signals it after the
 * commit), and every {@code poll-interval} for retries and other instances' leftovers, it claims
 * the due rows (skipping rows another instance holds), sends each through Brevo, or to the local
 * mailbox without a key, and records the outcome. A row is sent at most once per attempt, and
 * retried until Brevo takes it: the wait doubles after each failure (5xx, timeout, no connection,
 * breaker open), a 429 waits its Retry-After, and a refused mail (another 4xx) is given up at once.
 * Claiming moves the row's next attempt past the lease, so a sender that dies mid-send leaves the
 * row to be retried, not lost; each row's lease is renewed just before its send, so that a round
 * slower than the lease (twenty mails to a Brevo answering in seven seconds) never sends a row that
 * another sender took meanwhile.
 */
class MailSender implements DisposableBean {

  private static final Log log = LogFactory.getLog(MailSender.class);

  /** What a secret-bearing body becomes once it has left (or will never leave) the outbox. */
  static final String BLANKED = "(removed: it held a one-time link)";

  private final DatabaseClient db;
  private final MailSettings settings;
  private final @Nullable BrevoApi brevo;
  private final Clock clock;
  private final MeterRegistry meters;
  private final Flux<?> wakeUps;
  private volatile @Nullable Disposable polling;

  /** Until when Brevo's last 429 asked this sender to wait. */
  private volatile Instant pausedUntil = Instant.MIN;

  MailSender(
      DatabaseClient db,
      MailSettings settings,
      @Nullable BrevoApi brevo,
      Clock clock,
      MeterRegistry meters,
      Flux<?> wakeUps) {
    this.wakeUps = wakeUps;
    this.db = db;
    this.settings = settings;
    this.brevo = brevo;
    this.clock = clock;
    this.meters = meters;
  }

  /**
   * Starts the rounds: on every signal of the outbox, and every poll interval (the first one poll
   * interval from now, by when Flyway has migrated; a round before would find no table and only log
   * a warning).
   */
  synchronized MailSender start() {
    if (!delivers()) {
      log.warn(
          "Mail is not sent: BREVO_API_KEY is not set. Queued mail stays in mail_outbox until an"
              + " instance with the key sends it.");
      return this;
    }
    if (polling == null) {
      polling =
          Flux.merge(Flux.interval(settings.pollInterval(), settings.pollInterval()), wakeUps)
              // a signal during a round brings one more round, not one per signal
              .onBackpressureLatest()
              .concatMap(
                  tick ->
                      deliverDue()
                          .onErrorResume(
                              e -> {
                                log.warn("Mail delivery round failed; the next one retries: " + e);
                                return Mono.empty();
                              }),
                  1)
              .subscribe();
    }
    return this;
  }

  /**
   * One round: claims the due rows and delivers them one after another; answers how many were sent.
   */
  Mono<Long> deliverDue() {
    Instant now = clock.instant();
    if (!delivers() || now.isBefore(pausedUntil)) {
      return Mono.just(0L);
    }
    return db.sql(
            "UPDATE mail_outbox SET next_attempt_at = $2 WHERE id IN (SELECT id FROM mail_outbox"
                + " WHERE status = 'PENDING' AND next_attempt_at <= $1 ORDER BY next_attempt_at"
                + " LIMIT $3 FOR UPDATE SKIP LOCKED)"
                + " RETURNING id, idempotency_key, recipient, subject, body, attempts,"
                + " next_attempt_at")
        .bind(0, now.atOffset(ZoneOffset.UTC))
        .bind(1, now.plus(settings.lease()).atOffset(ZoneOffset.UTC))
        .bind(2, settings.batch())
        .map(MailSender::claimed)
        .all()
        .concatMap(this::deliver)
        .filter(sent -> sent)
        .count();
  }

  /**
   * Whether this sender delivers: through Brevo, or to the development mailbox. A production
   * instance without the key leaves the outbox alone; marking rows delivered there would lose the
   * mail of every instance that shares the database and has the key (a pod whose secret is not
   * mounted, during a rolling deploy), one-time links included.
   */
  private boolean delivers() {
    return brevo != null || settings.localMailboxEndpoint();
  }

  private Mono<Boolean> deliver(Claimed mail) {
    if (brevo == null) {
      // development: the whole mail, links included, so the flows can be followed offline
      log.info(
          "Mail to "
              + mail.recipient()
              + " (local mailbox): "
              + mail.subject()
              + "\n"
              + mail.body());
      return sent(mail, "local", null);
    }
    BrevoApi api = brevo;
    Instant paused = pausedUntil;
    if (clock.instant().isBefore(paused)) {
      // Brevo rate-limited an earlier row of this round: the rest wait with it, unsent
      return moveLease(mail, paused).thenReturn(false);
    }
    return moveLease(mail, clock.instant().plus(settings.lease()))
        .flatMap(
            held ->
                held
                    ? send(api, mail)
                    // another sender took the row after this round's lease ran out: it is theirs
                    : Mono.just(false));
  }

  /**
   * Moves the row's lease to {@code until} (renewed for one send, or past a pause), if this sender
   * still holds it: the lease it claimed is still the row's, and the row is still pending.
   */
  private Mono<Boolean> moveLease(Claimed mail, Instant until) {
    return db.sql(
            "UPDATE mail_outbox SET next_attempt_at = $3 WHERE id = $1 AND status = 'PENDING'"
                + " AND next_attempt_at = $2")
        .bind(0, mail.id())
        .bind(1, mail.lease())
        .bind(2, until.atOffset(ZoneOffset.UTC))
        .fetch()
        .rowsUpdated()
        .map(rows -> rows > 0);
  }

  private Mono<Boolean> send(BrevoApi brevo, Claimed mail) {
    return brevo
        .send(mail.idempotencyKey(), mail.recipient(), mail.subject(), mail.body())
        .flatMap(
            outcome -> {
              if (outcome instanceof BrevoApi.Accepted accepted) {
                return sent(mail, "brevo", accepted.messageId());
              }
              if (outcome instanceof BrevoApi.RateLimited limited) {
                // Brevo's limit, not the mail's fault: no attempt is spent, and this sender asks
                // Brevo nothing more until it has passed (another request would only be refused
                // and keep the account over its limit)
                Instant until = clock.instant().plus(limited.retryAfter());
                pausedUntil = until;
                return retryAt(mail, until, "429", false);
              }
              BrevoApi.Refused refused = (BrevoApi.Refused) outcome;
              return failed(mail, refused.status() + " " + refused.body());
            })
        .onErrorResume(
            e -> e instanceof BrevoApi.Unavailable || e instanceof CallNotPermittedException,
            e -> {
              boolean spent = e instanceof BrevoApi.Unavailable;
              if (spent && mail.attempts() + 1 >= settings.maxAttempts()) {
                return failed(mail, e.getMessage());
              }
              Instant next =
                  e instanceof CallNotPermittedException
                      ? clock.instant().plus(settings.brevo().breakerOpenFor())
                      : clock.instant().plus(backoff(mail.attempts() + 1));
              return retryAt(mail, next, e.getMessage(), spent);
            });
  }

  /** The wait after the {@code attempt}th failure: backoff, doubled each time, capped, jittered. */
  Duration backoff(int attempt) {
    long base = settings.backoff().toMillis();
    long wait = Math.min(settings.maxBackoff().toMillis(), base << Math.min(attempt - 1, 30));
    long jitter = (long) (wait * settings.jitter() * ThreadLocalRandom.current().nextDouble());
    return Duration.ofMillis(wait - jitter);
  }

  private Mono<Boolean> sent(Claimed mail, String deliveredBy, @Nullable String providerId) {
    meters.counter("dedw3n.mail.sent", "via", deliveredBy).increment();
    // the development mailbox is read from the table: there the body must stay
    boolean keepBody = brevo == null && settings.localMailboxEndpoint();
    return db.sql(
            "UPDATE mail_outbox SET status = 'SENT', sent_at = $2, delivered_by = $3,"
                + " provider_id = $4, attempts = attempts + 1, last_error = NULL,"
                + " body = CASE WHEN body_secret AND $5 THEN $6 ELSE body END"
                + " WHERE id = $1 AND status = 'PENDING'")
        .bind(0, mail.id())
        .bind(1, clock.instant().atOffset(ZoneOffset.UTC))
        .bind(2, deliveredBy)
        .bind(3, io.r2dbc.spi.Parameters.in(io.r2dbc.spi.R2dbcType.VARCHAR, providerId))
        .bind(4, !keepBody)
        .bind(5, BLANKED)
        .then()
        .thenReturn(true);
  }

  private Mono<Boolean> retryAt(Claimed mail, Instant next, String error, boolean attemptSpent) {
    meters.counter("dedw3n.mail.retries").increment();
    return db.sql(
            "UPDATE mail_outbox SET next_attempt_at = $2, last_error = $3,"
                + " attempts = attempts + $4 WHERE id = $1 AND status = 'PENDING'")
        .bind(0, mail.id())
        .bind(1, next.atOffset(ZoneOffset.UTC))
        .bind(2, error)
        .bind(3, attemptSpent ? 1 : 0)
        .then()
        .thenReturn(false);
  }

  private Mono<Boolean> failed(Claimed mail, String error) {
    meters.counter("dedw3n.mail.failed").increment();
    log.error("Mail " + mail.id() + " to " + mail.recipient() + " given up: " + error);
    return db.sql(
            "UPDATE mail_outbox SET status = 'FAILED', last_error = $2, attempts = attempts + 1,"
                + " body = CASE WHEN body_secret THEN $3 ELSE body END"
                + " WHERE id = $1 AND status = 'PENDING'")
        .bind(0, mail.id())
        .bind(1, error)
        .bind(2, BLANKED)
        .then()
        .thenReturn(false);
  }

  @Override
  public void destroy() {
    Disposable running = polling;
    if (running != null) {
      running.dispose();
    }
  }

  private static Claimed claimed(Readable row) {
    return new Claimed(
        row.get("id", Long.class),
        row.get("idempotency_key", UUID.class),
        row.get("recipient", String.class),
        row.get("subject", String.class),
        row.get("body", String.class),
        row.get("attempts", Integer.class),
        row.get("next_attempt_at", OffsetDateTime.class));
  }

  /** A row this sender holds for one attempt. */
  record Claimed(
      long id,
      UUID idempotencyKey,
      String recipient,
      String subject,
      String body,
      int attempts,
      OffsetDateTime lease) {}

  /** For the local mailbox. */
  static OffsetDateTime utc(OffsetDateTime time) {
    return time.withOffsetSameInstant(ZoneOffset.UTC);
  }
}
