package com.dedw3n.platform.graphql;

import java.util.function.Supplier;
import reactor.core.publisher.Mono;
import reactor.pool.InstrumentedPool;
import reactor.pool.PoolAcquirePendingLimitException;
import reactor.pool.PoolBuilder;

/**
 * How many GraphQL requests execute at once; the rest wait their turn in a bounded queue, and
 * beyond it are turned away at once. Everything a request resolves stays in memory until its
 * response is written, so 256 feed requests executing together on 2 cores (all waiting for the 10
 * database connections) made the heap thrash: W1 fell from 341 to 102 requests/s between 16 and 256
 * connections. Executing a few at a time gives more throughput with a bounded live set.
 *
 * <p>Permits come from reactor-pool (the pool library under r2dbc-pool): an acquire that cannot be
 * served yet waits without a thread, in arrival order, and a cancelled request gives its permit
 * back.
 */
final class ExecutionLimit {

  /** Raised when the queue is full: the server answers 503 with Retry-After. */
  static final class Saturated extends RuntimeException {
    Saturated() {
      super("Too many requests are waiting; retry shortly.", null, false, false);
    }
  }

  private static final Object PERMIT = new Object();

  private final InstrumentedPool<Object> permits;

  ExecutionLimit(int maxConcurrent, int maxQueued) {
    this.permits =
        PoolBuilder.from(Mono.just(PERMIT))
            .sizeBetween(0, maxConcurrent)
            .maxPendingAcquire(maxQueued)
            .buildPool();
  }

  /** Runs the work under a permit, released when it completes, fails or is cancelled. */
  <T> Mono<T> run(Supplier<Mono<T>> work) {
    return permits
        .withPoolable(permit -> work.get())
        .next()
        .onErrorMap(PoolAcquirePendingLimitException.class, e -> new Saturated());
  }

  /** Requests executing now. */
  int executing() {
    return permits.metrics().acquiredSize();
  }

  /** Requests waiting for a permit now. */
  int queued() {
    return permits.metrics().pendingAcquireSize();
  }
}
