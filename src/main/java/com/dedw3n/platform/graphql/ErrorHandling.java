package com.dedw3n.platform.graphql;

import graphql.GraphQLError;
import graphql.schema.DataFetchingEnvironment;
import io.micrometer.observation.Observation;
import io.micrometer.observation.contextpropagation.ObservationThreadLocalAccessor;
import jakarta.validation.ConstraintViolationException;
import java.util.List;
import org.jspecify.annotations.Nullable;
import org.springframework.graphql.data.method.annotation.GraphQlExceptionHandler;
import org.springframework.graphql.execution.DataFetcherExceptionResolver;
import org.springframework.graphql.execution.SubscriptionExceptionResolver;
import org.springframework.web.bind.annotation.ControllerAdvice;
import reactor.core.publisher.Mono;

/**
 * The one resolver of exceptions into GraphQL errors; what a client gets is decided by {@link
 * GraphQlErrors#resolve}. spring-graphql asks for it in three roles (Boot also registers the advice
 * once more as a general resolver, which answers the same), and this class answers all three the
 * same way:
 *
 * <ul>
 *   <li>as the {@code @GraphQlExceptionHandler} of every controller, inside the controller's data
 *       fetcher: for what a controller method refused itself ({@link ApiException}s, and its
 *       arguments' Bean Validation), and for anything in {@code _entities}, which consults nothing
 *       else. Other failures are left to the next hook: resolved here, a failed connection field
 *       would reach spring-graphql's connection adapter as an empty connection (no items, no next
 *       page) and the response would no longer be one that answered nothing (the database being
 *       down would be a 200 listing nothing instead of a 503);
 *   <li>as a DataFetcherExceptionResolver, after every data fetcher: for everything else, including
 *       the fields that are not controller methods ({@code LoadedField}, {@code LoadedConnection});
 *   <li>as a SubscriptionExceptionResolver, for the stream of a subscription that fails: it ends.
 * </ul>
 */
@ControllerAdvice
class ErrorHandling implements DataFetcherExceptionResolver, SubscriptionExceptionResolver {

  @GraphQlExceptionHandler
  @Nullable List<GraphQLError> handle(Throwable ex, DataFetchingEnvironment env) {
    if (ex instanceof ApiException
        || ex instanceof ConstraintViolationException
        || "_entities".equals(env.getFieldDefinition().getName())) {
      return GraphQlErrors.resolve(ex, env);
    }
    return null; // not resolved here: see above
  }

  @Override
  public Mono<List<GraphQLError>> resolveException(Throwable ex, DataFetchingEnvironment env) {
    return Mono.just(GraphQlErrors.resolve(ex, env));
  }

  /**
   * A subscription's stream: spring-graphql subscribes to this inside the stream's Reactor context,
   * which carries the operation's observation (see {@code OperationObservation}).
   */
  @Override
  public Mono<List<GraphQLError>> resolveException(Throwable ex) {
    return Mono.deferContextual(
        context -> {
          Observation operation = context.getOrDefault(ObservationThreadLocalAccessor.KEY, null);
          return Mono.just(
              GraphQlErrors.resolveStream(ex, operation == null ? null : operation.getContext()));
        });
  }
}
