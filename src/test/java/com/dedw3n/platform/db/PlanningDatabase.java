package com.dedw3n.platform.db;

import io.r2dbc.pool.ConnectionPool;
import io.r2dbc.spi.Connection;
import io.r2dbc.spi.ConnectionFactory;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import org.springframework.r2dbc.connection.SingleConnectionFactory;
import org.springframework.r2dbc.core.DatabaseClient;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * A connection of its own (outside the pool) on copies of the feed's and the timeline's tables at
 * about a fifth of the benchmark's sizes (and empty copies of the order tables, for orders of those
 * products), for tests of how PostgreSQL plans the application's statements: the tests' own tables
 * hold a few rows, and every plan of a few rows is the same. {@code pg_prepared_statements} then
 * tells, for each statement the driver prepared on this connection, how many generic and how many
 * custom plans PostgreSQL made of it.
 *
 * <p>The copies live in a schema of their own, first on the connection's search path, and are
 * dropped with the connection on {@link #close()}; the application's tables are not touched.
 */
public final class PlanningDatabase implements AutoCloseable {

  private static final Duration TIMEOUT = Duration.ofSeconds(60);
  private static final List<String> TABLES =
      List.of("users", "products", "reviews", "posts", "comments", "orders", "order_items");

  private final Connection connection;
  private final String schema;
  private final DatabaseClient db;

  private PlanningDatabase(ConnectionFactory driver, Connection connection, String schema) {
    this.connection = connection;
    this.schema = schema;
    this.db =
        DatabaseClient.create(new SingleConnectionFactory(connection, driver.getMetadata(), true));
  }

  /**
   * Opens a connection of the pool's driver, with its options (binary results, the bounded
   * statement cache) but not counted as the application's statements, and fills the copies (a few
   * seconds).
   */
  public static PlanningDatabase open(ConnectionPool pool) {
    ConnectionFactory driver = ((ContextFreeConnectionFactory) pool.unwrap()).delegate();
    Connection connection = Mono.from(driver.create()).block(TIMEOUT);
    String schema = "plans_" + UUID.randomUUID().toString().replace("-", "");
    PlanningDatabase planning = new PlanningDatabase(driver, connection, schema);
    try {
      planning.fill();
    } catch (RuntimeException | Error e) {
      try {
        planning.close();
      } catch (RuntimeException closing) {
        e.addSuppressed(closing);
      }
      throw e;
    }
    return planning;
  }

  private void fill() {
    run("CREATE SCHEMA " + schema);
    for (String table : TABLES) {
      run("CREATE TABLE " + schema + "." + table + " (LIKE public." + table + " INCLUDING ALL)");
    }
    run("SET search_path = " + schema + ", public");
    // about a fifth of the benchmark's rows (bench/seed.sql), in its proportions
    run(
        "INSERT INTO users (email, display_name, password_hash, created_at)"
            + " SELECT 'u' || i || '@plans.test', 'User ' || i, 'x',"
            + " now() - i * interval '1 minute' FROM generate_series(1, 4000) i");
    run(
        "INSERT INTO products (seller_id, category, title, price_amount, price_currency, stock,"
            + " created_at) SELECT 1 + i % 4000, 'category ' || i % 10, 'Product ' || i, 100,"
            + " 'USD', 10, now() - i * interval '1 minute' FROM generate_series(1, 20000) i");
    run(
        "INSERT INTO reviews (product_id, author_id, rating, body, created_at)"
            + " SELECT 1 + i % 20000, 1 + i / 20000, 1 + i % 5, 'Review ' || i,"
            + " now() - i * interval '1 second' FROM generate_series(1, 100000) i");
    run(
        "INSERT INTO posts (author_id, body, created_at) SELECT 1 + i % 4000, 'Post ' || i,"
            + " now() - i * interval '1 minute' FROM generate_series(1, 20000) i");
    run(
        "INSERT INTO comments (post_id, author_id, body, created_at) SELECT 1 + i % 20000,"
            + " 1 + i % 4000, 'Comment ' || i, now() - i * interval '1 second'"
            + " FROM generate_series(1, 100000) i");
    for (String table : TABLES) {
      run("ANALYZE " + table);
    }
  }

  /** This connection, for a repository under test; statements see the copies. */
  public DatabaseClient db() {
    return db;
  }

  /**
   * The plans made of the one statement prepared on this connection whose text has {@code part}.
   */
  public Plans plans(String part) {
    List<Plans> found =
        db.sql(
                "SELECT generic_plans, custom_plans FROM pg_prepared_statements"
                    + " WHERE strpos(statement, $1) > 0")
            .bind(0, part)
            .map(row -> new Plans(row.get(0, Long.class), row.get(1, Long.class)))
            .all()
            .collectList()
            .block(TIMEOUT);
    if (found == null || found.size() != 1) {
      throw new AssertionError(
          "expected one prepared statement with '" + part + "', found " + found);
    }
    return found.get(0);
  }

  /** How often PostgreSQL used a plan for any parameters, and how often one for the values. */
  public record Plans(long generic, long custom) {}

  @Override
  public void close() {
    try {
      run("DROP SCHEMA IF EXISTS " + schema + " CASCADE");
    } finally {
      Mono.from(connection.close()).block(TIMEOUT);
    }
  }

  private void run(String sql) {
    Flux.from(connection.createStatement(sql).execute())
        .flatMap(result -> result.getRowsUpdated())
        .then()
        .block(TIMEOUT);
  }
}
