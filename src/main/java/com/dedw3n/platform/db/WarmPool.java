package com.dedw3n.platform.db;

import io.r2dbc.pool.ConnectionPool;
import io.r2dbc.pool.ConnectionPoolConfiguration;
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
 * a connection to be made. Idle connections are still retired as before, since a firewall or NAT
 * between here and PostgreSQL may drop a quiet connection without a word; the pool opens fresh ones
 * in their place every {@code every}, and at start (r2dbc-pool opens none until asked).
 */
final class WarmPool extends ConnectionPool {

  private static final Log log = LogFactory.getLog(WarmPool.class);

  private final Disposable refilling;

  WarmPool(ConnectionPoolConfiguration configuration, Duration every) {
    super(configuration);
    // warmup() opens only what the minimum lacks (connections in use count towards it) and answers
    // at once when nothing is lacking; a database that is down is the probe's and the health
    // check's to report, so a failed refill is only tried again at the next tick
    this.refilling =
        Flux.interval(Duration.ZERO, every)
            .onBackpressureDrop()
            .concatMap(
                tick ->
                    warmup()
                        .onErrorResume(
                            e -> {
                              log.debug("Could not open the pool's minimum connections", e);
                              return Mono.empty();
                            }))
            .subscribe();
  }

  /** The pool's sweep interval: a connection idle past {@code maxIdleTime} is closed soon after. */
  static Duration sweepInterval(Duration maxIdleTime) {
    if (maxIdleTime.isNegative() || maxIdleTime.isZero()) {
      return Duration.ofSeconds(10);
    }
    Duration third = maxIdleTime.dividedBy(3);
    if (third.compareTo(Duration.ofMillis(100)) < 0) {
      return Duration.ofMillis(100);
    }
    return third.compareTo(Duration.ofSeconds(10)) > 0 ? Duration.ofSeconds(10) : third;
  }

  @Override
  public Mono<Void> disposeLater() {
    // close() and dispose() come here too: no refill opens a connection into a closing pool
    return Mono.fromRunnable(refilling::dispose).then(super.disposeLater());
  }
}
