package com.dedw3n.platform.graphql;

import com.dedw3n.platform.ThrottledLog;
import com.dedw3n.platform.db.DatabaseErrors;
import com.dedw3n.platform.observability.TraceIds;
import com.dedw3n.platform.observability.TraceLogging;
import graphql.ErrorClassification;
import graphql.GraphQLError;
import graphql.GraphqlErrorBuilder;
import graphql.execution.AbortExecutionException;
import graphql.schema.DataFetchingEnvironment;
import io.micrometer.observation.Observation;
import jakarta.validation.ConstraintViolationException;
import jakarta.validation.ElementKind;
import jakarta.validation.Path;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;
import org.springframework.graphql.ResponseError;
import org.springframework.graphql.data.federation.RepresentationException;
import org.springframework.http.HttpStatus;
import org.springframework.util.unit.DataSize;

/**
 * The error contract of this API, decided in one place: what a client is told about a failure (its
 * {@link ErrorKind} in {@code extensions.classification}, {@code extensions.code} for refusals that
 * have their own reason, {@code extensions.retryAfter} (seconds) for those worth retrying later,
 * and the message), and the HTTP status and {@code Retry-After} of a response that answers nothing
 * else. Every path that reports an error asks here: {@link ErrorHandling} (the one resolver of
 * exceptions from data fetchers, {@code _entities} and subscriptions), {@link OperationGuard}
 * (request-level refusals), {@link ErrorClassifications} (graphql-java's own errors), {@link
 * GraphQlHttpResponses} and {@link GraphQlHttpGuard} (the HTTP layer).
 */
public final class GraphQlErrors {

  private static final ThrottledLog log = new ThrottledLog(GraphQlErrors.class);

  private static final String SUBSCRIPTION_ENDED =
      "Internal error; the subscription ended. Resubscribe with your last cursor.";

  private GraphQlErrors() {}

  /**
   * The errors a client gets for an exception raised while resolving a field ({@code env}) or by a
   * subscription's stream ({@code env} null when it is not known): {@link ApiException}s keep their
   * kind and message (and so do spring-graphql's refusals of a federation representation); a failed
   * Bean Validation of the arguments is a BAD_REQUEST per violation, naming the argument's path
   * ({@code input.price.amount must be ...}); a database that cannot serve now, or a transaction it
   * rolled back in a conflict, is UNAVAILABLE (one log line, not a stack trace per request);
   * anything else is our fault, logged (stack traces of the same failure at most once a minute) and
   * reported as an opaque INTERNAL_ERROR with the request's id (for a subscription's stream, that
   * it ended), so no stack trace, SQL or class name reaches a client.
   */
  static List<GraphQLError> resolve(Throwable ex, @Nullable DataFetchingEnvironment env) {
    return classify(ex, env, null).stream().map(e -> of(e, env)).toList();
  }

  /**
   * The errors of a subscription's stream that failed, as {@link #resolve} with no field, for the
   * operation of this observation (null when not known): each carries its trace id in {@code
   * extensions.traceId}, which the log line names too.
   */
  static List<GraphQLError> resolveStream(Throwable ex, Observation.@Nullable Context operation) {
    String traceId = TraceIds.of(operation);
    return classify(ex, null, operation).stream().map(e -> of(e, null, traceId)).toList();
  }

