package com.dedw3n.platform.graphql;

import com.dedw3n.platform.db.WithChildren;
import graphql.language.Field;
import graphql.schema.DataFetchingEnvironment;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.function.Function;
import java.util.function.ToLongFunction;
import java.util.stream.Collectors;
import org.dataloader.DataLoader;
import org.jspecify.annotations.Nullable;
import org.springframework.data.domain.Window;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * The batch loading behind a nested list ({@code Product.reviews(first)}, {@code
 * Post.comments(first)}, ...): for every parent on a page, one page of its children. First pages of
 * one size are fetched together by one statement (a lateral join, normally one statement for the
 * whole request); later pages, which clients ask for one parent at a time, one by one.
 *
 * <p>A key also says whether its page's statement joins what the children point to (a review's
 * author, read in the same statement rather than one DataLoader level later), decided by the field
 * from the query's selection (see {@link Selections}). It travels in the key because the batch sees
 * only keys, and first pages with and without the join are separate statements (a query that does
 * not select the author pays no join); normally every key of a request agrees, so it is still one
 * statement.
 *
 * @param <T> the child type
 */
public final class NestedPages<T> {

  /**
   * Which page of which parent's children, and whether to join what they point to: the DataLoader
   * key.
   */
  public record Key(long parentId, Page page, boolean join) {

    /** A page read without joins. */
    public Key(long parentId, Page page) {
      this(parentId, page, false);
    }
  }

  /**
   * The first page of a nested list that the query selects below the parent being fetched, read
   * ahead: the parent's own statement reads it too (a lateral join), {@link #prime} hands it to the
   * list's DataLoader, and the list's field then finds it there instead of sending a statement of
   * its own. That is PostGraphile's one statement for {@code product(id) { ... reviews { ... } }}.
   *
   * @param page the page, as the list's field will ask for it
   * @param join whether the list's field will ask for it joined ({@link Key#join})
   */
  public record Ahead(Page page, boolean join) {

    /**
     * The first page that the list field at {@code path} ({@code "reviews"} below a product, {@code
     * "edges/node/comments"} below a page of posts) selects below the fetched (parent) field, as
     * that field will compute its key from the same arguments: {@code sizeArgument} (default {@code
     * defaultSize}) and {@code cursorArgument}, joined when its nodes select {@code joined}, read
     * with the row after it only when its {@code pageInfo} selects {@code peekedBy} ({@link
     * Page#peeking}: {@code hasNextPage}, or {@code hasPreviousPage} for a backward list). Null
     * when the query does not select it, selects a later page, selects it more than once with other
     * arguments, or asks for a size the field will refuse (the field itself reports that, at its
     * own path). A key that turns out unlike the field's costs its statement, never a wrong page.
     */
    public static @Nullable Ahead of(
        DataFetchingEnvironment parent,
        String path,
        String sizeArgument,
        String cursorArgument,
        int defaultSize,
        @Nullable String joined,
        String peekedBy) {
      List<Field> fields = Selections.fields(parent, path.split("/"));
      if (fields.isEmpty()) {
        return null;
      }
      Object size = Selections.argument(parent, fields.get(0), sizeArgument);
      boolean join = false;
      boolean peek = false;
      for (Field each : fields) {
        Object cursor = Selections.argument(parent, each, cursorArgument);
        if ((cursor != null && !"".equals(cursor))
            || !Objects.equals(Selections.argument(parent, each, sizeArgument), size)) {
          return null;
        }
        join |= joined != null && Selections.selects(parent, each, "edges", "node", joined);
        peek |= Selections.selects(parent, each, "pageInfo", peekedBy);
      }
      if (size != null && !(size instanceof Integer)) {
        return null;
      }
      try {
        return new Ahead(
            Page.of(sizeArgument, (Integer) size, defaultSize, null).peeking(peek), join);
      } catch (ApiException refused) {
        return null;
      }
    }
  }

