package com.dedw3n.user;

import io.r2dbc.spi.Readable;
import java.time.OffsetDateTime;
import java.util.Collection;
import org.springframework.r2dbc.core.DatabaseClient;
import org.springframework.stereotype.Repository;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * The user feature's public read service: users by id, for the features that need them outside a
 * DataLoader (conversation participants, a match's two users). Accounts, credentials and the
 * GraphQL wiring are the feature's internals ({@code user.internal}).
 */
@Repository
public class Users {

  private static final String COLUMNS = "id, email, display_name, created_at";

  private final DatabaseClient db;

  public Users(DatabaseClient db) {
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

  private static User user(Readable row) {
    return new User(
        row.get("id", Long.class),
        row.get("email", String.class),
        row.get("display_name", String.class),
        row.get("created_at", OffsetDateTime.class));
  }
}
