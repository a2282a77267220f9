package com.dedw3n.user.internal;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Base64;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.r2dbc.core.DatabaseClient;
import org.springframework.stereotype.Repository;
import reactor.core.publisher.Mono;

/**
 * Single-use, expiring tokens that prove a mailbox: e-mail verification and password reset. The
 * token (256 random bits) goes into the mail only; the account_tokens table keeps its SHA-256, so
 * reading the database does not let anyone use one. Using a token marks it used in the same
 * statement that checks it, so two concurrent uses cannot both succeed.
 */
@Repository
class AccountTokens {

  enum Purpose {
    VERIFY_EMAIL,
    RESET_PASSWORD
  }

  private static final SecureRandom random = new SecureRandom();

  private final DatabaseClient db;
  private final Clock clock;

  AccountTokens(DatabaseClient db, ObjectProvider<Clock> clock) {
    this.db = db;
    this.clock = clock.getIfUnique(Clock::systemUTC);
  }

  /** A new token for the user, valid for {@code ttl}; answers the token itself (for the mail). */
  Mono<String> issue(long userId, Purpose purpose, Duration ttl) {
    byte[] bytes = new byte[32];
    random.nextBytes(bytes);
    String token = Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
    Instant now = clock.instant();
    return db.sql(
            "INSERT INTO account_tokens (token_hash, user_id, purpose, expires_at, created_at)"
                + " VALUES ($1, $2, $3, $4, $5)")
        .bind(0, hash(token))
        .bind(1, userId)
        .bind(2, purpose.name())
        .bind(3, now.plus(ttl).atOffset(ZoneOffset.UTC))
        .bind(4, now.atOffset(ZoneOffset.UTC))
        .then()
        .thenReturn(token);
  }

  /**
   * Uses the token: the user it was issued to, or empty when unknown, used, expired or for another
   * purpose.
   */
  Mono<Long> use(String token, Purpose purpose) {
    return db.sql(
            "UPDATE account_tokens SET used_at = $3 WHERE token_hash = $1 AND purpose = $2"
                + " AND used_at IS NULL AND expires_at > $3 RETURNING user_id")
        .bind(0, hash(token))
        .bind(1, purpose.name())
        .bind(2, clock.instant().atOffset(ZoneOffset.UTC))
        .map(row -> row.get(0, Long.class))
        .one();
  }

  /** After a reset, the user's other reset links stop working too. */
  Mono<Void> retireAll(long userId, Purpose purpose) {
    return db.sql(
            "UPDATE account_tokens SET used_at = $3 WHERE user_id = $1 AND purpose = $2"
                + " AND used_at IS NULL")
        .bind(0, userId)
        .bind(1, purpose.name())
        .bind(2, clock.instant().atOffset(ZoneOffset.UTC))
        .then();
  }

  Mono<Void> markEmailVerified(long userId) {
    return db.sql(
            "UPDATE users SET email_verified_at = $2 WHERE id = $1 AND email_verified_at IS NULL")
        .bind(0, userId)
        .bind(1, clock.instant().atOffset(ZoneOffset.UTC))
        .then();
  }

  Mono<Boolean> emailVerified(long userId) {
    return db.sql("SELECT email_verified_at IS NOT NULL FROM users WHERE id = $1")
        .bind(0, userId)
        .map(row -> row.get(0, Boolean.class))
        .one();
  }

  /** The token's SHA-256 in hex: a name for it that does not let anyone use it. */
  static String hashHex(String token) {
    return java.util.HexFormat.of().formatHex(hash(token));
  }

  private static byte[] hash(String token) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(token.getBytes(StandardCharsets.UTF_8));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is part of every JVM", e);
    }
  }
}
