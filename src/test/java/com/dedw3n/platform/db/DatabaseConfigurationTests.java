package com.dedw3n.platform.db;

import static org.assertj.core.api.Assertions.assertThat;

import com.dedw3n.ApiTests;
import io.r2dbc.pool.ConnectionPool;
import io.r2dbc.spi.Connection;
import io.r2dbc.spi.ConnectionFactoryOptions;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.r2dbc.autoconfigure.R2dbcProperties;
import org.springframework.r2dbc.connection.SingleConnectionFactory;
import org.springframework.r2dbc.core.DatabaseClient;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

class DatabaseConfigurationTests extends ApiTests {

  @Autowired ConnectionPool pool;
  @Autowired org.springframework.core.env.Environment environment;
  @Autowired DatabaseLimits limits;
  @Autowired R2dbcProperties application;
  @Autowired StatementCounter counter;
  @Autowired StatementDurations durations;

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

  /**
   * libpq's options and application_name in DATABASE_URL reach the server through the R2DBC URL it
   * becomes and the pool this configuration builds from it: r2dbc-postgresql reads options in a
   * form of its own (libpq's, passed as they were, could not be used at all), and the pool's
   * default statement timeout must not replace one the options set.
   */
  @Test
  void databaseUrlOptionsReachTheServer() {
    var server =
        ConnectionFactoryOptions.parse(
            environment.getProperty("spring.r2dbc.url").replaceFirst("^r2dbc:pool:", "r2dbc:"));
    String user = environment.getProperty("spring.r2dbc.username", "postgres");
    var url =
        DatabaseUrl.parse(
            "postgresql://"
                + user
                + "@"
                + server.getValue(ConnectionFactoryOptions.HOST)
                + ":"
                + server.getValue(ConnectionFactoryOptions.PORT)
                + "/"
                + server.getValue(ConnectionFactoryOptions.DATABASE)
                + "?options=-c%20search_path%3Dpg_catalog%2Cpublic%20-c%20statement_timeout%3D4321"
                + "&application_name=dedw3n-url-test");
    // the application's pool settings (application.yml), with the URL DATABASE_URL becomes
    var properties = new R2dbcProperties();
    var pooled = properties.getPool();
    var configured = application.getPool();
    pooled.setMinIdle(configured.getMinIdle());
    pooled.setMaxSize(configured.getMaxSize());
    pooled.setMaxIdleTime(configured.getMaxIdleTime());
    pooled.setMaxLifeTime(configured.getMaxLifeTime());
    pooled.setMaxAcquireTime(configured.getMaxAcquireTime());
    pooled.setMaxCreateConnectionTime(configured.getMaxCreateConnectionTime());
    pooled.setMaxValidationTime(configured.getMaxValidationTime());
    pooled.setValidationDepth(configured.getValidationDepth());
    properties.setUrl(url.r2dbcUrl());
    properties.setUsername(user);
    properties.setPassword(environment.getProperty("spring.r2dbc.password", ""));
    ConnectionPool built =
        new DatabaseConfiguration().connectionFactory(properties, limits, counter, durations);
    Connection connection = Mono.from(built.create()).block(Duration.ofSeconds(10));
    try {
      String settings =
          Flux.from(
                  connection
                      .createStatement(
                          "SELECT current_setting('search_path') || ' ' ||"
                              + " current_setting('statement_timeout') || ' ' ||"
                              + " current_setting('application_name')")
                      .execute())
              .flatMap(result -> result.map((row, meta) -> row.get(0, String.class)))
              // read to the end: a result cancelled halfway keeps the connection busy
              .single()
              .block(Duration.ofSeconds(10));
      assertThat(settings).isEqualTo("pg_catalog,public 4321ms dedw3n-url-test");
    } finally {
      Mono.from(connection.close()).block(Duration.ofSeconds(10));
      built.disposeLater().block(Duration.ofSeconds(10));
    }
  }
}
