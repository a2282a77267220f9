package com.dedw3n.platform.db;

import com.dedw3n.platform.Deadlines;
import io.micrometer.observation.Observation;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import org.jspecify.annotations.Nullable;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * The SQL statements one request has in flight, so that a request that runs out of time (or whose
 * client hangs up) stops its statements in PostgreSQL too, instead of leaving them to run to the
 * end while holding a pooled connection.
 *
 * <p>A request puts its {@code RequestStatements} into its Reactor context ({@link #KEY}); every
 * statement executed under that context, by a data fetcher or a batch loader alike, is registered
 * with the connection it runs on when it starts ({@link ContextFreeConnectionFactory}, just above
 * the driver), and removed once its results have been read. {@link #cancel} sends PostgreSQL a
 * cancel request for each statement still registered: it ends with "canceling statement due to user
 * request", and its connection is retired (closed when it is released, and at once if PostgreSQL
 * has still not answered 2.5 s later).
 *
 * <p>The connection is the driver's own, recorded by the statement itself: r2dbc-pool calls {@code
 * ConnectionFactory.create()} once and subscribes to it for every connection, so anything recorded
 * per {@code create()} call is shared by all pooled connections (a cancel once went to the wrong
 * backend that way).
 */
public final class RequestStatements {

  /** The Reactor context key. */
  public static final Class<RequestStatements> KEY = RequestStatements.class;

  private static final Log log = LogFactory.getLog(RequestStatements.class);
  private static final Duration CANCEL_EVERY = Duration.ofMillis(250);
  private static final int CANCEL_ATTEMPTS = 10;

  private final Set<Running> running = ConcurrentHashMap.newKeySet();
  private final @Nullable String operationName;
  private final Observation.@Nullable Context observation;
  private volatile boolean cancelled;

  /** The statements of a request for this GraphQL operation (null: unnamed). */
  public RequestStatements(@Nullable String operationName) {
    this(operationName, null);
  }

  /**
   * The statements of a request for this GraphQL operation (null: unnamed), under the observation
   * whose trace their log lines carry (null: none).
   */
  public RequestStatements(
      @Nullable String operationName, Observation.@Nullable Context observation) {
    this.operationName = operationName;
    this.observation = observation;
  }

  /** The request's observation, whose trace the statements' log lines carry; or null. */
  public Observation.@Nullable Context observation() {
    return observation;
  }

  /** The GraphQL operation whose statements these are, for the slow statement log; or null. */
  public @Nullable String operationName() {
    return operationName;
  }

  /**
   * Work of this instance's own, with no request around it (a sweep, a feed's read), stopped as a
   * request that runs out of time is: past {@code deadline} its statements are sent cancel
   * requests, their connections retired (closed by the pool as the stopped work releases them), and
   * it fails with a {@link TimeoutException}. Not for work in a transaction: releasing its
   * connection rolls back first, which a silent connection never answers. Without it, a connection
   * that the network stopped carrying (a failover that sent no reset) held the work up until the
   * kernel gave the connection up, many minutes later, and every later run queued behind it. A
   * subscriber that cancels the work stops it as before, its connection back in the pool.
   */
  public static <T> Mono<T> bounded(String name, Duration deadline, Mono<T> work) {
    return Mono.defer(
        () -> {
          RequestStatements statements = new RequestStatements(name);
          AtomicBoolean late = new AtomicBoolean();
          Supplier<TimeoutException> timedOut =
              () -> new TimeoutException(name + " took more than " + deadline.toMillis() + " ms");
          // the statements are cancelled at the deadline, before the timeout cancels the work
          // (which unregisters them); a statement that fails with its cancel before the timeout
          // has cancelled the work fails it with the timeout all the same
          return Deadlines.within(
                  work,
                  deadline,
                  () -> {
                    late.set(true);
                    statements.cancel();
                  },
                  () -> Mono.error(timedOut.get()))
              .onErrorMap(e -> late.get() && !(e instanceof TimeoutException), e -> timedOut.get())
              .contextWrite(context -> context.put(KEY, statements));
        });
  }

  /** Cancels every statement of this request that is still running, and any it starts later. */
  public void cancel() {
    cancelled = true;
    for (Running statement : running) {
      statement.cancel();
    }
  }

  /** Statements of this request running now. */
  public int running() {
    return running.size();
  }

  /** Registers a statement starting on the connection. */
  Running started(ContextFreeConnectionFactory.ContextFreeConnection connection) {
    Running statement = new Running(connection);
    running.add(statement);
    if (cancelled) {
      statement.cancel();
    }
    return statement;
  }

  /**
   * One statement from its start until its results have been read: the execution has ended and
   * every result it produced has been consumed (or the execution was cancelled or failed, so no
   * result will be read).
   */
  final class Running {
    private final ContextFreeConnectionFactory.ContextFreeConnection connection;
    private final AtomicInteger unreadResults = new AtomicInteger();
    private volatile boolean executed;

    private Running(ContextFreeConnectionFactory.ContextFreeConnection connection) {
      this.connection = connection;
    }

    void resultProduced() {
      unreadResults.incrementAndGet();
    }

    void resultRead() {
      if (unreadResults.decrementAndGet() <= 0 && executed) {
        running.remove(this);
      }
    }

    void executionCompleted() {
      executed = true;
      if (unreadResults.get() <= 0) {
        running.remove(this);
      }
    }

    void executionAbandoned() {
      running.remove(this);
    }

    /**
     * Sends PostgreSQL a cancel request, and again every 250 ms while the statement still runs, ten
     * times at most: PostgreSQL ignores a cancel request that arrives while the backend is between
     * protocol messages. The connection is retired once it has been sent one: a late cancel request
     * must not find another request's statement on it. A statement PostgreSQL has still not
     * answered 2.5 s later has a connection that does not answer (a network that stopped carrying
     * it, a failover that sent no reset): the connection is closed, which ends the statement here
     * and gives its place in the pool to a new one, rather than holding it until the kernel gives
     * the connection up, many minutes later.
     */
    void cancel() {
      connection.retire();
      // decided now, before whoever stops the request cancels the statement (which unregisters
      // it): one that has already ended needs no cancel request, and its connection may be
      // someone else's by the time a request would arrive
      if (!running.contains(this)) {
        return;
      }
      attempts(
              CANCEL_EVERY,
              CANCEL_ATTEMPTS,
              () -> running.contains(this),
              () ->
                  connection
                      .cancelRequest()
                      .onErrorResume(
                          e -> {
                            log.warn("Could not cancel a statement of a stopped request: " + e);
                            return Mono.empty();
                          }))
          .subscribe(null, e -> log.error("Cancelling a statement of a stopped request failed", e));
      // on a timer of its own: to a host that no longer answers, each cancel request waits out the
      // connect timeout, and ten of them one after another would take minutes
      Mono.delay(CANCEL_EVERY.multipliedBy(CANCEL_ATTEMPTS))
          .then(Mono.defer(this::closeIfStillRunning))
          .subscribe(null, e -> log.error("Closing a stopped request's connection failed", e));
    }

    /**
     * Closes the connection of a statement still registered: its results not read to their end.
     * (Not "not executed": r2dbc-postgresql hands out a statement's result, and ends its execution,
     * before PostgreSQL has answered anything.)
     */
    private Mono<Void> closeIfStillRunning() {
      if (!running.contains(this)) {
        return Mono.empty();
      }
      log.warn(
          "PostgreSQL has not answered a stopped request's statement "
              + CANCEL_EVERY.multipliedBy(CANCEL_ATTEMPTS).toMillis()
              + " ms after the stop; its connection is closed");
      return Mono.from(connection.close())
          .onErrorResume(
              e -> {
                log.warn("Closing the connection of a stopped request failed: " + e);
                return Mono.empty();
              });
    }
  }

  /**
   * Runs {@code attempt} at once and then on each tick of {@code every} while {@code wanted} holds,
   * {@code times} at most, never two at once. A tick that comes while an attempt runs is skipped:
   * without that, an attempt slower than {@code every} (a cancel request opens a new connection to
   * PostgreSQL, which a busy server can take longer than 250 ms to accept) made the interval fail
   * for lack of demand, and the attempts stopped there with an ERROR in the log.
   */
  static Flux<Void> attempts(
      Duration every, int times, BooleanSupplier wanted, Supplier<Mono<Void>> attempt) {
    return Flux.interval(Duration.ZERO, every)
        .onBackpressureDrop()
        .take(times)
        // the first whatever has happened since: it was decided while the statement ran (a
        // subscriber that cancels it unregisters it before the first tick, but PostgreSQL still
        // runs it), and the connection was retired before, so it can cancel nobody else's
        .takeWhile(tick -> tick == 0 || wanted.getAsBoolean())
        .concatMap(tick -> attempt.get(), 0);
  }
}