  /**
   * @param stream the observation of the operation whose subscription's stream failed, for the log
   *     line's trace (env is null then)
   */
  private static List<ApiException> classify(
      Throwable ex, @Nullable DataFetchingEnvironment env, Observation.@Nullable Context stream) {
    if (ex instanceof ApiException api) {
      return List.of(api);
    }
    if (ex instanceof ConstraintViolationException invalid) {
      return invalid.getConstraintViolations().stream()
          .map(v -> argumentPath(v.getPropertyPath()) + " " + v.getMessage())
          .sorted(Comparator.naturalOrder())
          .map(ApiException::badRequest)
          .toList();
    }
    if (ex instanceof RepresentationException representation) {
      // _entities given a representation without __typename (BAD_REQUEST) or of a type without an
      // entity mapping: spring-graphql's own classification and message, as the gateway expects
      return List.of(
          new ApiException(kindOf(representation.getErrorType()), representation.getMessage()));
    }
    if (ex instanceof AbortExecutionException) {
      // the client went away mid-request: nothing to report, nobody to report it to
      return List.of(new ApiException(ErrorKind.INTERNAL_ERROR, "The request was cancelled."));
    }
    ApiException database = DatabaseErrors.classify(ex);
    if (database != null) {
      // an outage, and a conflict (a deadlock means two transactions took their locks in
      // opposite orders: the line names the field and the SQLSTATE's message, for whoever looks)
      String what =
          switch (String.valueOf(database.code())) {
            case "DATABASE_UNAVAILABLE" -> "Database unavailable in ";
            case "TRANSACTION_CONFLICT" -> "Transaction rolled back in a conflict in ";
            default -> null;
          };
      if (what != null) {
        String traceId = env == null ? TraceIds.of(stream) : TraceIds.of(env.getGraphQlContext());
        TraceLogging.in(
            env == null ? stream : TraceIds.observationOf(env.getGraphQlContext()),
            () -> log.warn(what + where(env) + (traceId == null ? "" : " [" + traceId + "]"), ex));
      }
      return List.of(database);
    }
    if (env == null) {
      // a subscription's stream failed: it has ended, and the client resubscribes from its cursor
      String traceId = TraceIds.of(stream);
      TraceLogging.in(
          stream,
          () ->
              log.error("Subscription failed" + (traceId == null ? "" : " [" + traceId + "]"), ex));
      return List.of(new ApiException(ErrorKind.INTERNAL_ERROR, SUBSCRIPTION_ENDED));
    }
    // the trace id when there is one: it finds the log line, the request's other lines and its
    // trace; else the execution's id, which finds the log line
    String traceId = TraceIds.of(env.getGraphQlContext());
    String reference = traceId != null ? traceId : env.getExecutionId().toString();
    TraceLogging.in(
        TraceIds.observationOf(env.getGraphQlContext()),
        () -> log.error("Internal error in " + where(env) + " [" + reference + "]", ex));
    return List.of(
        new ApiException(
            ErrorKind.INTERNAL_ERROR,
            "Internal error; quote reference " + reference + " to support."));
  }

  private static String where(@Nullable DataFetchingEnvironment env) {
    return env == null ? "a subscription" : env.getExecutionStepInfo().getPath().toString();
  }

  /**
   * A violation's path as the client wrote the argument: {@code input.price.amount}, {@code
   * items[2].quantity}; the method's name (the field's) and the nodes of unwrapped containers
   * ({@code ArgumentValue}) are left out.
   */
  private static String argumentPath(Path path) {
    StringBuilder argument = new StringBuilder();
    for (Path.Node node : path) {
      if (node.getKind() == ElementKind.METHOD || node.getKind() == ElementKind.CONSTRUCTOR) {
        continue;
      }
      if (node.isInIterable()) {
        Object at = node.getIndex() != null ? node.getIndex() : node.getKey();
        if (at != null) {
          argument.append('[').append(at).append(']');
        }
      }
      if (node.getKind() != ElementKind.CONTAINER_ELEMENT && node.getName() != null) {
        if (!argument.isEmpty()) {
          argument.append('.');
        }
        argument.append(node.getName());
      }
    }
    return argument.toString();
  }

  /** The error for an {@link ApiException} raised while resolving a field. */
  public static GraphQLError of(ApiException e, @Nullable DataFetchingEnvironment env) {
    return of(e, env, env == null ? null : TraceIds.of(env.getGraphQlContext()));
  }

  /**
   * With the operation's trace id in {@code extensions.traceId} when there is one: the operation's
   * observation adds it to the errors of its response, but an error that ends a subscription's
   * stream is sent without passing there.
   */
  private static GraphQLError of(
      ApiException e, @Nullable DataFetchingEnvironment env, @Nullable String traceId) {
    var builder = env == null ? GraphqlErrorBuilder.newError() : GraphqlErrorBuilder.newError(env);
    Map<String, Object> extensions = extensions(e.code(), e.retryAfterSeconds());
    if (traceId != null) {
      extensions = new LinkedHashMap<>(extensions);
      extensions.put("traceId", traceId);
    }
    return builder.errorType(e.kind()).message(e.getMessage()).extensions(extensions).build();
  }

  /** A request-level refusal (no path): a limit, a budget, a deadline. */
  public static GraphQLError refusal(ErrorKind kind, String code, String message, long retryAfter) {
    return of(new ApiException(kind, code, message, retryAfter), null);
  }

  /** The refusal of a response of {@code size} bytes, over {@code maxResponseSize}. */
  static GraphQLError responseTooLarge(long size, DataSize maxResponseSize) {
    return refusal(
        ErrorKind.BAD_REQUEST,
        "RESPONSE_TOO_LARGE",
        "The response would be "
            + size
            + " bytes; the limit is "
            + maxResponseSize.toBytes()
            + ". Ask for fewer items or fields.",
        0);
  }

