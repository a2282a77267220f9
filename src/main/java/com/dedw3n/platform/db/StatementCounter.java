package com.dedw3n.platform.db;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.concurrent.atomic.LongAdder;
import org.springframework.boot.r2dbc.autoconfigure.R2dbcProperties;
import org.springframework.stereotype.Component;

/**
 * Counts every SQL statement that reaches the driver, as the metric {@code dedw3n.db.statements}.
 * The N+1 tests and the benchmark read it to prove how many statements an operation costs, so it
 * counts what was really sent, not what the code meant to send: {@link
 * ContextFreeConnectionFactory}, the layer just above the driver, tells it of each statement as it
 * is executed.
 */
@Component
public class StatementCounter {

  private final LongAdder total = new LongAdder();
  private final Counter counter;

  private final String validationQuery;

  StatementCounter(MeterRegistry registry, R2dbcProperties settings) {
    this.validationQuery = settings.getPool().getValidationQuery();
    this.counter =
        Counter.builder("dedw3n.db.statements")
            .description("SQL statements sent to PostgreSQL")
            .register(registry);
  }

  /**
   * Counted as the statement leaves, not when its result has been read: a request's response can be
   * written before the driver reports the end of the last result, and a count taken after the
   * response must already include every statement it cost.
   */
  void executing(String sql) {
    if (sql.equals(validationQuery)) {
      return; // the pool checking a connection, not work an operation asked for
    }
    executing(1);
  }

  /** A batch of N statements is N statements. */
  void executing(int statements) {
    total.add(statements);
    counter.increment(statements);
  }

  /** Statements sent since the process started. */
  public long total() {
    return total.sum();
  }
}
