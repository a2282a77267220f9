package com.dedw3n.platform.db;

import io.r2dbc.pool.ConnectionPool;
import io.r2dbc.pool.PoolMetrics;
import java.time.Duration;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.ReactiveHealthIndicator;
import org.springframework.stereotype.Component;
import reactor.core.publisher.Mono;

/**
 * {@code /actuator/health} component {@code database}: UP when a connection answers a query within
 * a second (so that health itself answers quickly even when PostgreSQL does not), with the pool's
 * statistics so an operator sees saturation before it becomes an outage.
 */
@Component("database")
class DatabaseHealthIndicator implements ReactiveHealthIndicator {

  private final ConnectionPool pool;

  DatabaseHealthIndicator(ConnectionPool pool) {
    this.pool = pool;
  }

  @Override
  public Mono<Health> health() {
    return Mono.usingWhen(
            pool.create(),
            connection ->
                Mono.from(connection.createStatement("SELECT 1").execute())
                    .flatMap(result -> Mono.from(result.getRowsUpdated()).thenReturn(true)),
            connection -> connection.close())
        .timeout(Duration.ofSeconds(1))
        .map(ok -> withPoolStatistics(Health.up()).build())
        .onErrorResume(e -> Mono.just(withPoolStatistics(Health.down(e)).build()));
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
