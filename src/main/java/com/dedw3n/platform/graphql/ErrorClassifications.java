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
 * a GET) with its own names, which {@link GraphQlErrors#kindOf} translates.
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
    ErrorClassification kind = GraphQlErrors.kindOf(error.getErrorType());
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
    String code = GraphQlErrors.codeOf(error.getErrorType());
    if (code != null) {
      copy.put("code", code);
    }
    if (!copy.isEmpty()) {
      builder.extensions(copy);
    }
    return builder.build();
  }
}
