package com.dedw3n.platform.db;

import com.dedw3n.platform.observability.TraceLogging;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.micrometer.tracing.Span;
import io.micrometer.tracing.Tracer;
import io.micrometer.tracing.handler.TracingObservationHandler;
import io.r2dbc.spi.R2dbcException;
import java.time.Duration;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Pattern;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import org.jspecify.annotations.Nullable;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.r2dbc.autoconfigure.R2dbcProperties;
import org.springframework.stereotype.Component;

/**
 * How long SQL statements take, from the moment one is sent until PostgreSQL's last message for it
 * has been read: the histogram {@code dedw3n.db.statement.duration} (Prometheus buckets from 1 ms
 * to 10 s), and the slow statement log, a warning for each statement slower than {@code
 * dedw3n.db.slow-statement} (1 s) naming its GraphQL operation and its SQL (never the values bound
 * to it, which may be personal data).
 */
@Component
class StatementDurations {

  private static final Log log = LogFactory.getLog(StatementDurations.class);
  private static final int SQL_IN_LOG = 500;
  // compiled once: String.replaceAll compiles its regex on every call, here every statement of a
  // sampled trace (0.27 % of W2's CPU in a profile)
  private static final Pattern WHITESPACE = Pattern.compile("\\s+");

  private final Timer durations;
  private final long slowNanos;
  private final @Nullable String validationQuery;
  private final @Nullable Tracer tracer;

  /** What a result's reading ended with when its reader stopped before the end. */
  static final Throwable READ_STOPPED =
      new java.util.concurrent.CancellationException("the reader stopped") {
        @Override
        public synchronized Throwable fillInStackTrace() {
          return this;
        }
      };

  /** When PostgreSQL last answered a statement to its end (System.nanoTime), for health. */
  private volatile long lastAnsweredNanos = System.nanoTime() - Duration.ofDays(1).toNanos();

  StatementDurations(
      MeterRegistry meters,
      DatabaseLimits limits,
      R2dbcProperties settings,
      ObjectProvider<Tracer> tracer) {
    this.tracer = limits.statementSpans() ? tracer.getIfAvailable() : null;
    this.slowNanos = limits.slowStatement().toNanos();
    this.validationQuery = settings.getPool().getValidationQuery();
    this.durations =
        Timer.builder("dedw3n.db.statement.duration")
            .description("SQL statements, from sending to the last message of their results")
            .serviceLevelObjectives(
                Duration.ofMillis(1),
                Duration.ofMillis(5),
                Duration.ofMillis(10),
                Duration.ofMillis(25),
                Duration.ofMillis(50),
                Duration.ofMillis(100),
                Duration.ofMillis(250),
                Duration.ofMillis(500),
                Duration.ofSeconds(1),
                Duration.ofMillis(2500),
                Duration.ofSeconds(5),
                Duration.ofSeconds(10))
            .register(meters);
  }

  /** How long ago PostgreSQL last answered a statement to its end. */
  Duration sinceLastAnswer() {
    return Duration.ofNanos(System.nanoTime() - lastAnsweredNanos);
  }

  /**
   * Starts timing a statement that is being sent now, under the request whose operation it serves
   * (null: none).
   */
  Timing start(String sql, @Nullable RequestStatements request) {
    return new Timing(sql, request, span(sql, request));
  }

  /**
   * One statement from the moment it is sent until PostgreSQL's last message for it has been read.
   *
   * <p>The end is not the end of the driver's stream of results: r2dbc-postgresql hands out a
   * result as soon as the statement is bound, before PostgreSQL has run it, and that stream may end
   * right away. An {@code INSERT ... RETURNING} slowed by a trigger inside PostgreSQL took 1.1 s
   * and was timed at 4 ms that way. The statement ends when the stream has ended <em>and</em> every
   * result it handed out has been read (or when it fails). Its end is recorded before the caller
   * sees it, so that whoever waits for the statement finds it in the log and the histogram.
   */
  final class Timing {
    private final String sql;
    private final long startedNanos = System.nanoTime();
    private final @Nullable RequestStatements request;
    private final @Nullable Span span;
    private final AtomicInteger unread = new AtomicInteger();
    private final AtomicBoolean ended = new AtomicBoolean();
    private volatile boolean executed;

