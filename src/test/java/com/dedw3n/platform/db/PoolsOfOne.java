package com.dedw3n.platform.db;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.micrometer.tracing.Tracer;
import io.r2dbc.pool.ConnectionPool;
import java.time.Duration;
import org.jspecify.annotations.Nullable;
import org.springframework.beans.factory.support.StaticListableBeanFactory;
import org.springframework.boot.r2dbc.autoconfigure.R2dbcProperties;

/**
 * Pools of one connection (or a few) of a test's own, built as the server builds its pool, so that
 * nothing else uses the connections between the test's statements.
 */
final class PoolsOfOne {

  private static final DatabaseLimits LIMITS =
      new DatabaseLimits(
          Duration.ofSeconds(15),
          Duration.ofSeconds(5),
          Duration.ofSeconds(1),
          Duration.ofMinutes(1),
          0,
          false);

  private PoolsOfOne() {}

  /** Statement timing of its own, to hand to {@link #pool}. */
  static StatementDurations durations(R2dbcProperties settings) {
    return new StatementDurations(
        new SimpleMeterRegistry(),
        LIMITS,
        settings,
        new StaticListableBeanFactory().getBeanProvider(Tracer.class));
  }

  /** One connection to the server's database, retired after {@code maxUses} (0: no limit). */
  static ConnectionPool pool(R2dbcProperties settings, int maxUses, StatementDurations durations) {
    return pool(
        settings,
        0,
        1,
        settings.getPool().getMaxIdleTime(),
        settings.getPool().getMaxLifeTime(),
        maxUses,
        durations);
  }

  /**
   * A pool of its own of {@code min} to {@code max} connections, idle ones retired after {@code
   * maxIdleTime}, every one after {@code maxLifeTime} (null: Boot's default, unset).
   */
  static ConnectionPool pool(
      R2dbcProperties settings,
      int min,
      int max,
      Duration maxIdleTime,
      @Nullable Duration maxLifeTime,
      int maxUses,
      StatementDurations durations) {
    R2dbcProperties one = new R2dbcProperties();
    one.setUrl(settings.getUrl());
    one.setUsername(settings.getUsername());
    one.setPassword(settings.getPassword());
    one.getProperties().putAll(settings.getProperties());
    R2dbcProperties.Pool pool = settings.getPool();
    one.getPool().setMaxIdleTime(maxIdleTime);
    one.getPool().setMaxLifeTime(maxLifeTime);
    one.getPool().setMaxAcquireTime(pool.getMaxAcquireTime());
    one.getPool().setMaxCreateConnectionTime(pool.getMaxCreateConnectionTime());
    one.getPool().setMaxValidationTime(pool.getMaxValidationTime());
    one.getPool().setValidationQuery(pool.getValidationQuery());
    one.getPool().setMaxSize(max);
    one.getPool().setMinIdle(min);
    DatabaseLimits limits =
        new DatabaseLimits(
            LIMITS.statementTimeout(),
            LIMITS.connectTimeout(),
            LIMITS.slowStatement(),
            LIMITS.probeInterval(),
            maxUses,
            LIMITS.statementSpans());
    return new DatabaseConfiguration()
        .connectionFactory(
            one, limits, new StatementCounter(new SimpleMeterRegistry(), one), durations);
  }
}
