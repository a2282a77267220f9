package com.dedw3n.platform.db;

import io.r2dbc.pool.ConnectionPool;
import io.r2dbc.pool.ConnectionPoolConfiguration;
import io.r2dbc.postgresql.PostgresqlConnectionFactoryProvider;
import io.r2dbc.spi.ConnectionFactories;
import io.r2dbc.spi.ConnectionFactory;
import io.r2dbc.spi.ConnectionFactoryOptions;
import io.r2dbc.spi.Option;
import java.time.Duration;
import org.jspecify.annotations.Nullable;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.boot.r2dbc.autoconfigure.R2dbcProperties;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.util.StringUtils;

/**
 * The one connection pool of the process, created once and disposed on shutdown. Its connections
 * come from the driver, whose statements are counted and timed and register with their request (so
 * a request that runs out of time stops them); the pool itself stays the one connection factory
 * bean, which transactions use as their key (a wrapper in front of the pool would not be equal to
 * itself as a key).
 */
@Configuration(proxyBeanMethods = false)
@EnableConfigurationProperties(R2dbcProperties.class)
class DatabaseConfiguration {

  /**
   * Statements each connection keeps prepared: the application's statements with the page sizes
   * clients use, with room to spare (a generic plan of the feed's statement is about 170 KB of
   * PostgreSQL's memory, so 10 connections hold at most a few hundred MB even when full).
   */
  static final int PREPARED_STATEMENTS = 128;

  /** Whether the driver's {@code options} (name=value;... or a map) set statement_timeout. */
  static boolean setsStatementTimeout(ConnectionFactoryOptions options) {
    if (!options.hasOption(PostgresqlConnectionFactoryProvider.OPTIONS)) {
      return false;
    }
    Object settings = options.getValue(PostgresqlConnectionFactoryProvider.OPTIONS);
    if (settings instanceof java.util.Map<?, ?> map) {
      return map.containsKey("statement_timeout");
    }
    return settings != null
        && java.util.Arrays.stream(settings.toString().split(";"))
            .anyMatch(setting -> setting.strip().startsWith("statement_timeout="));
  }

  @Bean(destroyMethod = "dispose")
  ConnectionPool connectionFactory(
      R2dbcProperties settings,
      DatabaseLimits limits,
      StatementCounter counter,
      StatementDurations durations) {
    // Boot's own spring.r2dbc.* properties (its record, not ours: none is silently ignored); the
    // defaults in application.yml are the production guide's pool
    if (!StringUtils.hasText(settings.getUrl())) {
      throw new IllegalStateException(
          "No database configured: set DATABASE_URL or spring.r2dbc.url");
    }
    ConnectionFactoryOptions.Builder options =
        ConnectionFactoryOptions.parse(settings.getUrl()).mutate();
    if (StringUtils.hasText(settings.getUsername())) {
      options.option(ConnectionFactoryOptions.USER, settings.getUsername());
    }
    if (StringUtils.hasText(settings.getPassword())) {
      options.option(ConnectionFactoryOptions.PASSWORD, settings.getPassword());
    }
    // spring.r2dbc.properties.*: driver options by name
    settings.getProperties().forEach((name, value) -> options.option(Option.valueOf(name), value));
    if (!options.build().hasOption(PostgresqlConnectionFactoryProvider.FORCE_BINARY)) {
      // Results in PostgreSQL's binary format: a timestamptz is then 8 bytes to read instead of
      // text for DateTimeFormatter to parse, which alone took 8 % of the CPU of the W1 feed.
      options.option(PostgresqlConnectionFactoryProvider.FORCE_BINARY, true);
    }
    if (!options.build().hasOption(PostgresqlConnectionFactoryProvider.STATEMENT_TIMEOUT)
        // the driver would put this default over one the URL's options set (DATABASE_URL's
        // options=-c statement_timeout=...), which the operator chose
        && !setsStatementTimeout(options.build())) {
      // PostgreSQL's own backstop behind the execution timeout, which cancels a stopped request's
      // statements itself: no statement outlives it, whatever happens to the request
      options.option(
          PostgresqlConnectionFactoryProvider.STATEMENT_TIMEOUT, limits.statementTimeout());
    }
    if (!options.build().hasOption(ConnectionFactoryOptions.CONNECT_TIMEOUT)) {
      options.option(ConnectionFactoryOptions.CONNECT_TIMEOUT, limits.connectTimeout());
    }
    if (!options
        .build()
        .hasOption(PostgresqlConnectionFactoryProvider.PREPARED_STATEMENT_CACHE_QUERIES)) {
      // the driver keeps every statement it has prepared on a connection, without limit by
      // default; a page's size written into the text (SqlLimit) makes a statement for each size a
      // client asks for, so the cache is bounded (least recently used closed first)
      options.option(
          PostgresqlConnectionFactoryProvider.PREPARED_STATEMENT_CACHE_QUERIES,
          PREPARED_STATEMENTS);
    }
    // a database host that vanishes without closing the connection is noticed
    options.option(PostgresqlConnectionFactoryProvider.TCP_KEEPALIVE, true);
    R2dbcProperties.Pool pool = settings.getPool();
    ConnectionFactory driver =
        new ContextFreeConnectionFactory(
            ConnectionFactories.get(options.build()), counter, durations);
    // Boot leaves max-life-time unset (null) by default, and a blank setting unsets either:
    // r2dbc-pool reads null as no limit, and so must the retirement rule, which the pool consults
    // on every release
    Duration maxIdleTime = noLimitIfUnset(pool.getMaxIdleTime());
    Duration maxLifeTime = noLimitIfUnset(pool.getMaxLifeTime());
    Duration sweep = WarmPool.sweepInterval(maxIdleTime);
    ConnectionPoolConfiguration.Builder config =
        ConnectionPoolConfiguration.builder(driver)
            .name("dedw3n")
            // the minimum, not Boot's initial-size (10, the whole pool), is what WarmPool keeps
            // open
            .initialSize(pool.getMinIdle())
            .minIdle(pool.getMinIdle())
            .maxSize(pool.getMaxSize())
            .maxIdleTime(maxIdleTime)
            .maxAcquireTime(pool.getMaxAcquireTime())
            .maxCreateConnectionTime(pool.getMaxCreateConnectionTime())
            .maxLifeTime(maxLifeTime)
            .maxValidationTime(pool.getMaxValidationTime())
            .acquireRetry(pool.getAcquireRetry())
            .validationDepth(pool.getValidationDepth())
            // idle connections are evicted by a background sweep, not only when next acquired
            .backgroundEvictionInterval(sweep)
            // retired by idle time and age as r2dbc-pool does, and after dedw3n.db.max-uses uses
            .customizer(
                builder ->
                    builder.evictionPredicate(
                        new ConnectionRetirement(maxIdleTime, maxLifeTime, limits.maxUses())));
    if (StringUtils.hasText(pool.getValidationQuery())) {
      config.validationQuery(pool.getValidationQuery());
    }
    if (maxIdleTime.isZero() || maxLifeTime.isZero()) {
      // every connection is closed as it is released: none could be kept warm
      return new ConnectionPool(config.build());
    }
    // the minimum reopened within half a sweep of the sweep retiring it
    return new WarmPool(config.build(), pool.getMinIdle(), sweep.dividedBy(2));
  }

  private static Duration noLimitIfUnset(@Nullable Duration limit) {
    return limit == null ? Duration.ofMillis(-1) : limit;
  }
}
