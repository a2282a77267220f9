package com.dedw3n.user;

import io.r2dbc.spi.Readable;
import java.time.OffsetDateTime;
import java.util.Collection;
import org.springframework.r2dbc.core.DatabaseClient;
import org.springframework.stereotype.Repository;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/** The users table. Other features read users through the {@code User} DataLoader instead. */
@Repository
public class Users {

  private static final String COLUMNS = "id, email, display_name, created_at";

  private final DatabaseClient db;

  Users(DatabaseClient db) {
    this.db = db;
  }

  public Mono<User> findById(long id) {
    return db.sql("SELECT " + COLUMNS + " FROM users WHERE id = $1")
        .bind(0, id)
        .map(Users::user)
        .one();
  }

  /** One statement for any number of ids; missing ids are simply absent. */
  public Flux<User> findAllById(Collection<Long> ids) {
    return db.sql("SELECT " + COLUMNS + " FROM users WHERE id = ANY($1)")
        .bind(0, ids.toArray(Long[]::new))
        .map(Users::user)
        .all();
  }

  /** Ids of those of {@code ids} that exist. */
  public Flux<Long> existing(Collection<Long> ids) {
    return db.sql("SELECT id FROM users WHERE id = ANY($1)")
        .bind(0, ids.toArray(Long[]::new))
        .map(row -> row.get(0, Long.class))
        .all();
  }

  Mono<User> insert(String email, String displayName, String passwordHash) {
    return db.sql(
            "INSERT INTO users (email, display_name, password_hash) VALUES ($1, $2, $3)"
                + " ON CONFLICT (email) DO NOTHING RETURNING "
                + COLUMNS)
        .bind(0, email)
        .bind(1, displayName)
        .bind(2, passwordHash)
        .map(Users::user)
        .one();
  }

  Mono<Credentials> credentialsByEmail(String email) {
    return db.sql("SELECT id, password_hash FROM users WHERE email = $1")
        .bind(0, email)
        .map(row -> new Credentials(row.get(0, Long.class), row.get(1, String.class)))
        .one();
  }

  Mono<String> passwordHash(long userId) {
    return db.sql("SELECT password_hash FROM users WHERE id = $1")
        .bind(0, userId)
        .map(row -> row.get(0, String.class))
        .one();
  }

  Mono<Void> updatePassword(long userId, String passwordHash) {
    return db.sql("UPDATE users SET password_hash = $2 WHERE id = $1")
        .bind(0, userId)
        .bind(1, passwordHash)
        .then();
  }

  record Credentials(long userId, String passwordHash) {}

  private static User user(Readable row) {
    return new User(
        row.get("id", Long.class),
        row.get("email", String.class),
        row.get("display_name", String.class),
        row.get("created_at", OffsetDateTime.class));
  }
}
