package com.dedw3n.platform.graphql;

import graphql.GraphQLError;
import graphql.GraphqlErrorBuilder;
import graphql.schema.DataFetchingEnvironment;
import java.util.LinkedHashMap;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * Builds the errors of this API's contract: {@code extensions.classification} always, {@code
 * extensions.code} for refusals that have their own reason, {@code extensions.retryAfter} (seconds)
 * for those worth retrying later.
 */
public final class GraphQlErrors {

  private GraphQlErrors() {}

  /** The error for an {@link ApiException} raised while resolving a field. */
  public static GraphQLError of(ApiException e, @Nullable DataFetchingEnvironment env) {
    var builder = env == null ? GraphqlErrorBuilder.newError() : GraphqlErrorBuilder.newError(env);
    return builder
        .errorType(e.kind())
        .message(e.getMessage())
        .extensions(extensions(e.code(), e.retryAfterSeconds()))
        .build();
  }

  /** A request-level refusal (no path): a limit, a budget, a deadline. */
  public static GraphQLError refusal(ErrorKind kind, String code, String message, long retryAfter) {
    return GraphqlErrorBuilder.newError()
        .errorType(kind)
        .message(message)
        .extensions(extensions(code, retryAfter))
        .build();
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
}
