package com.dedw3n.platform.db;

import io.r2dbc.postgresql.api.PostgresqlConnection;
import io.r2dbc.proxy.core.QueryExecutionInfo;
import io.r2dbc.proxy.listener.ProxyExecutionListener;
import io.r2dbc.spi.Connection;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import reactor.util.context.ContextView;

/**
 * The SQL statements one request has in flight, so that a request that runs out of time (or whose
 * client hangs up) stops its statements in PostgreSQL too, instead of leaving them to run to the
 * end while holding a pooled connection.
 *
 * <p>A request puts its {@code RequestStatements} into its Reactor context ({@link #KEY}); every
 * statement executed under that context, by a data fetcher or a batch loader alike, is registered
 * when it starts and removed when its results have been read (r2dbc-proxy's before- and after-query
 * callbacks, which see the subscriber's context). {@link #cancel} sends PostgreSQL a cancel request
 * for each statement still registered: the statement ends with "canceling statement due to user
 * request", and its connection goes back to the pool.
 */
public final class RequestStatements {

  /** The Reactor context key. */
  public static final Class<RequestStatements> KEY = RequestStatements.class;

  private static final Log log = LogFactory.getLog(RequestStatements.class);

  private final Set<QueryExecutionInfo> running = ConcurrentHashMap.newKeySet();
  private volatile boolean cancelled;

  /** Cancels every statement of this request that is still running, and any it starts later. */
  public void cancel() {
    cancelled = true;
    for (QueryExecutionInfo statement : running) {
      cancel(statement);
    }
  }

  /** Statements of this request running now. */
  public int running() {
    return running.size();
  }

  private void started(QueryExecutionInfo statement) {
    running.add(statement);
    if (cancelled) {
      cancel(statement);
    }
  }

  private void finished(QueryExecutionInfo statement) {
    running.remove(statement);
  }

  private void cancel(QueryExecutionInfo statement) {
    if (!running.contains(statement)) {
      return;
    }
    Connection connection = statement.getConnectionInfo().getOriginalConnection();
    if (connection instanceof ContextFreeConnectionFactory.ContextFreeConnection wrapped) {
      connection = wrapped.delegate();
    }
    if (connection instanceof PostgresqlConnection postgres) {
      postgres
          .cancelRequest()
          .subscribe(
              ignored -> {},
              e -> log.warn("Could not cancel a statement of a stopped request: " + e));
    }
  }

  /** Registers statements with the request whose context they run in. */
  static final class Listener implements ProxyExecutionListener {

    @Override
    public void beforeQuery(QueryExecutionInfo execution) {
      RequestStatements request = of(execution);
      if (request != null) {
        request.started(execution);
      }
    }

    @Override
    public void afterQuery(QueryExecutionInfo execution) {
      RequestStatements request = of(execution);
      if (request != null) {
        request.finished(execution);
      }
    }

    private static RequestStatements of(QueryExecutionInfo execution) {
      ContextView context = execution.getValueStore().get(ContextView.class, ContextView.class);
      return context == null ? null : context.getOrDefault(KEY, null);
    }
  }
}
