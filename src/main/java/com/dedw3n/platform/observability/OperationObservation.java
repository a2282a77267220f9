package com.dedw3n.platform.observability;

import graphql.GraphQLError;
import graphql.GraphqlErrorBuilder;
import io.micrometer.context.ContextRegistry;
import io.micrometer.context.ContextSnapshotFactory;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.observation.Observation;
import io.micrometer.observation.ObservationRegistry;
import io.micrometer.observation.contextpropagation.ObservationThreadLocalAccessor;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicReference;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;
import org.springframework.core.Ordered;
import org.springframework.core.annotation.Order;
import org.springframework.graphql.ResponseError;
import org.springframework.graphql.execution.ContextPropagationHelper;
import org.springframework.graphql.server.WebGraphQlInterceptor;
import org.springframework.graphql.server.WebGraphQlRequest;
import org.springframework.graphql.server.WebGraphQlResponse;
import org.springframework.stereotype.Component;
import reactor.core.publisher.Mono;

/**
 * One observation per GraphQL operation, over HTTP and WebSocket alike: a span (a child of the HTTP
 * request's, which continues the gateway's {@code traceparent}), and the metrics of the operation:
 *
 * <ul>
 *   <li>{@code graphql.operation} (timer: requests and latency) tagged {@code operation} (a known
 *       operation's name, else {@code other} or {@code anonymous}: {@link KnownOperations}) and
 *       {@code outcome} ({@code success}, the classification of its first error, {@code failed}
 *       when no response was made, {@code cancelled} when the client went away first);
 *   <li>{@code dedw3n.graphql.errors} (counter) tagged {@code operation}, {@code classification}
 *       and {@code code} ({@code extensions.code}, {@code none} without one): every error of every
 *       response.
 * </ul>
 *
 * Every error of the response gets the trace id in {@code extensions.traceId}, so that a user's bug
 * report leads to the log lines and the trace of the request. Spring's per-field observations stay
 * off (measured to double the server time of the W1 feed): a span per operation, not per field. A
 * subscription's observation covers its start, not its stream.
 *
 * <p>The operation's observation is not opened as a scope around every data fetcher: spring-graphql
 * takes a context snapshot around each one, which carries the request's Reactor context (security
 * context, statements, this observation) into what the fetcher returns, and with Micrometer's
 * default registry also sets every thread-local it knows for the call (the observation's scope, and
 * with it OpenTelemetry's current span and the MDC; Spring Security's holders). Nothing here reads
 * those thread-locals: a log line gets its trace from {@link TraceLogging}, a statement's span its
 * parent from the request's statements, the viewer comes from the Reactor context. Measured 2.4 %
 * of the W2 product detail's CPU (an async-profiler profile, 2026-12-04), for 40 fields a request.
 */
@Component
@Order(Ordered.HIGHEST_PRECEDENCE + 50)
public class OperationObservation implements WebGraphQlInterceptor {

  /**
   * Reactor context key of an {@code AtomicReference<String>} the operation's name goes into once
   * the document has been read (a request need not send {@code operationName} when its document has
   * one operation).
   */
  public static final String RESOLVED_NAME = OperationObservation.class.getName() + ".name";

  /*
   * The observation's scope is not opened around Reactor's handle operators either. Reactor
   * restores each thread-local the global registry knows around each handle operator whose
   * subscriber's context is not empty: in every request, where the request body completes, where
   * the pool hands over a connection and where the driver's results are mapped. For the
   * observation that means opening its scope, and with it OpenTelemetry's current span, and
   * closing it again. Measured 2.2 % of the event loops' samples under the W2 product detail and
   * 2.6 % under the W5 order (async-profiler, 2026-12-05); 0.97 % of W2's without this accessor.
   * Nothing here reads the observation from the thread, as above, so the process's registry
   * forgets it; Spring Security's accessors stay (cheap).
   */
  static {
    ContextRegistry.getInstance().removeThreadLocalAccessor(ObservationThreadLocalAccessor.KEY);
  }

  /** What this API's error codes look like: constants, so a bounded set of tag values. */
  private static final Pattern CODE = Pattern.compile("[A-Z][A-Z_]{0,47}");

  /** Snapshots of context values only (Reactor's and GraphQL's), no thread-locals. */
  private static final ContextSnapshotFactory WITHOUT_THREAD_LOCALS =
      ContextSnapshotFactory.builder()
          .contextRegistry(new ContextRegistry().loadContextAccessors())
          .build();

  private final ObservationRegistry observations;
  private final MeterRegistry meters;
  private final KnownOperations known;
  private final Map<String, Counter> errorCounters = new ConcurrentHashMap<>();

