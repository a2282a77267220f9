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
 * How many GraphQL requests execute at once, by how much they can hold in memory; the rest wait
 * their turn in a bounded queue for a bounded time, and beyond either are turned away at once.
 *
 * <p>Everything a request resolves stays in memory until its response is written, so 256 feed
 * requests executing together on 2 cores (all waiting for the 10 database connections) made the
 * heap thrash: W1 fell from 341 to 102 requests/s between 16 and 256 connections. Executing a few
 * at a time gives more throughput with a bounded live set. But a light request (an order, a product
 * page) spends most of its time waiting for PostgreSQL while holding next to nothing, and under one
 * limit it held a turn the feed could have used, and the other way round. So the limit is on what a
 * request can hold, which its static cost bounds (it counts the objects the request can fetch at
 * most): requests of at least {@code heavyCost} points are <em>heavy</em> and share the few heavy
 * turns; lighter ones have turns of their own, more of them, and never wait behind a feed. The live
 * set stays bounded by {@code heavy × (largest cost) + light × heavyCost}.
 *
 * <p>The wait bound means a flood is answered with "retry shortly" in seconds instead of a queue
 * that makes every request wait half a minute. Permits come from reactor-pool (the pool library
 * under r2dbc-pool): an acquire that cannot be served yet waits without a thread, in arrival order,
 * and a permit is given back when its work completes, fails or is cancelled.
 */
final class ExecutionLimit {

  /** The cost of a request whose cost is not known (the guard is off): it counts as heavy. */
  static final long UNPRICED = Long.MAX_VALUE;

  /**
   * Raised when the queue is full or the wait too long: the server answers 503 with Retry-After.
   */
  static final class Saturated extends RuntimeException {
    Saturated(String message) {
      super(message, null, false, false);
    }
  }

  private static final Object PERMIT = new Object();

  private final InstrumentedPool<Object> heavy;
  private final InstrumentedPool<Object> light;
  private final long heavyCost;
  private final Duration queueTimeout;

  /**
   * @param heavyTurns heavy requests executing at once
   * @param lightTurns light requests executing at once
   * @param heavyCost the static cost from which a request is heavy
   * @param maxQueued requests waiting for a turn, in each of the two classes
   * @param queueTimeout the longest wait for a turn
   */
  ExecutionLimit(
      int heavyTurns, int lightTurns, long heavyCost, int maxQueued, Duration queueTimeout) {
    this.heavyCost = heavyCost;
    this.queueTimeout = queueTimeout;
    this.heavy = permits(heavyTurns, maxQueued);
    this.light = permits(lightTurns, maxQueued);
  }

  private static InstrumentedPool<Object> permits(int turns, int maxQueued) {
    return PoolBuilder.from(Mono.just(PERMIT))
        .sizeBetween(0, turns)
        .maxPendingAcquire(maxQueued)
        .buildPool();
  }

  /**
   * Runs the work under a turn of the class its static cost puts it in, given back when the work
   * completes, fails or is cancelled.
   */
  <T> Mono<T> run(long cost, Supplier<Mono<T>> work) {
    Mono<PooledRef<Object>> permit =
        (isHeavy(cost) ? heavy : light)
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

  /** Whether a request of this static cost takes a heavy turn. */
  boolean isHeavy(long cost) {
    return cost >= heavyCost;
  }

  /** Requests of one class executing now. */
  int executing(boolean heavyClass) {
    return (heavyClass ? heavy : light).metrics().acquiredSize();
  }

  /** Requests of one class waiting for a turn now. */
  int queued(boolean heavyClass) {
    return (heavyClass ? heavy : light).metrics().pendingAcquireSize();
  }
}
