package com.dedw3n.platform.graphql;

import graphql.GraphQLError;
import graphql.schema.DataFetchingEnvironment;
import org.springframework.graphql.data.method.annotation.GraphQlExceptionHandler;
import org.springframework.web.bind.annotation.ControllerAdvice;

/**
 * Classifies {@link ApiException}s from {@code @EntityMapping} methods: {@code _entities} consults
 * only annotated exception handlers, not the {@link ErrorHandling} resolver that every other field
 * uses, and would otherwise report a malformed id as an INTERNAL_ERROR.
 */
@ControllerAdvice
class EntityErrorHandling {

  @GraphQlExceptionHandler
  GraphQLError apiException(ApiException e, DataFetchingEnvironment env) {
    return GraphQlErrors.of(e, env);
  }
}
