package com.dedw3n.user.internal;

import org.springframework.r2dbc.core.DatabaseClient;
import org.springframework.stereotype.Repository;
import reactor.core.publisher.Mono;

/** Accounts: creating users and their credentials. Internal to the user feature. */
@Repository
class Accounts {

  private final DatabaseClient db;

  Accounts(DatabaseClient db) {
    this.db = db;
  }

  /** The new user's id, or empty when the email is taken. */
  Mono<Long> insert(String email, String displayName, String passwordHash) {
    return db.sql(
            "INSERT INTO users (email, display_name, password_hash) VALUES ($1, $2, $3)"
                + " ON CONFLICT (email) DO NOTHING RETURNING id")
        .bind(0, email)
        .bind(1, displayName)
        .bind(2, passwordHash)
        .map(row -> row.get(0, Long.class))
        .one();
  }

  Mono<Credentials> credentialsByEmail(String email) {
    return db.sql("SELECT id, password_hash FROM users WHERE email = $1")
        .bind(0, email)
        .map(row -> new Credentials(row.get(0, Long.class), row.get(1, String.class)))
        .one();
  }

  /** The signed-in user's address (as sign-in attempts are counted) and password hash. */
  Mono<Login> login(long userId) {
    return db.sql("SELECT email, password_hash FROM users WHERE id = $1")
        .bind(0, userId)
        .map(row -> new Login(row.get(0, String.class), row.get(1, String.class)))
        .one();
  }

  Mono<String> passwordHash(long userId) {
    return db.sql("SELECT password_hash FROM users WHERE id = $1")
        .bind(0, userId)
        .map(row -> row.get(0, String.class))
        .one();
  }

  /** Stores a new hash only over {@code checked}, the one just verified; false when it changed. */
  Mono<Boolean> replacePassword(long userId, String checked, String passwordHash) {
    return db.sql("UPDATE users SET password_hash = $3 WHERE id = $1 AND password_hash = $2")
        .bind(0, userId)
        .bind(1, checked)
        .bind(2, passwordHash)
        .fetch()
        .rowsUpdated()
        .map(updated -> updated > 0);
  }

  Mono<Void> updatePassword(long userId, String passwordHash) {
    return db.sql("UPDATE users SET password_hash = $2 WHERE id = $1")
        .bind(0, userId)
        .bind(1, passwordHash)
        .then();
  }

  record Credentials(long userId, String passwordHash) {}

  record Login(String email, String passwordHash) {}
}
