package com.dedw3n.platform.graphql;

import graphql.GraphQLContext;
import graphql.execution.instrumentation.dataloader.DataLoaderDispatchingContextKeys;
import io.micrometer.context.ContextSnapshot;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.BiFunction;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.function.Supplier;
import org.dataloader.BatchLoaderEnvironment;
import org.dataloader.BatchLoaderWithContext;
import org.dataloader.DataLoader;
import org.dataloader.DataLoaderFactory;
import org.dataloader.DataLoaderOptions;
import org.dataloader.DataLoaderRegistry;
import org.dataloader.MappedBatchLoaderWithContext;
import org.jspecify.annotations.Nullable;
import org.springframework.core.Ordered;
import org.springframework.core.annotation.Order;
import org.springframework.graphql.execution.BatchLoaderRegistry;
import org.springframework.graphql.execution.ContextPropagationHelper;
import org.springframework.graphql.server.WebGraphQlInterceptor;
import org.springframework.graphql.server.WebGraphQlRequest;
import org.springframework.graphql.server.WebGraphQlResponse;
import org.springframework.stereotype.Component;
import org.springframework.util.StringUtils;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * The application's batch loaders, each made into a request's {@link DataLoader} only when one of
 * the request's fields first asks for it.
 *
 * <p>spring-graphql's own registry builds every registered DataLoader for every request and every
 * subscription, 17 here, though a request uses one or two: about 16 KB allocated a request, and
 * graphql-java dispatching all 17 (each taking its lock and reading the clock) at every level of
 * every request. A subscription kept all 17 for as long as it was open. This registry gives each
 * request an empty {@link RequestDataLoaders} that creates a loader on its first lookup, so only
 * the loaders a request uses exist and are dispatched. Registrations are spring-graphql's ({@link
 * BatchLoaderRegistry}, used by the batch loader classes and {@code @BatchMapping}), and each
 * DataLoader is built as spring-graphql builds it: the request's {@link GraphQLContext} as the
 * batch loading context, and its context snapshot (trace, security) restored around the load.
 *
 * <p>A request that did not pass through the web interceptors (an {@code ExecutionGraphQlService}
 * called directly) gets its DataLoaders the eager way, as before.
 */
@Component
@Order(Ordered.HIGHEST_PRECEDENCE)
class LazyBatchLoaderRegistry implements BatchLoaderRegistry, WebGraphQlInterceptor {

  /**
   * Dispatches the request's DataLoaders when its execution has nothing else to run (graphql-java's
   * exhausted strategy, as JavaScript's DataLoader does at the end of a tick) instead of counting
   * every field of every level: the per-level strategy's bookkeeping cost 6 % of the feed's CPU
   * (boxed level keys, a map lookup and a new state object for each object, a counter for each
   * field). Every load goes through {@code DataFetchingEnvironment.getDataLoader}, which this
   * strategy needs to see the loads ({@code DataLoaders.named}).
   */
  private static final Map<String, Object> DISPATCH_WHEN_EXHAUSTED =
      Map.of(DataLoaderDispatchingContextKeys.ENABLE_DATA_LOADER_EXHAUSTED_DISPATCHING, true);

  /** Filled while the application starts (the batch loader classes, {@code @BatchMapping}). */
  private final Map<String, Registration> registrations = new ConcurrentHashMap<>();

  @Override
  public <K, V> RegistrationSpec<K, V> forTypePair(Class<K> keyType, Class<V> valueType) {
    return new Spec<>(valueType.getName());
  }

  @Override
  public <K, V> RegistrationSpec<K, V> forName(String name) {
    return new Spec<>(name);
  }

  @Override
  public boolean hasRegistrations() {
    return !registrations.isEmpty();
  }

  @Override
  public Mono<WebGraphQlResponse> intercept(WebGraphQlRequest request, Chain chain) {
    request.configureExecutionInput(
        (input, builder) ->
            builder
                .dataLoaderRegistry(new RequestDataLoaders(this))
                .graphQLContext(DISPATCH_WHEN_EXHAUSTED)
                .build());
    return chain.next(request);
  }

  @Override
  public void registerDataLoaders(DataLoaderRegistry registry, GraphQLContext context) {
    if (registry instanceof RequestDataLoaders lazy && lazy.registrations == this) {
      lazy.context = context;
      return;
    }
    registrations.forEach((name, registration) -> registry.register(registration.create(context)));
  }

