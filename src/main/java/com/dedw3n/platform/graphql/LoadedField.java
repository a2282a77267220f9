package com.dedw3n.platform.graphql;

import graphql.TrivialDataFetcher;
import graphql.schema.DataFetchingEnvironment;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.function.Function;
import org.dataloader.DataLoader;
import org.jspecify.annotations.Nullable;

/**
 * A field whose value is one DataLoader load keyed by its parent (a product's seller, a review's
 * author), wired as a plain graphql-java DataFetcher instead of a {@code @SchemaMapping} method.
 *
 * <p>Why: spring-graphql calls a controller method through a handler object it builds on every call
 * (whose constructor formats the method's generic signature for an assertion message), and wraps
 * the call to capture and restore every registered thread-local. On the product feed, 200 of these
 * fields a request, those two were about 6 % of the server's CPU samples (async-profiler, W1 at 16
 * connections), and wiring the fields this way took 8 % off the server's CPU per request (A/B).
 * graphql-java calls a {@link TrivialDataFetcher} directly and spring-graphql leaves it
 * undecorated. So only fields that need nothing but their parent belong here: no arguments, no
 * signed-in user, no thread-locals. The batch loader behind the DataLoader still runs with the
 * request's context, which spring-graphql's batch loader registry restores itself.
 *
 * @param loader the DataLoader's name: the constant its feature registers it under ({@code
 *     User.LOADER}, ...)
 * @param key the parent's key for the DataLoader; must not return null
 * @param <S> the parent (source) type
 * @param <K> the DataLoader's key type
 */
public record LoadedField<S, K>(String loader, Function<S, K> key)
    implements TrivialDataFetcher<CompletableFuture<Object>> {

  /** The field loaded by the DataLoader registered under {@code loader}. */
  public static <S, K> LoadedField<S, K> of(String loader, Function<S, K> key) {
    return new LoadedField<>(loader, key);
  }

  /**
   * The value the parent carries (a product read together with its seller, a message delivered with
   * its sender), else the field loaded by the DataLoader registered under {@code loader}: a carried
   * value costs no statement, and a parent read without it (not selected when it was read, or read
   * by another query) is loaded exactly as {@link #of} loads it.
   *
   * @param carried the parent's carried value, or null when it carries none
   */
  public static <S, K> Carried<S, K> carriedOr(
      Function<S, @Nullable Object> carried, String loader, Function<S, K> key) {
    return new Carried<>(carried, new LoadedField<>(loader, key));
  }

  /** A list field: one load per key of the parent (a match's two users), in the keys' order. */
  public static <S, K> Many<S, K> many(String loader, Function<S, List<K>> keys) {
    return new Many<>(loader, keys);
  }

  @Override
  public CompletableFuture<Object> get(DataFetchingEnvironment environment) {
    DataLoader<K, Object> dataLoader = DataLoaders.named(environment, loader);
    S source = environment.getSource();
    return dataLoader.load(key.apply(source));
  }

  /** See {@link #carriedOr}. */
  public record Carried<S, K>(Function<S, @Nullable Object> carried, LoadedField<S, K> loaded)
      implements TrivialDataFetcher<Object> {

    @Override
    public Object get(DataFetchingEnvironment environment) {
      S source = environment.getSource();
      Object value = carried.apply(source);
      return value != null ? value : loaded.get(environment);
    }
  }

  /** {@link LoadedField} of a list: the same loader, several keys of one parent. */
  public record Many<S, K>(String loader, Function<S, List<K>> keys)
      implements TrivialDataFetcher<CompletableFuture<List<Object>>> {

    @Override
    public CompletableFuture<List<Object>> get(DataFetchingEnvironment environment) {
      DataLoader<K, Object> dataLoader = DataLoaders.named(environment, loader);
      S source = environment.getSource();
      return dataLoader.loadMany(keys.apply(source));
    }
  }
}
