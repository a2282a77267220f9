package com.dedw3n.platform.db;

import static org.assertj.core.api.Assertions.assertThat;

import com.dedw3n.ApiTests;
import io.r2dbc.pool.ConnectionPool;
import io.r2dbc.spi.Connection;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.r2dbc.connection.SingleConnectionFactory;
import org.springframework.r2dbc.core.DatabaseClient;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

class DatabaseConfigurationTests extends ApiTests {

  @Autowired ConnectionPool pool;

  /**
   * A page's size is part of its statement's text (SqlLimit), so a client that asks for every size
   * makes a statement for each: a connection keeps at most {@link
   * DatabaseConfiguration#PREPARED_STATEMENTS} of them prepared, in the driver and in PostgreSQL,
   * closing the least recently used.
   */
  @Test
  void aConnectionKeepsABoundedNumberOfStatementsPrepared() {
    var driver = ((ContextFreeConnectionFactory) pool.unwrap()).delegate();
    Connection connection = Mono.from(driver.create()).block(Duration.ofSeconds(10));
    try {
      DatabaseClient db =
          DatabaseClient.create(
              new SingleConnectionFactory(connection, driver.getMetadata(), true));
      int statements = DatabaseConfiguration.PREPARED_STATEMENTS * 2;
      Flux.range(1, statements)
          .concatMap(
              n ->
                  db.sql("SELECT $1::int LIMIT " + n)
                      .bind(0, n)
                      .map(row -> row.get(0, Integer.class))
                      .one())
          .as(rows -> rows.collectList())
          .doOnNext(rows -> assertThat(rows).hasSize(statements))
          .block(Duration.ofSeconds(60));
      Long prepared =
          db.sql("SELECT count(*) FROM pg_prepared_statements WHERE statement LIKE $1")
              .bind(0, "SELECT $1::int LIMIT %")
              .map(row -> row.get(0, Long.class))
              .one()
              .block(Duration.ofSeconds(10));
      assertThat(prepared)
          .isBetween(
              DatabaseConfiguration.PREPARED_STATEMENTS - 1L,
              (long) DatabaseConfiguration.PREPARED_STATEMENTS);
    } finally {
      Mono.from(connection.close()).block(Duration.ofSeconds(10));
    }
  }
}
