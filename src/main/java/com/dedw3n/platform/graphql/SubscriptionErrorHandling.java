package com.dedw3n.platform.graphql;

import graphql.GraphQLError;
import graphql.GraphqlErrorBuilder;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import org.springframework.graphql.execution.SubscriptionExceptionResolverAdapter;
import org.springframework.stereotype.Component;

/**
 * A subscription that ends with an error ends with a classified one, like every other error of the
 * API: {@link ApiException}s keep their kind and message; anything else is an opaque
 * INTERNAL_ERROR, logged in full.
 */
@Component
class SubscriptionErrorHandling extends SubscriptionExceptionResolverAdapter {

  private static final Log log = LogFactory.getLog(SubscriptionErrorHandling.class);

  @Override
  protected GraphQLError resolveToSingleError(Throwable ex) {
    if (ex instanceof ApiException api) {
      return GraphQlErrors.of(api, null);
    }
    log.error("Subscription failed", ex);
    return GraphqlErrorBuilder.newError()
        .errorType(ErrorKind.INTERNAL_ERROR)
        .message("Internal error; the subscription ended. Resubscribe with your last cursor.")
        .build();
  }
}
