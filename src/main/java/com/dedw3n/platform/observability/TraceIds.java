package com.dedw3n.platform.observability;

import graphql.GraphQLContext;
import io.micrometer.observation.Observation;
import io.micrometer.tracing.Span;
import io.micrometer.tracing.handler.TracingObservationHandler;
import java.util.Map;
import org.jspecify.annotations.Nullable;
import org.springframework.http.server.reactive.observation.ServerRequestObservationContext;

/**
 * Where a request's trace id is found: the id an operator searches the logs and the traces for, and
 * that every error a client gets carries in {@code extensions.traceId}.
 */
public final class TraceIds {

  /** The key of the operation's trace id in graphql-java's context (a String). */
  public static final String KEY = TraceIds.class.getName();

  /** The key of the operation's observation in graphql-java's context, for its log lines. */
  public static final String OBSERVATION = TraceIds.class.getName() + ".observation";

  private TraceIds() {}

  /** The trace id of an observation's span, or null when tracing is off. */
  public static @Nullable String of(Observation.@Nullable Context context) {
    if (context == null) {
      return null;
    }
    TracingObservationHandler.TracingContext tracing =
        context.get(TracingObservationHandler.TracingContext.class);
    Span span = tracing == null ? null : tracing.getSpan();
    return span == null ? null : span.context().traceId();
  }

  /** The trace id of the HTTP request whose exchange has these attributes, or null. */
  public static @Nullable String ofExchange(Map<String, Object> attributes) {
    return ServerRequestObservationContext.findCurrent(attributes).map(TraceIds::of).orElse(null);
  }

  /** The observation an operation put into its graphql-java context, or null. */
  public static Observation.@Nullable Context observationOf(@Nullable GraphQLContext context) {
    Observation observation = context == null ? null : context.get(OBSERVATION);
    return observation == null ? null : observation.getContext();
  }

  /** The trace id an operation put into its graphql-java context, or null. */
  public static @Nullable String of(@Nullable GraphQLContext context) {
    return context == null ? null : context.get(KEY);
  }
}
