package com.dedw3n.platform.db;

import com.dedw3n.platform.graphql.ApiException;
import com.dedw3n.platform.graphql.ErrorKind;
import io.r2dbc.spi.R2dbcException;
import io.r2dbc.spi.R2dbcNonTransientResourceException;
import io.r2dbc.spi.R2dbcTimeoutException;
import io.r2dbc.spi.R2dbcTransientResourceException;
import java.net.ConnectException;
import java.nio.channels.ClosedChannelException;
import java.util.Set;
import java.util.concurrent.TimeoutException;
import org.jspecify.annotations.Nullable;
import reactor.pool.PoolAcquireTimeoutException;
import reactor.pool.PoolShutdownException;

/**
 * Tells the database failures a client can do something about from our bugs: PostgreSQL down,
 * restarting, out of connections or too slow, or a transaction it rolled back in a conflict with
 * another, is UNAVAILABLE (retry shortly, HTTP 503), not an INTERNAL_ERROR with a stack trace per
 * request.
 */
public final class DatabaseErrors {

  /**
   * SQLSTATE classes of a database that cannot serve now: connection exceptions (08), insufficient
   * resources (53: too many connections, out of memory, disk full), operator intervention (57:
   * shutting down, crashed, starting up; but for a cancelled statement, 57014) and system errors
   * (58: I/O).
   */
  private static final Set<String> UNAVAILABLE_CLASSES = Set.of("08", "53", "57", "58");

  /**
   * Class 53's one limit of the statement rather than of the database: for this server's
   * statements, more temporary files than temp_file_limit allows, which they would write again.
   */
  private static final String CONFIGURATION_LIMIT_EXCEEDED = "53400";

  /**
   * A write on a read-only server: after a failover, a host name that still leads to the old
   * primary, now a standby, until DNS or the pool catches up.
   */
  private static final String READ_ONLY = "25006";

  /** A statement stopped by statement_timeout or by a stopped request's cancel request. */
  private static final String QUERY_CANCELED = "57014";

  /**
   * Transactions PostgreSQL rolled back so that others could go on: a deadlock it broke (40P01), or
   * a serialization failure (40001: under REPEATABLE READ or SERIALIZABLE, or a query on a standby
   * cancelled by the replay of the primary's changes). Sent again, the request normally succeeds.
   */
  private static final Set<String> ROLLED_BACK_IN_A_CONFLICT = Set.of("40P01", "40001");

  private DatabaseErrors() {}

  /** The client-facing error for a database failure, or null when it is not one we can explain. */
  public static @Nullable ApiException classify(Throwable failure) {
    for (Throwable cause = failure; cause != null; cause = cause.getCause()) {
      if (cause instanceof R2dbcException r2dbc && r2dbc.getSqlState() != null) {
        String state = r2dbc.getSqlState();
        if (state.equals(QUERY_CANCELED)) {
          return ApiException.unavailable(
              "EXECUTION_TIMEOUT",
              "The request took too long and its database work was stopped.",
              1);
        }
        if (state.equals(READ_ONLY)
            || (state.length() == 5
                && UNAVAILABLE_CLASSES.contains(state.substring(0, 2))
                && !state.equals(CONFIGURATION_LIMIT_EXCEEDED))) {
          return unavailable();
        }
        if (ROLLED_BACK_IN_A_CONFLICT.contains(state)) {
          return ApiException.unavailable(
              "TRANSACTION_CONFLICT",
              "The database stopped this request's work in a conflict with another request's;"
                  + " send it again.",
              1);
        }
        if (state.equals("22021") || state.equals("22P05")) {
          return new ApiException(
              ErrorKind.BAD_REQUEST,
              "INVALID_STRING",
              "A string holds characters that cannot be stored.",
              0);
        }
        // PostgreSQL answered, with an error of the statement (a trigger's RAISE, a limit, a
        // bug): not an outage, though the driver files every SQLSTATE it has no class for as a
        // non-transient resource failure
        return null;
      }
      if (cause instanceof R2dbcTransientResourceException
          || cause instanceof R2dbcNonTransientResourceException
          || cause instanceof R2dbcTimeoutException
          || cause instanceof PoolAcquireTimeoutException
          || cause instanceof PoolShutdownException
          || cause instanceof ConnectException
          || cause instanceof ClosedChannelException
          || cause instanceof TimeoutException
          || cause.getClass().getName().startsWith("io.r2dbc.postgresql.client.ReactorNettyClient$")
          || cause.getClass().getName().endsWith("PostgresConnectionException")) {
        return unavailable();
      }
    }
    return null;
  }

  private static ApiException unavailable() {
    return ApiException.unavailable(
        "DATABASE_UNAVAILABLE", "The database is not reachable right now; retry shortly.", 2);
  }
}
