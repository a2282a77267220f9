package com.dedw3n.mail;

import com.dedw3n.platform.db.AfterCommit;
import java.time.Clock;
import java.time.ZoneOffset;
import java.util.UUID;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.r2dbc.core.DatabaseClient;
import org.springframework.stereotype.Repository;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.publisher.Sinks;

/**
 * Where features put the mail they want sent. {@link #enqueue} writes one row of the mail_outbox
 * table and joins the caller's transaction (R2DBC transactions follow the Reactor context): the
 * mail exists exactly when what caused it committed, and the mail feature's sender delivers it
 * later, with retries, however long the provider is away.
 */
@Repository
public class Outbox {

  private final DatabaseClient db;
  private final Clock clock;
  private final Sinks.Many<Boolean> queued = Sinks.many().multicast().directBestEffort();

  Outbox(DatabaseClient db, ObjectProvider<Clock> clock) {
    this.db = db;
    // the sender compares due times with the application's clock: rows are dated by it too
    this.clock = clock.getIfUnique(Clock::systemUTC);
  }

  /**
   * Queues a plain-text mail, once per {@code dedupKey}: a second call with the same key (a
   * duplicate event, a retried request) queues nothing. Name the cause in the key, as {@code
   * order-paid:42}.
   */
  public Mono<Void> enqueue(String dedupKey, String recipient, String subject, String body) {
    return insert(dedupKey, recipient, subject, body, false);
  }

  /**
   * As {@link #enqueue}, for a mail whose body carries a secret (a one-time link): once the mail is
   * handed to Brevo, logged in production or given up, its body is blanked, so that the outbox does
   * not keep for ever a token of which the database otherwise keeps only the hash. The development
   * mailbox keeps it: reading it there is how the flows are followed offline.
   */
  public Mono<Void> enqueueWithSecret(
      String dedupKey, String recipient, String subject, String body) {
    return insert(dedupKey, recipient, subject, body, true);
  }

  private Mono<Void> insert(
      String dedupKey, String recipient, String subject, String body, boolean secret) {
    return db.sql(
            "INSERT INTO mail_outbox (dedup_key, idempotency_key, recipient, subject, body,"
                + " next_attempt_at, created_at, body_secret) VALUES ($1, $2, $3, $4, $5, $6, $6, $7)"
                + " ON CONFLICT (dedup_key) DO NOTHING")
        .bind(0, dedupKey)
        // Brevo wants a UUID as its idempotency key; one per row, so a retried send is one mail
        .bind(1, UUID.randomUUID())
        .bind(2, recipient)
        .bind(3, subject)
        .bind(4, body)
        .bind(5, clock.instant().atOffset(ZoneOffset.UTC))
        .bind(6, secret)
        .then()
        .then(AfterCommit.run(() -> queued.tryEmitNext(true)));
  }

  /**
   * A signal each time a transaction that queued mail has committed (or a queueing outside any
   * transaction is done), for the sender: it sends at once instead of at its next poll. Best
   * effort; the poll finds whatever a lost signal leaves.
   */
  public Flux<Boolean> queued() {
    return queued.asFlux();
  }
}