  /**
   * Hands the pages read ahead to this request's DataLoader {@code loader}, under the keys the
   * list's fields will load, and answers the parents in their order: {@code read} has every parent
   * read, each with up to {@code ahead.page().fetchSize()} children in the list's order.
   */
  public <P> List<P> prime(
      DataFetchingEnvironment env,
      String loader,
      Ahead ahead,
      List<WithChildren<P, T>> read,
      ToLongFunction<P> parentId) {
    DataLoader<Key, Window<T>> dataLoader = DataLoaders.named(env, loader);
    List<P> parents = new ArrayList<>(read.size());
    for (WithChildren<P, T> each : read) {
      dataLoader.prime(
          new Key(parentId.applyAsLong(each.parent()), ahead.page(), ahead.join()),
          ahead.page().window(each.children(), cursorKey));
      parents.add(each.parent());
    }
    return parents;
  }

  /** Up to {@code limit} newest children of each parent id, in one statement. */
  @FunctionalInterface
  public interface FirstPages<T> {
    Flux<T> read(Collection<Long> parentIds, int limit, boolean join);
  }

  /** One parent's children after the page's cursor, {@code page.fetchSize()} rows. */
  @FunctionalInterface
  public interface LaterPage<T> {
    Flux<T> read(long parentId, Page page, boolean join);
  }

  /** The first pages read by one statement: one size, joined or not. */
  private record Batch(int fetchSize, boolean join) {}

  private final FirstPages<T> firstPages;
  private final LaterPage<T> laterPage;
  private final Function<T, Long> parentOf;
  private final Function<T, Map<String, Object>> cursorKey;

  /**
   * @param firstPages up to {@code limit} newest children of each parent id, in one statement
   * @param laterPage one parent's children after the page's cursor, {@code page.fetchSize()} rows
   * @param parentOf a child's parent id
   * @param cursorKey a child's position for its cursor (see {@link Page#key})
   */
  public NestedPages(
      FirstPages<T> firstPages,
      LaterPage<T> laterPage,
      Function<T, Long> parentOf,
      Function<T, Map<String, Object>> cursorKey) {
    this.firstPages = firstPages;
    this.laterPage = laterPage;
    this.parentOf = parentOf;
    this.cursorKey = cursorKey;
  }

  /** The mapped batch loader function: every key gets a window, empty when it has no children. */
  public Mono<Map<Key, Window<T>>> load(Set<Key> keys) {
    Map<Batch, List<Key>> firstPagesByBatch =
        keys.stream()
            .filter(key -> key.page().isFirst())
            .collect(Collectors.groupingBy(key -> new Batch(key.page().fetchSize(), key.join())));
    Flux<Map<Key, Window<T>>> first =
        Flux.fromIterable(firstPagesByBatch.entrySet())
            .concatMap(
                batch ->
                    firstPages
                        .read(
                            // two lists of one parent can share a batch (first: 2 that peeks
                            // reads 3 rows, as first: 3 does): the parent is read once, or each
                            // child comes back twice
                            batch.getValue().stream().map(Key::parentId).distinct().toList(),
                            batch.getKey().fetchSize(),
                            batch.getKey().join())
                        .collectMultimap(parentOf)
                        .map(byParent -> windows(batch.getValue(), byParent)));
    Flux<Map<Key, Window<T>>> later =
        Flux.fromIterable(keys)
            .filter(key -> !key.page().isFirst())
            .concatMap(
                key ->
                    laterPage
                        .read(key.parentId(), key.page(), key.join())
                        .collectList()
                        .map(rows -> Map.of(key, key.page().window(rows, cursorKey))));
    // a map per subscription: reduce(new HashMap<>(), ...) would share one between them
    return Flux.concat(first, later)
        .<Map<Key, Window<T>>>reduceWith(
            HashMap::new,
            (all, some) -> {
              all.putAll(some);
              return all;
            });
  }

  private Map<Key, Window<T>> windows(List<Key> group, Map<Long, Collection<T>> byParent) {
    Map<Key, Window<T>> result = new HashMap<>();
    for (Key key : group) {
      Collection<T> rows = byParent.get(key.parentId());
      result.put(
          key, key.page().window(rows == null ? List.of() : new ArrayList<>(rows), cursorKey));
    }
    return result;
  }
}
