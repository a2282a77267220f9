package com.dedw3n.platform.graphql;

import static org.assertj.core.api.Assertions.assertThat;

import graphql.ExecutionInput;
import graphql.ExecutionResult;
import graphql.GraphQL;
import graphql.execution.ExecutionContext;
import graphql.execution.instrumentation.ChainedInstrumentation;
import graphql.execution.instrumentation.Instrumentation;
import graphql.execution.instrumentation.InstrumentationContext;
import graphql.execution.instrumentation.InstrumentationState;
import graphql.execution.instrumentation.SimplePerformantInstrumentation;
import graphql.execution.instrumentation.dataloader.DataLoaderDispatchingContextKeys;
import graphql.execution.instrumentation.parameters.InstrumentationFieldParameters;
import graphql.schema.DataFetcher;
import graphql.schema.GraphQLSchema;
import graphql.schema.idl.RuntimeWiring;
import graphql.schema.idl.SchemaGenerator;
import graphql.schema.idl.SchemaParser;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Collectors;
import org.dataloader.BatchLoader;
import org.dataloader.DataLoader;
import org.dataloader.DataLoaderFactory;
import org.dataloader.DataLoaderRegistry;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.reactivestreams.Publisher;
import reactor.core.publisher.Flux;

/**
 * graphql-java 25 keeps a call stack for every event a subscription delivers (#4314); these tests
 * show the leak on the version this project runs and that {@link SubscriptionEventCleanup} keeps a
 * long subscription's stacks bounded while its events still resolve through DataLoaders.
 */
class SubscriptionEventCleanupTests {

  private static final String SDL =
      """
      type Query { ping: String }
      type Subscription { messages(count: Int!): Message }
      type Message { seq: Int!, sender: String }
      """;

  private static final String SUBSCRIPTION = "subscription { messages(count: 200) { seq sender } }";

  @ParameterizedTest(name = "dispatched when exhausted: {0}")
  @ValueSource(booleans = {true, false})
  void withoutTheCleanupEveryEventLeavesACallStackBehind(boolean exhausted) {
    Captured captured = new Captured();

    List<ExecutionResult> events = subscribe(List.of(captured), exhausted);

    assertThat(events).hasSize(200);
    // if this fails, graphql-java no longer leaks (26.1 or later): the cleanup can go
    assertThat(callStacksOf(captured)).hasSize(200);
  }

  @ParameterizedTest(name = "dispatched when exhausted: {0}")
  @ValueSource(booleans = {true, false})
  void withTheCleanupALongSubscriptionKeepsAtMostTheStackOfItsLastEvent(boolean exhausted) {
    Captured captured = new Captured();

    List<ExecutionResult> events =
        subscribe(List.of(new SubscriptionEventCleanup(), captured), exhausted);

    assertThat(events).hasSize(200);
    // every event was still resolved, its sender through the DataLoader
    for (int i = 0; i < events.size(); i++) {
      assertThat(events.get(i).getErrors()).isEmpty();
      Map<String, Object> message =
          events.get(i).<Map<String, Map<String, Object>>>getData().get("messages");
      assertThat(message).containsEntry("seq", i).containsEntry("sender", "user " + i % 7);
    }
    assertThat(callStacksOf(captured)).hasSizeLessThanOrEqualTo(1);
  }

  /** The server runs the cleanup as its only instrumentation, without a chain around it. */
  @ParameterizedTest(name = "dispatched when exhausted: {0}")
  @ValueSource(booleans = {true, false})
  void aloneWithoutAChainTheCleanupKeepsTheStacksBoundedToo(boolean exhausted) {
    AtomicReference<@Nullable ExecutionContext> context = new AtomicReference<>();
    SubscriptionEventCleanup cleanup =
        new SubscriptionEventCleanup() {
          @Override
          public @Nullable InstrumentationContext<ExecutionResult> beginSubscribedFieldEvent(
              InstrumentationFieldParameters parameters, InstrumentationState state) {
            context.set(parameters.getExecutionContext());
            return super.beginSubscribedFieldEvent(parameters, state);
          }
        };

    List<ExecutionResult> events = subscribe(cleanup, exhausted);

    assertThat(events).hasSize(200);
    assertThat(events.get(199).getErrors()).isEmpty();
    assertThat(SubscriptionEventCleanup.callStacks(context.get().getDataLoaderDispatcherStrategy()))
        .hasSizeLessThanOrEqualTo(1);
  }

