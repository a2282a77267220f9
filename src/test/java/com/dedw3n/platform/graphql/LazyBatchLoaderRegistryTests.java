package com.dedw3n.platform.graphql;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalStateException;

import graphql.GraphQLContext;
import graphql.schema.DataFetcher;
import graphql.schema.GraphQLSchema;
import graphql.schema.idl.RuntimeWiring;
import graphql.schema.idl.SchemaGenerator;
import graphql.schema.idl.SchemaParser;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Function;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.dataloader.DataLoaderRegistry;
import org.junit.jupiter.api.Test;
import org.springframework.graphql.ExecutionGraphQlResponse;
import org.springframework.graphql.execution.DefaultExecutionGraphQlService;
import org.springframework.graphql.execution.GraphQlSource;
import org.springframework.graphql.server.WebGraphQlHandler;
import org.springframework.graphql.server.WebGraphQlInterceptor;
import org.springframework.graphql.server.WebGraphQlRequest;
import org.springframework.graphql.support.DefaultExecutionGraphQlRequest;
import org.springframework.http.HttpHeaders;
import org.springframework.util.LinkedMultiValueMap;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * A request gets only the DataLoaders its fields ask for, each still batching and loading with the
 * request's context; a request outside the web interceptors gets them all, as spring-graphql does.
 * Runs spring-graphql's own execution service and web handler over a small schema.
 */
class LazyBatchLoaderRegistryTests {

  private static final String SDL =
      """
      type Query { posts(count: Int!): [Post!]!, ping: String }
      type Post { id: Int!, author: User!, tags: [String!]! }
      type User { name: String! }
      """;

  private final LazyBatchLoaderRegistry registry = new LazyBatchLoaderRegistry();
  private final List<Set<Integer>> userBatches = Collections.synchronizedList(new ArrayList<>());
  private final List<Object> markersSeenByLoads = Collections.synchronizedList(new ArrayList<>());
  private final AtomicReference<DataLoaderRegistry> requestLoaders = new AtomicReference<>();

  LazyBatchLoaderRegistryTests() {
    registry
        .<Integer, String>forName("users")
        .withOptions(options -> options.setMaxBatchSize(2))
        .registerMappedBatchLoader(
            (ids, environment) -> {
              userBatches.add(Set.copyOf(ids));
              GraphQLContext context = environment.getContext();
              markersSeenByLoads.add(context.get("marker"));
              return Mono.just(
                  ids.stream().collect(Collectors.toMap(Function.identity(), id -> "user " + id)));
            });
    registry
        .forTypePair(Integer.class, List.class)
        .withName("tags")
        .registerBatchLoader(
            (ids, environment) -> Flux.fromIterable(ids).map(id -> List.of("tag " + id)));
  }

  @Test
  void aRequestHasOnlyTheDataLoadersItsFieldsUsed() {
    Map<String, Object> data = execute("{ posts(count: 4) { id author { name } } }");

    assertThat(data.toString())
        .contains("{id=0, author={name=user 0}}", "{id=3, author={name=user 0}}");
    assertThat(requestLoaders.get().getKeys()).containsExactly("users");
    // three authors (0, 1, 2) in batches of at most 2, as the registration's options say
    assertThat(userBatches).hasSize(2);
    assertThat(userBatches.stream().flatMap(Set::stream)).containsExactlyInAnyOrder(0, 1, 2);
    assertThat(markersSeenByLoads).containsOnly("this request");
  }

  @Test
  void aRequestThatLoadsNothingCreatesNoDataLoader() {
    Map<String, Object> data = execute("{ ping }");

    assertThat(data).containsEntry("ping", "pong");
    assertThat(requestLoaders.get().getKeys()).isEmpty();
  }

  @Test
  void aListLoaderRegisteredByTypeIsFoundByItsName() {
    Map<String, Object> data = execute("{ posts(count: 2) { tags } }");

    assertThat(data.toString()).contains("{tags=[tag 0]}", "{tags=[tag 1]}");
    assertThat(requestLoaders.get().getKeys()).containsExactly("tags");
  }

  @Test
  void aRequestOutsideTheWebInterceptorsGetsEveryDataLoader() {
    DefaultExecutionGraphQlService service = service();

    ExecutionGraphQlResponse response =
        service
            .execute(
                new DefaultExecutionGraphQlRequest(
                    "{ posts(count: 3) { author { name } } }", null, null, null, "1", null))
            .block(Duration.ofSeconds(5));

    assertThat(response.getErrors()).isEmpty();
    assertThat(response.<Object>getData().toString()).contains("user 2");
    assertThat(requestLoaders.get().getKeys()).containsExactlyInAnyOrder("users", "tags");
  }

  @Test
  void twoLoadersOfOneNameAreRefusedWhenRegistered() {
    assertThatIllegalStateException()
        .isThrownBy(
            () ->
                registry
                    .<Integer, String>forName("users")
                    .registerMappedBatchLoader((ids, environment) -> Mono.just(Map.of())))
        .withMessageContaining("users");
  }

  private Map<String, Object> execute(String query) {
    WebGraphQlInterceptor marker =
        (request, chain) -> {
          request.configureExecutionInput(
              (input, builder) -> {
                input.getGraphQLContext().put("marker", "this request");
                return input;
              });
          return chain.next(request);
        };
    WebGraphQlHandler handler =
        WebGraphQlHandler.builder(service()).interceptors(List.of(registry, marker)).build();
    WebGraphQlRequest request =
        new WebGraphQlRequest(
            URI.create("http://localhost/graphql"),
            new HttpHeaders(),
            new LinkedMultiValueMap<>(),
            Map.of(),
            Map.of("query", query),
            "1",
            null);

    ExecutionGraphQlResponse response = handler.handleRequest(request).block(Duration.ofSeconds(5));

    assertThat(response.getErrors()).isEmpty();
    assertThat(requestLoaders.get()).isInstanceOf(LazyBatchLoaderRegistry.RequestDataLoaders.class);
    return response.getData();
  }

  private DefaultExecutionGraphQlService service() {
    DataFetcher<Object> posts =
        environment -> {
          requestLoaders.set(environment.getDataLoaderRegistry());
          int count = environment.getArgument("count");
          return IntStream.range(0, count).mapToObj(id -> Map.of("id", id)).toList();
        };
    DataFetcher<Object> ping =
        environment -> {
          requestLoaders.set(environment.getDataLoaderRegistry());
          return "pong";
        };
    DataFetcher<Object> author =
        environment -> {
          Map<String, Integer> post = environment.getSource();
          return environment
              .<Integer, String>getDataLoader("users")
              .load(post.get("id") % 3)
              .thenApply(name -> Map.of("name", name));
        };
    DataFetcher<Object> tags =
        environment -> {
          Map<String, Integer> post = environment.getSource();
          return environment.getDataLoader("tags").load(post.get("id"));
        };
    RuntimeWiring wiring =
        RuntimeWiring.newRuntimeWiring()
            .type("Query", type -> type.dataFetcher("posts", posts).dataFetcher("ping", ping))
            .type("Post", type -> type.dataFetcher("author", author).dataFetcher("tags", tags))
            .build();
    GraphQLSchema schema =
        new SchemaGenerator().makeExecutableSchema(new SchemaParser().parse(SDL), wiring);
    DefaultExecutionGraphQlService service =
        new DefaultExecutionGraphQlService(GraphQlSource.builder(schema).build());
    service.addDataLoaderRegistrar(registry);
    return service;
  }
}
