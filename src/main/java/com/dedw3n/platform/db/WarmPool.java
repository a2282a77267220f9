package com.dedw3n.platform.db;

import io.r2dbc.pool.ConnectionPool;
import io.r2dbc.pool.ConnectionPoolConfiguration;
import io.r2dbc.pool.PoolMetrics;
import io.r2dbc.spi.Connection;
import java.time.Duration;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import reactor.core.Disposable;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * The pool, with its minimum ({@code DB_POOL_MIN}) open from the start and whenever it is quiet:
 * the production guide's "2 warm".
 *
 * <p>Why: reactor-pool's background sweep retires every connection idle longer than {@code
 * DB_IDLE_TIMEOUT}, the minimum's too, and opens the minimum again only when the next request asks
 * for a connection, so on a quiet server that request (and the minute's database probe) waited for
 * a connection to be made; r2dbc-pool opens none at start either. Idle connections are still
 * retired as before, since a firewall or NAT between here and PostgreSQL may drop a quiet
 * connection without a word: every {@code every}, when the pool has no idle connection and fewer
 * than the minimum open, it opens fresh ones.
 *
 * <p>How: by taking one connection and giving it back, the pool's own path. With none idle,
 * reactor-pool opens what the minimum lacks beside the one asked for, gives back the permit of each
 * attempt that fails (the database down) and hands a new connection to any request waiting.
 * reactor-pool's {@code warmup()} does neither: one failed attempt of several kept the others'
 * permits for good (a pool of 10 down to 9, or to 1 with the minimum at 10), and a request that
 * came during a warm-up of a full-sized minimum waited out the acquire timeout.
 */
final class WarmPool extends ConnectionPool {

  private static final Log log = LogFactory.getLog(WarmPool.class);

  private final int minimum;
  private final Disposable refilling;

  WarmPool(ConnectionPoolConfiguration configuration, int minimum, Duration every) {
    super(configuration);
    this.minimum = minimum;
    this.refilling =
        Flux.interval(Duration.ZERO, every)
            // one refill at a time; a tick that comes while one runs (a connect timing out) is
            // dropped, not queued to run right after
            .onBackpressureDrop()
            .concatMap(tick -> refill(), 0)
            .subscribe();
  }

  /**
   * The pool's sweep interval: a connection idle past {@code maxIdleTime} is closed soon after, at
   * most every second (a shorter idle timeout would otherwise have connections opened and closed
   * many times a second for nothing).
   */
  static Duration sweepInterval(Duration maxIdleTime) {
    if (maxIdleTime.isNegative() || maxIdleTime.isZero()) {
      return Duration.ofSeconds(10);
    }
    Duration third = maxIdleTime.dividedBy(3);
    if (third.compareTo(Duration.ofSeconds(1)) < 0) {
      return Duration.ofSeconds(1);
    }
    return third.compareTo(Duration.ofSeconds(10)) > 0 ? Duration.ofSeconds(10) : third;
  }

  private Mono<Void> refill() {
    return Mono.defer(
            () -> {
              // r2dbc-pool's pool always has metrics (reactor-pool's is instrumented)
              PoolMetrics now = getMetrics().orElseThrow();
              // an idle connection is warm already, and taking it would restart its idle time
              if (now.idleSize() > 0 || now.allocatedSize() >= minimum) {
                return Mono.<Void>empty();
              }
              return Mono.usingWhen(create(), opened -> Mono.<Void>empty(), Connection::close);
            })
        .onErrorResume(
            e -> {
              // a database that is down is the probe's and the health check's to report
              log.debug("Could not open the pool's minimum connections", e);
              return Mono.empty();
            });
  }

  @Override
  public Mono<Void> disposeLater() {
    // close() and dispose() come here too: no refill opens a connection into a closing pool
    return Mono.fromRunnable(refilling::dispose).then(super.disposeLater());
  }
}
