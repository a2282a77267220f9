package com.dedw3n.platform.graphql;

import com.apollographql.federation.graphqljava._Entity;
import graphql.GraphQLError;
import graphql.GraphqlErrorBuilder;
import graphql.execution.DataFetcherResult;
import graphql.execution.ExecutionStepInfo;
import graphql.schema.DataFetcher;
import graphql.schema.DataFetchingEnvironment;
import graphql.schema.DelegatingDataFetchingEnvironment;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;
import org.reactivestreams.Publisher;
import reactor.core.publisher.Mono;

/**
 * The {@code _entities} fetcher, refusing a representation whose {@code id} is not one of this
 * API's ids ({@link Ids}) on its own: that entry is null with a BAD_REQUEST error at its index, and
 * the other representations resolve as if it had not been sent.
 *
 * <p>Why: every entity here is keyed by {@code id} and resolved in one batch per type (one
 * statement for a router's page of products), and a batch that fails fails every representation of
 * its type. One malformed id among a hundred products' would have nulled all hundred. The batch now
 * sees only well-formed ids; the errors it gives (a representation of an unknown type, say) are
 * moved to the index each had in the request.
 */
final class RepresentationIds implements DataFetcher<Object> {

  private final DataFetcher<?> entities;

  RepresentationIds(DataFetcher<?> entities) {
    this.entities = entities;
  }

  @Override
  public Object get(DataFetchingEnvironment env) throws Exception {
    List<Map<String, Object>> representations = env.getArgument(_Entity.argumentName);
    if (representations == null) {
      return entities.get(env);
    }
    List<Map<String, Object>> wellFormed = new ArrayList<>(representations.size());
    // the request's index of each representation the batch gets
    List<Integer> indexes = new ArrayList<>(representations.size());
    List<GraphQLError> refused = new ArrayList<>();
    for (int i = 0; i < representations.size(); i++) {
      Map<String, Object> representation = representations.get(i);
      ApiException malformed = malformedId(representation);
      if (malformed == null) {
        wellFormed.add(representation);
        indexes.add(i);
      } else {
        refused.addAll(GraphQlErrors.resolve(malformed, at(env, i)));
      }
    }
    if (refused.isEmpty()) {
      return entities.get(env); // the usual case: nothing to take apart
    }
    Object batch = entities.get(withRepresentations(env, wellFormed));
    int count = representations.size();
    return Mono.from(toPublisher(batch))
        .map(result -> merge(result, indexes, count, refused, env.getExecutionStepInfo()));
  }

  /** Null when the representation's id can be looked up (or is not this fetcher's to judge). */
  private static @Nullable ApiException malformedId(Map<String, Object> representation) {
    if (!(representation.get("__typename") instanceof String)) {
      return null; // refused by spring-graphql's fetcher, at its index
    }
    Object id = representation.get("id");
    try {
      Ids.parse("id", id == null ? null : id.toString());
      return null;
    } catch (ApiException malformed) {
      return malformed;
    }
  }

  @SuppressWarnings("unchecked")
  private static Publisher<DataFetcherResult<List<Object>>> toPublisher(Object batch) {
    // spring-graphql's EntitiesDataFetcher answers a Mono of a DataFetcherResult
    return (Publisher<DataFetcherResult<List<Object>>>) batch;
  }

  private static DataFetcherResult<List<Object>> merge(
      DataFetcherResult<List<Object>> batch,
      List<Integer> indexes,
      int count,
      List<GraphQLError> refused,
      ExecutionStepInfo field) {
    List<Object> entities = new ArrayList<>(count);
    for (int i = 0; i < count; i++) {
      entities.add(null);
    }
    List<Object> resolved = batch.getData() == null ? List.of() : batch.getData();
    for (int i = 0; i < resolved.size() && i < indexes.size(); i++) {
      entities.set(indexes.get(i), resolved.get(i));
    }
    List<GraphQLError> errors = new ArrayList<>(refused);
    for (GraphQLError error : batch.getErrors()) {
      errors.add(reindexed(error, indexes, field));
    }
    return DataFetcherResult.<List<Object>>newResult().data(entities).errors(errors).build();
  }

  /** The batch's error for its i-th representation, moved to that one's index in the request. */
  private static GraphQLError reindexed(
      GraphQLError error, List<Integer> indexes, ExecutionStepInfo field) {
    List<Object> path = error.getPath();
    int depth = field.getPath().getLevel();
    if (path == null
        || path.size() <= depth
        || !(path.get(depth) instanceof Integer index)
        || index >= indexes.size()) {
      return error;
    }
    List<Object> moved = new ArrayList<>(path);
    moved.set(depth, indexes.get(index));
    return GraphqlErrorBuilder.newError()
        .message(error.getMessage())
        .locations(error.getLocations())
        .path(moved)
        .errorType(error.getErrorType())
        .extensions(error.getExtensions())
        .build();
  }

  /**
   * The field's environment with only these representations. Delegating, not copied: graphql-java's
   * copy builder takes its own implementation only, and an instrumentation may hand another.
   */
  private static DataFetchingEnvironment withRepresentations(
      DataFetchingEnvironment env, List<Map<String, Object>> representations) {
    Map<String, Object> arguments = new HashMap<>(env.getArguments());
    arguments.put(_Entity.argumentName, representations);
    return new DelegatingDataFetchingEnvironment(env) {
      @Override
      public Map<String, Object> getArguments() {
        return arguments;
      }

      @Override
      public boolean containsArgument(String name) {
        return arguments.containsKey(name);
      }

      @Override
      @SuppressWarnings("unchecked")
      public <T> @Nullable T getArgument(String name) {
        return (T) arguments.get(name);
      }

      @Override
      @SuppressWarnings("unchecked")
      public <T> T getArgumentOrDefault(String name, T defaultValue) {
        return (T) arguments.getOrDefault(name, defaultValue);
      }
    };
  }

  /** The field's environment at the request's index i, for the error's path. */
  private static DataFetchingEnvironment at(DataFetchingEnvironment env, int i) {
    ExecutionStepInfo field = env.getExecutionStepInfo();
    ExecutionStepInfo element =
        ExecutionStepInfo.newExecutionStepInfo(field).path(field.getPath().segment(i)).build();
    return new DelegatingDataFetchingEnvironment(env) {
      @Override
      public ExecutionStepInfo getExecutionStepInfo() {
        return element;
      }
    };
  }
}
