package com.dedw3n.platform.graphql;

import graphql.ErrorClassification;
import graphql.GraphQLError;
import graphql.GraphqlErrorBuilder;
import java.util.List;
import java.util.Map;
import org.springframework.graphql.ResponseError;
import org.springframework.graphql.server.WebGraphQlInterceptor;
import org.springframework.graphql.server.WebGraphQlRequest;
import org.springframework.graphql.server.WebGraphQlResponse;
import org.springframework.stereotype.Component;
import reactor.core.publisher.Mono;

/**
 * Gives every error in a response one of the {@link ErrorKind} classifications: graphql-java
 * reports a syntax or validation failure (unknown field, wrong argument type, a mutation sent over
 * a GET) with its own names, which are all a client's mistake, so BAD_REQUEST.
 */
@Component
class ErrorClassifications implements WebGraphQlInterceptor {

  @Override
  public Mono<WebGraphQlResponse> intercept(WebGraphQlRequest request, Chain chain) {
    return chain.next(request).map(ErrorClassifications::classify);
  }

  private static WebGraphQlResponse classify(WebGraphQlResponse response) {
    List<ResponseError> errors = response.getErrors();
    if (errors.isEmpty() || errors.stream().allMatch(ErrorClassifications::isOurs)) {
      return response;
    }
    List<GraphQLError> classified =
        errors.stream().map(ErrorClassifications::toGraphQlError).toList();
    return response.transform(builder -> builder.errors(classified));
  }

  private static boolean isOurs(ResponseError error) {
    return error.getErrorType() instanceof ErrorKind;
  }

  private static GraphQLError toGraphQlError(ResponseError error) {
    ErrorClassification kind = classification(error.getErrorType());
    Map<String, Object> extensions = error.getExtensions();
    GraphqlErrorBuilder<?> builder =
        GraphqlErrorBuilder.newError()
            .message(error.getMessage())
            .locations(error.getLocations())
            .errorType(kind);
    if (!error.getParsedPath().isEmpty()) {
      builder.path(error.getParsedPath());
    }
    var copy = new java.util.LinkedHashMap<String, Object>();
    if (extensions != null) {
      copy.putAll(extensions);
      copy.remove("classification");
    }
    if (isIntrospectionDisabled(error.getErrorType())) {
      copy.put("code", "INTROSPECTION_DISABLED");
    }
    if (!copy.isEmpty()) {
      builder.extensions(copy);
    }
    return builder.build();
  }

  private static boolean isIntrospectionDisabled(ErrorClassification type) {
    return type != null && "IntrospectionDisabled".equals(type.toString());
  }

  private static ErrorClassification classification(ErrorClassification type) {
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
      // introspection is switched off outside the development profile
      case "IntrospectionDisabled" -> ErrorKind.FORBIDDEN;
      default -> ErrorKind.INTERNAL_ERROR;
    };
  }
}
