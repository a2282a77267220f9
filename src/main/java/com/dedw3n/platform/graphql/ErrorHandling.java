package com.dedw3n.platform.graphql;

import com.dedw3n.platform.ThrottledLog;
import com.dedw3n.platform.db.DatabaseErrors;
import graphql.GraphQLError;
import graphql.GraphqlErrorBuilder;
import graphql.execution.AbortExecutionException;
import graphql.schema.DataFetchingEnvironment;
import org.springframework.graphql.execution.DataFetcherExceptionResolverAdapter;
import org.springframework.stereotype.Component;

/**
 * Turns exceptions from data fetchers into GraphQL errors: {@link ApiException}s keep their
 * classification and message; a database that cannot serve now is UNAVAILABLE (one log line, not a
 * stack trace per request); anything else is our fault, logged (stack traces of the same failure at
 * most once a minute) and reported as an opaque INTERNAL_ERROR with the request's id, so no stack
 * trace, SQL or class name reaches a client.
 */
@Component
class ErrorHandling extends DataFetcherExceptionResolverAdapter {

  private static final ThrottledLog log = new ThrottledLog(ErrorHandling.class);

  @Override
  protected GraphQLError resolveToSingleError(Throwable ex, DataFetchingEnvironment env) {
    if (ex instanceof ApiException api) {
      return GraphQlErrors.of(api, env);
    }
    if (ex instanceof AbortExecutionException) {
      // the client went away mid-request: nothing to report, nobody to report it to
      return error(env, "The request was cancelled.");
    }
    ApiException database = DatabaseErrors.classify(ex);
    if (database != null) {
      if ("DATABASE_UNAVAILABLE".equals(database.code())) {
        log.warn("Database unavailable in " + env.getExecutionStepInfo().getPath(), ex);
      }
      return GraphQlErrors.of(database, env);
    }
    String reference = env.getExecutionId().toString();
    log.error(
        "Internal error in " + env.getExecutionStepInfo().getPath() + " [" + reference + "]", ex);
    return error(env, "Internal error; quote reference " + reference + " to support.");
  }

  private static GraphQLError error(DataFetchingEnvironment env, String message) {
    return GraphqlErrorBuilder.newError(env)
        .errorType(ErrorKind.INTERNAL_ERROR)
        .message(message)
        .build();
  }
}
