package com.dedw3n.platform.db;

import io.r2dbc.postgresql.api.PostgresqlConnection;
import io.r2dbc.spi.Batch;
import io.r2dbc.spi.Connection;
import io.r2dbc.spi.ConnectionFactory;
import io.r2dbc.spi.ConnectionFactoryMetadata;
import io.r2dbc.spi.ConnectionMetadata;
import io.r2dbc.spi.IsolationLevel;
import io.r2dbc.spi.Readable;
import io.r2dbc.spi.Result;
import io.r2dbc.spi.Row;
import io.r2dbc.spi.RowMetadata;
import io.r2dbc.spi.Statement;
import io.r2dbc.spi.TransactionDefinition;
import io.r2dbc.spi.ValidationDepth;
import io.r2dbc.spi.Wrapped;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.BiFunction;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.function.Predicate;
import org.jspecify.annotations.Nullable;
import org.reactivestreams.Publisher;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.util.context.Context;

/**
 * The driver's connections, whose statements and results run with an empty Reactor context, and
 * which count ({@link StatementCounter}) and time ({@link StatementDurations}) every statement.
 *
 * <p>Why: r2dbc-postgresql decodes every result message in a Reactor {@code handle} operator, and
 * Reactor restores all thread-locals known to context-propagation (the HTTP observation's scope,
 * Spring Security's holders) from the subscriber's context around each call: measured 8 % of W1's
 * CPU, per row, for row decoding that reads no thread-local. Nothing below the statement needs the
 * context: the connection (and with it any transaction) was chosen before the statement was
 * created. Each statement registers with its request's {@link RequestStatements} (from the context,
 * before dropping it), so that a request that is stopped can cancel it.
 *
 * <p>Counting here, as plain delegation, replaced r2dbc-proxy, whose JDK proxies, reflective calls
 * and callback subscribers around every connection, statement and result took 8.6 % of the W2
 * product detail's CPU to count statements.
 */
