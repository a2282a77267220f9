package com.dedw3n.user;

import io.r2dbc.spi.Readable;
import java.time.OffsetDateTime;
import java.util.Collection;
import org.jspecify.annotations.Nullable;
import org.springframework.r2dbc.core.DatabaseClient;
import org.springframework.stereotype.Repository;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * The user feature's public read service: users by id, for the features that need them outside a
 * DataLoader (conversation participants, a match's two users), and {@link Join}, for the features
 * that read the users their rows point to in the same statement. Accounts, credentials and the
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

  /** Ids of those of {@code ids} whose owners verified their email address. */
  public Flux<Long> verified(Collection<Long> ids) {
    return db.sql("SELECT id FROM users WHERE id = ANY($1) AND email_verified_at IS NOT NULL")
        .bind(0, ids.toArray(Long[]::new))
        .map(row -> row.get(0, Long.class))
        .all();
  }

  /** Ids of those of {@code ids} that exist. */
  public Flux<Long> existing(Collection<Long> ids) {
    return db.sql("SELECT id FROM users WHERE id = ANY($1)")
        .bind(0, ids.toArray(Long[]::new))
        .map(row -> row.get(0, Long.class))
        .all();
  }

  /**
   * The users table joined into another feature's statement under {@code alias}, its columns read
   * as {@code prefix + column} ({@code u.display_name AS user_display_name}, ...): a page of
   * products, reviews or posts reads its sellers or authors in its own statement instead of one
   * more statement (and round trip) through the users DataLoader. The table and its columns stay
   * spelled here, in the module that owns them.
   *
   * @param alias the table's alias in that statement
   * @param prefix the prefix of the columns read; must make no name of the statement's other
   *     columns
   */
  public static Join join(String alias, String prefix) {
    return new Join(alias, prefix);
  }

  /** See {@link #join}. */
  public record Join(String alias, String prefix) {

    /** The select-list of the joined user's columns, without a leading or trailing comma. */
    public String columns() {
      return alias
          + ".id AS "
          + prefix
          + "id, "
          + alias
          + ".email AS "
          + prefix
          + "email, "
          + alias
          + ".display_name AS "
          + prefix
          + "display_name, "
          + alias
          + ".created_at AS "
          + prefix
          + "created_at";
    }

    /**
     * The columns of {@link #columns()} as a subquery named {@code relation} exposes them ({@code
     * p.user_id, ...}), for a statement that selects from the subquery.
     */
    public String columnsOf(String relation) {
      return relation
          + "."
          + prefix
          + "id, "
          + relation
          + "."
          + prefix
          + "email, "
          + relation
          + "."
          + prefix
          + "display_name, "
          + relation
          + "."
          + prefix
          + "created_at";
    }

    /**
     * The join clause, with a leading space: the user whose id is {@code userId} (a column of the
     * statement's row). A left join: the row is read whether or not its user is (every user
     * reference is a foreign key today, so it always is).
     */
    public String on(String userId) {
      return " LEFT JOIN users " + alias + " ON " + alias + ".id = " + userId;
    }

    /** The user of a row read with {@link #columns()}; null when the row joined none. */
    public @Nullable User user(Readable row) {
      Long id = row.get(prefix + "id", Long.class);
      if (id == null) {
        return null;
      }
      return new User(
          id,
          row.get(prefix + "email", String.class),
          row.get(prefix + "display_name", String.class),
          row.get(prefix + "created_at", OffsetDateTime.class));
    }
  }

  private static User user(Readable row) {
    return new User(
        row.get("id", Long.class),
        row.get("email", String.class),
        row.get("display_name", String.class),
        row.get("created_at", OffsetDateTime.class));
  }
}
