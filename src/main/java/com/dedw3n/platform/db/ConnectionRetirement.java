package com.dedw3n.platform.db;

import io.r2dbc.spi.Connection;
import java.time.Duration;
import java.util.function.BiPredicate;
import reactor.pool.PooledRefMetadata;

/**
 * When a pooled connection is retired: after {@code maxIdleTime} unused, after {@code maxLifeTime}
 * open, or after {@code maxUses} acquisitions (the production guide's {@code maxUses}: a backend
 * that has served that many requests is replaced, so whatever it accumulated, memory of cached
 * plans included, is returned to the server).
 *
 * <p>Why a predicate of our own: r2dbc-pool 1.0 retires connections by idle time and lifetime with
 * the one eviction predicate reactor-pool allows, and has no setting for uses; the pool builder
 * customizer can only replace that predicate, not add to it (reactor-pool keeps the predicate in a
 * package-private field). So this one states r2dbc-pool's two rules exactly as {@code
 * ConnectionPool.createConnectionPool} does (zero: evict at once; negative: never) and adds the
 * third. reactor-pool tests it when a connection is released, before an idle one is handed out and
 * in the background sweep.
 *
 * <p>A connection for one of whose statements a cancel request was sent is retired at once ({@link
 * ContextFreeConnectionFactory.ContextFreeConnection}): the request could still reach PostgreSQL
 * after that statement ended and cancel the next one on the connection.
 */
record ConnectionRetirement(Duration maxIdleTime, Duration maxLifeTime, int maxUses)
    implements BiPredicate<Connection, PooledRefMetadata> {

  @Override
  public boolean test(Connection connection, PooledRefMetadata metadata) {
    if (maxIdleTime.isZero()
        || maxLifeTime.isZero()
        || (connection instanceof ContextFreeConnectionFactory.ContextFreeConnection statements
            && statements.retired())) {
      return true;
    }
    boolean idleTooLong =
        !maxIdleTime.isNegative() && metadata.idleTime() >= maxIdleTime.toMillis();
    boolean openTooLong =
        !maxLifeTime.isNegative() && metadata.lifeTime() >= maxLifeTime.toMillis();
    boolean usedUp = maxUses > 0 && metadata.acquireCount() >= maxUses;
    return idleTooLong || openTooLong || usedUp;
  }
}
