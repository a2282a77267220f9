package com.dedw3n.platform.graphql;

import java.time.Duration;
import java.util.function.Supplier;
import reactor.core.publisher.Mono;
import reactor.pool.InstrumentedPool;
import reactor.pool.PoolAcquirePendingLimitException;
import reactor.pool.PoolAcquireTimeoutException;
import reactor.pool.PoolBuilder;
import reactor.pool.PooledRef;

/**
 * How many GraphQL requests execute at once; the rest wait their turn in a bounded queue for a
 * bounded time, and beyond either are turned away at once. Everything a request resolves stays in
 * memory until its response is written, so 256 feed requests executing together on 2 cores (all
 * waiting for the 10 database connections) made the heap thrash: W1 fell from 341 to 102 requests/s
 * between 16 and 256 connections. Executing a few at a time gives more throughput with a bounded
 * live set, and the wait bound means a flood is answered with "retry shortly" in seconds instead of
 * a queue that makes every request wait half a minute.
 *
 * <p>Permits come from reactor-pool (the pool library under r2dbc-pool): an acquire that cannot be
 * served yet waits without a thread, in arrival order, and a permit is given back when its work
 * completes, fails or is cancelled.
 */
final class ExecutionLimit {

  /**
   * Raised when the queue is full or the wait too long: the server answers 503 with Retry-After.
   */
  static final class Saturated extends RuntimeException {
    Saturated(String message) {
      super(message, null, false, false);
    }
  }

  private static final Object PERMIT = new Object();

  private final InstrumentedPool<Object> permits;
  private final Duration queueTimeout;

  ExecutionLimit(int maxConcurrent, int maxQueued, Duration queueTimeout) {
    this.queueTimeout = queueTimeout;
    this.permits =
        PoolBuilder.from(Mono.just(PERMIT))
            .sizeBetween(0, maxConcurrent)
            .maxPendingAcquire(maxQueued)
            .buildPool();
  }

  /** Runs the work under a permit, released when it completes, fails or is cancelled. */
  <T> Mono<T> run(Supplier<Mono<T>> work) {
    Mono<PooledRef<Object>> permit =
        permits
            .acquire(queueTimeout)
            .onErrorMap(
                PoolAcquirePendingLimitException.class,
                e -> new Saturated("Too many requests are waiting; retry shortly."))
            .onErrorMap(
                PoolAcquireTimeoutException.class,
                e ->
                    new Saturated(
                        "The server is busy: no turn to execute within "
                            + queueTimeout.toMillis()
                            + " ms; retry shortly."));
    return Mono.usingWhen(
        permit,
        ref -> work.get(),
        PooledRef::release,
        (ref, error) -> ref.release(),
        PooledRef::release);
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
