package com.dedw3n.platform.db;

import io.r2dbc.pool.ConnectionPool;
import io.r2dbc.pool.PoolMetrics;
import java.time.Duration;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.ReactiveHealthIndicator;
import org.springframework.stereotype.Component;
import reactor.core.publisher.Mono;

/**
 * {@code /actuator/health} component {@code database}: UP when a connection answers a query within
 * a second (so that health itself answers quickly even when PostgreSQL does not), with the pool's
 * statistics so an operator sees saturation before it becomes an outage.
 *
 * <p>A check that got no connection in that second because every one is in use, while PostgreSQL
 * answered a statement within the last {@link #ANSWERED_WITHIN}, is UP with {@code saturated}: the
 * instance is busy, not cut off. Taken for DOWN, it made readiness fail on every instance of a busy
 * deployment at once, and the load balancer drop them all while the database was healthy.
 */
@Component("database")
class DatabaseHealthIndicator implements ReactiveHealthIndicator {

  static final Duration ANSWERED_WITHIN = Duration.ofSeconds(2);

  private final ConnectionPool pool;
  private final StatementDurations statements;
  private final Duration checkTimeout;
  private final Duration answeredWithin;

  @Autowired
  DatabaseHealthIndicator(ConnectionPool pool, StatementDurations statements) {
    this(pool, statements, Duration.ofSeconds(1), ANSWERED_WITHIN);
  }

  DatabaseHealthIndicator(
      ConnectionPool pool,
      StatementDurations statements,
      Duration checkTimeout,
      Duration answeredWithin) {
    this.pool = pool;
    this.statements = statements;
    this.checkTimeout = checkTimeout;
    this.answeredWithin = answeredWithin;
  }

  @Override
  public Mono<Health> health() {
    return Mono.usingWhen(
            pool.create(),
            connection ->
                Mono.from(connection.createStatement("SELECT 1").execute())
                    .flatMap(result -> Mono.from(result.getRowsUpdated()).thenReturn(true)),
            connection -> connection.close())
        .timeout(checkTimeout)
        .map(ok -> withPoolStatistics(Health.up()).build())
        .onErrorResume(
            e ->
                Mono.just(
                    busyButAnswering()
                        ? withPoolStatistics(Health.up()).withDetail("saturated", true).build()
                        : withPoolStatistics(Health.down(e)).build()));
  }

  /** Every connection in use, and PostgreSQL answering them. */
  private boolean busyButAnswering() {
    return pool.getMetrics().map(m -> m.acquiredSize() >= m.getMaxAllocatedSize()).orElse(false)
        && statements.sinceLastAnswer().compareTo(answeredWithin) < 0;
  }

  private Health.Builder withPoolStatistics(Health.Builder health) {
    pool.getMetrics()
        .ifPresent(
            (PoolMetrics m) ->
                health
                    .withDetail("acquired", m.acquiredSize())
                    .withDetail("idle", m.idleSize())
                    .withDetail("allocated", m.allocatedSize())
                    .withDetail("pendingAcquire", m.pendingAcquireSize())
                    .withDetail("max", m.getMaxAllocatedSize()));
    return health;
  }
}