  private void add(Registration registration) {
    if (registrations.putIfAbsent(registration.name(), registration) != null) {
      throw new IllegalStateException(
          "More than one DataLoader named '" + registration.name() + "'");
    }
  }

  /**
   * A request's DataLoaders: none until a field asks for one by name. graphql-java dispatches the
   * ones in the map, so only those the request has used.
   */
  static final class RequestDataLoaders extends DataLoaderRegistry {

    private final LazyBatchLoaderRegistry registrations;

    /** Set before the execution starts (spring-graphql registers, then executes). */
    private volatile @Nullable GraphQLContext context;

    private RequestDataLoaders(LazyBatchLoaderRegistry registrations) {
      this.registrations = registrations;
    }

    @Override
    public <K, V> @Nullable DataLoader<K, V> getDataLoader(String key) {
      DataLoader<K, V> existing = super.getDataLoader(key);
      GraphQLContext context = this.context;
      if (existing != null || context == null) {
        return existing;
      }
      Registration registration = registrations.registrations.get(key);
      return registration == null
          ? null
          : computeIfAbsent(key, name -> registration.create(context));
    }
  }

  /** One registered batch loader, and how a request's DataLoader of it is made. */
  private record Registration(
      String name,
      DataLoaderOptions options,
      Function<DataLoaderOptions, DataLoader<?, ?>> factory) {

    DataLoader<?, ?> create(GraphQLContext context) {
      return factory.apply(
          options.transform(builder -> builder.setBatchLoaderContextProvider(() -> context)));
    }
  }

  /**
   * Runs a batch load as spring-graphql does: the request's context snapshot (trace, security
   * context) written into the load's Reactor context, and restored around the call as thread-locals
   * where the snapshot factory has any (the request's has none: OperationObservation).
   */
  private static <T> CompletionStage<T> restored(
      BatchLoaderEnvironment environment, Supplier<Mono<T>> load) {
    GraphQLContext context = environment.getContext();
    ContextSnapshot snapshot = ContextPropagationHelper.captureFrom(context);
    try {
      return snapshot
          .wrap(() -> load.get().contextWrite(snapshot::updateContext).toFuture())
          .call();
    } catch (Exception e) {
      return CompletableFuture.failedFuture(e);
    }
  }

  private final class Spec<K, V> implements RegistrationSpec<K, V> {

    private String name;
    private @Nullable DataLoaderOptions options;
    private @Nullable Consumer<DataLoaderOptions.Builder> optionsChange;

    Spec(String name) {
      this.name = name;
    }

    @Override
    public RegistrationSpec<K, V> withName(String name) {
      this.name = name;
      return this;
    }

    @Override
    public RegistrationSpec<K, V> withOptions(Consumer<DataLoaderOptions.Builder> change) {
      optionsChange = optionsChange == null ? change : optionsChange.andThen(change);
      return this;
    }

    @Override
    public RegistrationSpec<K, V> withOptions(DataLoaderOptions options) {
      this.options = options;
      return this;
    }

    @Override
    public void registerBatchLoader(BiFunction<List<K>, BatchLoaderEnvironment, Flux<V>> loader) {
      String name = checkedName();
      BatchLoaderWithContext<K, V> batch =
          (keys, environment) ->
              restored(environment, () -> loader.apply(keys, environment).collectList());
      add(new Registration(name, options(), o -> DataLoaderFactory.newDataLoader(name, batch, o)));
    }

    @Override
    public void registerMappedBatchLoader(
        BiFunction<Set<K>, BatchLoaderEnvironment, Mono<Map<K, V>>> loader) {
      String name = checkedName();
      MappedBatchLoaderWithContext<K, V> batch =
          (keys, environment) -> restored(environment, () -> loader.apply(keys, environment));
      add(
          new Registration(
              name, options(), o -> DataLoaderFactory.newMappedDataLoader(name, batch, o)));
    }

    private String checkedName() {
      if (!StringUtils.hasText(name)) {
        throw new IllegalArgumentException("A DataLoader needs a name");
      }
      return name;
    }

    /** The registration's options, resolved once: DataLoaderOptions are immutable. */
    private DataLoaderOptions options() {
      DataLoaderOptions base = options != null ? options : DataLoaderOptions.newDefaultOptions();
      return optionsChange == null ? base : base.transform(optionsChange);
    }
  }
}