record ContextFreeConnectionFactory(
    ConnectionFactory delegate, StatementCounter counter, StatementDurations durations)
    implements ConnectionFactory {

  @Override
  public Publisher<? extends Connection> create() {
    return Mono.from(delegate.create())
        .map(connection -> new ContextFreeConnection(connection, counter, durations));
  }

  @Override
  public ConnectionFactoryMetadata getMetadata() {
    return delegate.getMetadata();
  }

  private static <T> Flux<T> withoutContext(Publisher<T> publisher) {
    return Flux.from(publisher).contextWrite(ignored -> Context.empty());
  }

  /**
   * A driver connection whose statements run without the caller's context, and which is retired
   * (never handed out again, {@link ConnectionRetirement}) once a cancel request was sent for one
   * of its statements.
   *
   * <p>Why retire it: PostgreSQL cancels whatever the backend runs when the cancel request reaches
   * it, on a connection of its own. One sent while a stopped request's statement ran could arrive
   * after that statement had ended and the connection had gone back to the pool, and cancel another
   * request's statement; a network to the database that freezes and thaws delivers the cancel
   * requests it held up with the first statements of the recovery. Waiting for the cancel request
   * to be answered is not enough, as a frozen network may never answer it; a new connection costs
   * one connection setup for each stopped request's connection, which is rare.
   */
  static final class ContextFreeConnection implements Connection, Wrapped<Connection> {

    private final Connection delegate;
    private final StatementCounter counter;
    private final StatementDurations durations;
    private volatile boolean retired;

    ContextFreeConnection(
        Connection delegate, StatementCounter counter, StatementDurations durations) {
      this.delegate = delegate;
      this.counter = counter;
      this.durations = durations;
    }

    @Override
    public Connection unwrap() {
      return delegate;
    }

    /**
     * Retires the connection: a cancel request is about to be sent for its statement. Called as the
     * request stops, before its connection can go back to the pool.
     */
    void retire() {
      retired = true;
    }

    /**
     * Sends PostgreSQL a cancel request for the statement this connection runs now ({@link #retire}
     * it first).
     */
    Mono<Void> cancelRequest() {
      return delegate instanceof PostgresqlConnection postgres
          ? postgres.cancelRequest()
          : Mono.empty();
    }

    /** Whether a cancel request was sent (or about to be) for one of its statements. */
    boolean retired() {
      return retired;
    }

    @Override
    public Statement createStatement(String sql) {
      return new ContextFreeStatement(delegate.createStatement(sql), this, sql, counter, durations);
    }

    @Override
    public Batch createBatch() {
      Batch batch = delegate.createBatch();
      return new Batch() {
        private int statements;

        @Override
        public Batch add(String sql) {
          batch.add(sql);
          statements++;
          return this;
        }

        @Override
        public Publisher<? extends Result> execute() {
          return withoutContext(
                  Flux.defer(
                      () -> {
                        counter.executing(statements);
                        return batch.execute();
                      }))
              .map(ContextFreeResult::new);
        }
      };
    }

    @Override
    public Publisher<Void> beginTransaction() {
      return delegate.beginTransaction();
    }

    @Override
    public Publisher<Void> beginTransaction(TransactionDefinition definition) {
      return delegate.beginTransaction(definition);
    }

    @Override
    public Publisher<Void> close() {
      return delegate.close();
    }

    @Override
    public Publisher<Void> commitTransaction() {
      return delegate.commitTransaction();
    }

    @Override
    public Publisher<Void> createSavepoint(String name) {
      return delegate.createSavepoint(name);
    }

    @Override
    public boolean isAutoCommit() {
      return delegate.isAutoCommit();
    }

    @Override
    public ConnectionMetadata getMetadata() {
      return delegate.getMetadata();
    }

    @Override
    public IsolationLevel getTransactionIsolationLevel() {
      return delegate.getTransactionIsolationLevel();
    }

    @Override
    public Publisher<Void> releaseSavepoint(String name) {
      return delegate.releaseSavepoint(name);
    }

    @Override
    public Publisher<Void> rollbackTransaction() {
      return delegate.rollbackTransaction();
    }

    @Override
    public Publisher<Void> rollbackTransactionToSavepoint(String name) {
      return delegate.rollbackTransactionToSavepoint(name);
    }

    @Override
    public Publisher<Void> setAutoCommit(boolean autoCommit) {
      return delegate.setAutoCommit(autoCommit);
    }

    @Override
    public Publisher<Void> setLockWaitTimeout(Duration timeout) {
      return delegate.setLockWaitTimeout(timeout);
    }

    @Override
    public Publisher<Void> setStatementTimeout(Duration timeout) {
      return delegate.setStatementTimeout(timeout);
    }

    @Override
    public Publisher<Void> setTransactionIsolationLevel(IsolationLevel level) {
      return delegate.setTransactionIsolationLevel(level);
    }

    @Override
    public Publisher<Boolean> validate(ValidationDepth depth) {
      return delegate.validate(depth);
    }
  }

  /**
   * A statement of the driver. It runs without the caller's context, and registers itself with the
   * caller's {@link RequestStatements} (read from the context before it is dropped) while it runs.
   */
  private record ContextFreeStatement(
      Statement delegate,
      ContextFreeConnection connection,
      String sql,
      StatementCounter counter,
      StatementDurations durations)
      implements Statement {

    @Override
    public Statement add() {
      delegate.add();
      return this;
    }

    @Override
    public Statement bind(int index, Object value) {
      delegate.bind(index, value);
      return this;
    }

    @Override
    public Statement bind(String name, Object value) {
      delegate.bind(name, value);
      return this;
    }

    @Override
    public Statement bindNull(int index, Class<?> type) {
      delegate.bindNull(index, type);
      return this;
    }

    @Override
    public Statement bindNull(String name, Class<?> type) {
      delegate.bindNull(name, type);
      return this;
    }

    @Override
    public Statement returnGeneratedValues(String... columns) {
      delegate.returnGeneratedValues(columns);
      return this;
    }

    @Override
    public Statement fetchSize(int rows) {
      delegate.fetchSize(rows);
      return this;
    }

    @Override
    public Publisher<? extends Result> execute() {
      return Flux.deferContextual(
          context -> {
            // counted as it leaves, once however many bindings it carries
            counter.executing(sql);
            RequestStatements request = context.getOrDefault(RequestStatements.KEY, null);
            StatementDurations.Timing timing = durations.start(sql, request);
            RequestStatements.Running running =
                request != null && connection.unwrap() instanceof PostgresqlConnection
                    ? request.started(connection)
                    : null;
            return withoutContext(delegate.execute())
                .map(
                    result -> {
                      timing.resultProduced();
                      if (running != null) {
                        running.resultProduced();
                      }
                      return new ContextFreeResult(
                          result,
                          failure -> {
                            timing.resultRead(failure);
                            if (running != null) {
                              running.resultRead();
                            }
                          });
                    })
                .doOnComplete(
                    () -> {
                      timing.executionEnded();
                      if (running != null) {
                        running.executionCompleted();
                      }
                    })
                .doOnError(
                    e -> {
                      timing.failed(e);
                      if (running != null) {
                        running.executionAbandoned();
                      }
                    })
                .doOnCancel(
                    () -> {
                      timing.executionEnded();
                      if (running != null) {
                        running.executionAbandoned();
                      }
                    });
          });
    }
  }

  /**
   * A result read without the caller's context; {@code onRead} is told once that reading has ended,
   * with the error it ended with (PostgreSQL reports a failed statement there: a constraint
   * violated, a cancel, a timeout), null at its end, or {@link StatementDurations#READ_STOPPED}
   * when its reader stopped before the end.
   */
  private record ContextFreeResult(Result delegate, Consumer<@Nullable Throwable> onRead)
      implements Result {

    /** A result whose reading nobody waits for (of a batch: not timed, as before). */
    ContextFreeResult(Result delegate) {
      this(delegate, failure -> {});
    }

    ContextFreeResult {
      Consumer<@Nullable Throwable> once = onRead;
      AtomicBoolean ran = new AtomicBoolean();
      onRead =
          failure -> {
            if (ran.compareAndSet(false, true)) {
              once.accept(failure);
            }
          };
    }

    // the end is told before it is passed on (not in doFinally, which runs after): a caller that
    // waits for the statement finds it timed and no longer running
    private <T> Flux<T> read(Publisher<T> publisher) {
      return withoutContext(publisher)
          .doOnComplete(() -> onRead.accept(null))
          .doOnError(onRead)
          .doOnCancel(() -> onRead.accept(StatementDurations.READ_STOPPED));
    }

    @Override
    public Publisher<Long> getRowsUpdated() {
      return read(delegate.getRowsUpdated());
    }

    @Override
    public <T> Publisher<T> map(BiFunction<Row, RowMetadata, ? extends T> mapping) {
      return read(delegate.map(mapping));
    }

    @Override
    public <T> Publisher<T> map(Function<? super Readable, ? extends T> mapping) {
      return read(delegate.map(mapping));
    }

    @Override
    public Result filter(Predicate<Segment> filter) {
      return new ContextFreeResult(delegate.filter(filter), onRead);
    }

    @Override
    public <T> Publisher<T> flatMap(Function<Segment, ? extends Publisher<? extends T>> mapping) {
      return read(delegate.flatMap(mapping));
    }
  }
}