  OperationObservation(
      ObservationRegistry observations, MeterRegistry meters, KnownOperations known) {
    this.observations = observations;
    this.meters = meters;
    this.known = known;
  }

  @Override
  public Mono<WebGraphQlResponse> intercept(WebGraphQlRequest request, Chain chain) {
    AtomicReference<String> resolved = new AtomicReference<>(request.getOperationName());
    return Mono.deferContextual(
        context -> {
          Observation parent = context.getOrDefault(ObservationThreadLocalAccessor.KEY, null);
          Observation observation =
              Observation.createNotStarted("graphql.operation", observations)
                  .contextualName("graphql")
                  .parentObservation(parent)
                  // every series has the same tag keys (Prometheus requires it): these stay for
                  // an operation whose client went away before it was answered
                  .lowCardinalityKeyValue("operation", known.tagOf(resolved.get()))
                  .lowCardinalityKeyValue("outcome", "cancelled")
                  .start();
          String traceId = TraceIds.of(observation.getContext());
          request.configureExecutionInput(
              (input, builder) -> {
                input.getGraphQLContext().put(TraceIds.OBSERVATION, observation);
                if (traceId != null) {
                  input.getGraphQLContext().put(TraceIds.KEY, traceId);
                }
                return input;
              });
          return chain
              .next(request)
              .map(response -> finish(response, observation, resolved.get(), traceId))
              .doOnError(
                  e -> {
                    named(observation, resolved.get());
                    observation.lowCardinalityKeyValue("outcome", "failed");
                    observation.error(e);
                  })
              .doFinally(signal -> observation.stop())
              .contextWrite(
                  c ->
                      ContextPropagationHelper.saveInstance(
                          WITHOUT_THREAD_LOCALS,
                          c.put(ObservationThreadLocalAccessor.KEY, observation)
                              .put(RESOLVED_NAME, resolved)));
        });
  }

  private WebGraphQlResponse finish(
      WebGraphQlResponse response,
      Observation observation,
      @Nullable String name,
      @Nullable String traceId) {
    String operation = named(observation, name);
    List<ResponseError> errors = response.getErrors();
    if (errors.isEmpty()) {
      observation.lowCardinalityKeyValue("outcome", "success");
      return response;
    }
    observation.lowCardinalityKeyValue("outcome", classification(errors.get(0)));
    for (ResponseError error : errors) {
      String classification = classification(error);
      String code = code(error);
      errorCounters
          .computeIfAbsent(
              operation + '\0' + classification + '\0' + code,
              key ->
                  Counter.builder("dedw3n.graphql.errors")
                      .description(
                          "Errors in GraphQL responses, by operation, classification and code")
                      .tag("operation", operation)
                      .tag("classification", classification)
                      .tag("code", code)
                      .register(meters))
          .increment();
    }
    if (traceId == null) {
      return response;
    }
    return response.transform(
        builder -> {
          List<GraphQLError> traced = new ArrayList<>();
          for (GraphQLError error : response.getExecutionResult().getErrors()) {
            traced.add(withTraceId(error, traceId));
          }
          builder.errors(traced);
        });
  }

  /** Names the observation (span and tags) once the document has been read; the tag. */
  private String named(Observation observation, @Nullable String name) {
    String operation = known.tagOf(name);
    observation
        .contextualName("graphql " + operation)
        .lowCardinalityKeyValue("operation", operation)
        .highCardinalityKeyValue("graphql.operation.name", name == null ? "" : name);
    return operation;
  }

  private static String classification(ResponseError error) {
    // the seven kinds of ErrorKind, or graphql-java's own few: a bounded set either way
    return error.getErrorType() == null ? "UNKNOWN" : error.getErrorType().toString();
  }

  /**
   * The error's {@code extensions.code}: this API's own codes are constants (DATABASE_UNAVAILABLE,
   * TRANSACTION_CONFLICT...), so they tell an outage from a deadlock in one bounded tag; anything
   * that does not look like one is {@code other}, and no code is {@code none}.
   */
  private static String code(ResponseError error) {
    Object code = error.getExtensions().get("code");
    if (code == null) {
      return "none";
    }
    return code instanceof String s && CODE.matcher(s).matches() ? s : "other";
  }

  private static GraphQLError withTraceId(GraphQLError error, String traceId) {
    Map<String, Object> extensions = new LinkedHashMap<>();
    if (error.getExtensions() != null) {
      extensions.putAll(error.getExtensions());
    }
    extensions.putIfAbsent("traceId", traceId);
    return GraphqlErrorBuilder.newError()
        .message(error.getMessage())
        .locations(error.getLocations())
        .path(error.getPath())
        .errorType(error.getErrorType())
        .extensions(extensions)
        .build();
  }
}
