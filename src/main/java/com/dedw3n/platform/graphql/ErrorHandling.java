package com.dedw3n.platform.graphql;

import graphql.ErrorClassification;
import graphql.GraphQLError;
import graphql.GraphqlErrorBuilder;
import graphql.execution.AbortExecutionException;
import graphql.schema.DataFetchingEnvironment;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import org.springframework.graphql.execution.DataFetcherExceptionResolverAdapter;
import org.springframework.stereotype.Component;

/**
 * Turns exceptions from data fetchers into GraphQL errors: {@link ApiException}s keep their
 * classification and message; anything else is our fault, logged in full and reported as an opaque
 * INTERNAL_ERROR with the request's id, so no stack trace, SQL or class name reaches a client.
 */
@Component
class ErrorHandling extends DataFetcherExceptionResolverAdapter {

  private static final Log log = LogFactory.getLog(ErrorHandling.class);

  @Override
  protected GraphQLError resolveToSingleError(Throwable ex, DataFetchingEnvironment env) {
    if (ex instanceof ApiException api) {
      return error(env, api.kind(), api.getMessage());
    }
    if (ex instanceof AbortExecutionException) {
      // the client went away mid-request: nothing to report, nobody to report it to
      return error(env, ErrorKind.INTERNAL_ERROR, "The request was cancelled.");
    }
    String reference = env.getExecutionId().toString();
    log.error(
        "Internal error in " + env.getExecutionStepInfo().getPath() + " [" + reference + "]", ex);
    return error(
        env,
        ErrorKind.INTERNAL_ERROR,
        "Internal error; quote reference " + reference + " to support.");
  }

  private static GraphQLError error(
      DataFetchingEnvironment env, ErrorClassification kind, String message) {
    return GraphqlErrorBuilder.newError(env).errorType(kind).message(message).build();
  }
}