  private static Map<String, Object> extensions(@Nullable String code, long retryAfter) {
    if (code == null && retryAfter <= 0) {
      return Map.of();
    }
    Map<String, Object> extensions = new LinkedHashMap<>();
    if (code != null) {
      extensions.put("code", code);
    }
    if (retryAfter > 0) {
      extensions.put("retryAfter", retryAfter);
    }
    return extensions;
  }

  /**
   * The kind of an error graphql-java reported with a classification of its own: a document that
   * does not parse or validate, or an operation sent the wrong way (a mutation over a GET), is the
   * client's mistake, so BAD_REQUEST; introspection, switched off outside the development profile,
   * is FORBIDDEN; anything else INTERNAL_ERROR.
   */
  static ErrorKind kindOf(@Nullable ErrorClassification type) {
    if (type instanceof ErrorKind kind) {
      return kind;
    }
    String name = type == null ? "" : type.toString();
    for (ErrorKind kind : ErrorKind.values()) {
      if (kind.name().equals(name)) {
        return kind;
      }
    }
    return switch (name) {
      case "ValidationError", "InvalidSyntax", "OperationNotSupported" -> ErrorKind.BAD_REQUEST;
      case "IntrospectionDisabled" -> ErrorKind.FORBIDDEN;
      default -> ErrorKind.INTERNAL_ERROR;
    };
  }

  /** The {@code extensions.code} of an error graphql-java reported, or null. */
  static @Nullable String codeOf(@Nullable ErrorClassification type) {
    return type != null && "IntrospectionDisabled".equals(type.toString())
        ? "INTROSPECTION_DISABLED"
        : null;
  }

  /**
   * The HTTP status of a response that carries nothing but a refusal of this kind: 429 for a spent
   * budget, 503 when the server or a dependency cannot answer now, 401 and 403 for who the caller
   * is, 500 for our fault, and 400 for the rest (the request itself).
   */
  static HttpStatus status(ErrorKind kind) {
    return switch (kind) {
      case RATE_LIMITED -> HttpStatus.TOO_MANY_REQUESTS;
      case UNAVAILABLE -> HttpStatus.SERVICE_UNAVAILABLE;
      case UNAUTHORIZED -> HttpStatus.UNAUTHORIZED;
      case FORBIDDEN -> HttpStatus.FORBIDDEN;
      case INTERNAL_ERROR -> HttpStatus.INTERNAL_SERVER_ERROR;
      case BAD_REQUEST, NOT_FOUND, CONFLICT -> HttpStatus.BAD_REQUEST;
    };
  }

  /**
   * The HTTP status of a GraphQL response that answered nothing (no root field has a value), when
   * its errors ask to retry later: 429 when a budget is spent, 503 when the server or a dependency
   * cannot answer now; null to keep GraphQL over HTTP's own status.
   */
  static @Nullable HttpStatus retryLaterStatus(List<ResponseError> errors) {
    boolean unavailable = false;
    for (ResponseError error : errors) {
      if (error.getErrorType() == ErrorKind.RATE_LIMITED) {
        return status(ErrorKind.RATE_LIMITED);
      }
      unavailable |= error.getErrorType() == ErrorKind.UNAVAILABLE;
    }
    return unavailable ? status(ErrorKind.UNAVAILABLE) : null;
  }

  /** The response's {@code Retry-After}: the largest {@code extensions.retryAfter}, or 0. */
  static long retryAfter(List<ResponseError> errors) {
    long most = 0;
    for (ResponseError error : errors) {
      Object value = error.getExtensions().get("retryAfter");
      if (value instanceof Number seconds) {
        most = Math.max(most, seconds.longValue());
      }
    }
    return most;
  }

  /**
   * The JSON body (for the project's JSON mapper) of an HTTP response that carries nothing but this
   * error, in GraphQL's response format: {@code {"errors": [{"message", "extensions"}]}}, with the
   * request's trace id in {@code extensions.traceId} when there is one.
   */
  static Map<String, Object> httpBody(ApiException e, @Nullable String traceId) {
    Map<String, Object> extensions = extensions(e.code(), e.retryAfterSeconds());
    if (traceId != null) {
      extensions = new LinkedHashMap<>(extensions);
      extensions.put("traceId", traceId);
    }
    GraphQLError error =
        GraphqlErrorBuilder.newError()
            .locations(null) // not about any place in a document
            .errorType(e.kind())
            .message(e.getMessage())
            .extensions(extensions)
            .build();
    return Map.of("errors", List.of(error.toSpecification()));
  }
}