  private static List<ExecutionResult> subscribe(
      List<Instrumentation> instrumentations, boolean exhausted) {
    return subscribe(new ChainedInstrumentation(instrumentations), exhausted);
  }

  /**
   * Subscribes with graphql-java's exhausted dispatch strategy (the server's, set by {@code
   * LazyBatchLoaderRegistry}) or its default per-level one.
   */
  private static List<ExecutionResult> subscribe(
      Instrumentation instrumentation, boolean exhausted) {
    DataFetcher<Publisher<Map<String, Object>>> messages =
        env ->
            Flux.range(0, env.<Integer>getArgument("count"))
                .map(i -> Map.<String, Object>of("seq", i, "senderId", i % 7));
    DataFetcher<CompletableFuture<String>> sender =
        env ->
            env.<Long, String>getDataLoader("senders")
                .load(((Integer) env.<Map<String, Object>>getSource().get("senderId")).longValue());
    RuntimeWiring wiring =
        RuntimeWiring.newRuntimeWiring()
            .type("Subscription", t -> t.dataFetcher("messages", messages))
            .type("Message", t -> t.dataFetcher("sender", sender))
            .build();
    GraphQLSchema schema =
        new SchemaGenerator().makeExecutableSchema(new SchemaParser().parse(SDL), wiring);
    GraphQL graphQl = GraphQL.newGraphQL(schema).instrumentation(instrumentation).build();
    // answered at once: each event completes before the next starts, as a chat event whose
    // fields are in the event does (events that overlap are cleaned up once they settle)
    BatchLoader<Long, String> senders =
        ids ->
            CompletableFuture.completedFuture(
                ids.stream().map(id -> "user " + id).collect(Collectors.toList()));
    DataLoader<Long, String> loader = DataLoaderFactory.newDataLoader(senders);
    DataLoaderRegistry registry =
        DataLoaderRegistry.newRegistry().register("senders", loader).build();

    ExecutionResult result =
        graphQl.execute(
            ExecutionInput.newExecutionInput(SUBSCRIPTION)
                .dataLoaderRegistry(registry)
                .graphQLContext(
                    Map.of(
                        DataLoaderDispatchingContextKeys.ENABLE_DATA_LOADER_EXHAUSTED_DISPATCHING,
                        exhausted))
                .build());
    assertThat(result.getErrors()).isEmpty();
    Publisher<ExecutionResult> stream = result.getData();
    return new ArrayList<>(Flux.from(stream).collectList().block(Duration.ofSeconds(30)));
  }

  private static Map<?, ?> callStacksOf(Captured captured) {
    ExecutionContext context = captured.context.get();
    assertThat(context).as("an event was executed").isNotNull();
    Map<?, ?> stacks =
        SubscriptionEventCleanup.callStacks(context.getDataLoaderDispatcherStrategy());
    assertThat(stacks).as("graphql-java 25's strategy and its map").isNotNull();
    return stacks;
  }

  /** Remembers the subscription's execution context, whose dispatch strategy holds the stacks. */
  private static final class Captured extends SimplePerformantInstrumentation {
    final AtomicReference<@Nullable ExecutionContext> context = new AtomicReference<>();

    @Override
    public @Nullable InstrumentationContext<ExecutionResult> beginSubscribedFieldEvent(
        InstrumentationFieldParameters parameters, InstrumentationState state) {
      context.set(parameters.getExecutionContext());
      return null;
    }
  }
}