    private Timing(String sql, @Nullable RequestStatements request, @Nullable Span span) {
      this.sql = sql;
      this.request = request;
      this.span = span;
    }

    void resultProduced() {
      unread.incrementAndGet();
    }

    /**
     * A result has been read to its end (null), or to the error it ended with, or its reader
     * stopped ({@link #READ_STOPPED}).
     */
    void resultRead(@Nullable Throwable failure) {
      if (failure != null && failure != READ_STOPPED && span != null) {
        span.error(failure);
      }
      if (failure == null
          || (failure instanceof R2dbcException reported && reported.getSqlState() != null)) {
        // PostgreSQL answered (rows, or its own error): it works, whatever the pool's wait
        lastAnsweredNanos = System.nanoTime();
      }
      if (unread.decrementAndGet() <= 0 && executed) {
        end();
      }
    }

    /** The driver's stream of results has ended, or its subscriber has stopped listening. */
    void executionEnded() {
      executed = true;
      if (unread.get() <= 0) {
        end();
      }
    }

    void failed(Throwable error) {
      if (span != null) {
        span.error(error);
      }
      end();
    }

    private void end() {
      if (ended.compareAndSet(false, true)) {
        ended(sql, System.nanoTime() - startedNanos, request);
        if (span != null) {
          span.end();
        }
      }
    }
  }

  /**
   * A span for the statement, a child of its GraphQL operation's, when that one is recorded: an
   * unsampled trace (nine in ten at the default sampling) costs nothing more than this check.
   */
  private @Nullable Span span(String sql, @Nullable RequestStatements request) {
    if (tracer == null || request == null || request.observation() == null) {
      return null;
    }
    TracingObservationHandler.TracingContext tracing =
        request.observation().get(TracingObservationHandler.TracingContext.class);
    Span parent = tracing == null ? null : tracing.getSpan();
    if (parent == null || !Boolean.TRUE.equals(parent.context().sampled())) {
      return null;
    }
    // whole: the statements that read a list ahead with its parent run past the log's 500 chars
    String text = collapsed(sql);
    int verb = text.indexOf(' ');
    // OpenTelemetry's database conventions: the span is named after the operation, the statement
    // text (never its bound values) is an attribute
    return tracer
        .spanBuilder()
        .setParent(parent.context())
        .name(verb > 0 ? text.substring(0, verb).toUpperCase(Locale.ROOT) : text)
        .kind(Span.Kind.CLIENT)
        .tag("db.system.name", "postgresql")
        .tag("db.query.text", text)
        .start();
  }

  private void ended(String sql, long nanos, @Nullable RequestStatements request) {
    if (sql.equals(validationQuery)) {
      return; // the pool checking a connection, not work an operation asked for
    }
    durations.record(nanos, TimeUnit.NANOSECONDS);
    if (nanos > slowNanos) {
      String operation =
          request == null
              ? "outside any GraphQL operation"
              : "in operation "
                  + (request.operationName() == null ? "(unnamed)" : request.operationName());
      TraceLogging.in(
          request == null ? null : request.observation(),
          () ->
              log.warn(
                  "Slow SQL statement: "
                      + TimeUnit.NANOSECONDS.toMillis(nanos)
                      + " ms "
                      + operation
                      + ": "
                      + oneLine(sql)));
    }
  }

  private static String oneLine(String sql) {
    String line = collapsed(sql);
    return line.length() <= SQL_IN_LOG ? line : line.substring(0, SQL_IN_LOG) + "...";
  }

  private static String collapsed(String sql) {
    return WHITESPACE.matcher(sql).replaceAll(" ").strip();
  }
}
