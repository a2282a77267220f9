package com.dedw3n.platform.graphql;

import graphql.TrivialDataFetcher;
import graphql.relay.Connection;
import graphql.relay.ConnectionCursor;
import graphql.relay.DefaultConnectionCursor;
import graphql.relay.Edge;
import graphql.relay.PageInfo;
import graphql.schema.DataFetchingEnvironment;
import java.util.AbstractList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.function.ToLongFunction;
import org.jspecify.annotations.Nullable;
import org.springframework.data.domain.ScrollPosition;
import org.springframework.data.domain.Window;
import org.springframework.graphql.data.pagination.CursorStrategy;
import org.springframework.graphql.data.query.WindowConnectionAdapter;

/**
 * A nested forward connection field ({@code Product.reviews(first, after)}) whose page comes from a
 * {@link NestedPages} DataLoader, wired as a plain graphql-java DataFetcher instead of a
 * {@code @SchemaMapping} method returning a {@link Window}.
 *
 * <p>Why: the same per-call costs as {@link LoadedField}, and one more. spring-graphql's adaptation
 * of a {@link Window} into a Relay connection encodes every edge's cursor up front, while W1 reads
 * none of its 150 review cursors. Here an edge's cursor is encoded when a client selects it. {@code
 * hasPreviousPage}, {@code hasNextPage} and the cursors themselves come from spring-graphql's own
 * {@link WindowConnectionAdapter} with the application's cursor strategy, so clients see the same
 * connection as from a controller method.
 *
 * @param loader the name of the {@code DataLoader<NestedPages.Key, Window<?>>}
 * @param parentId the parent's id, the first half of the DataLoader key
 * @param defaultSize the page size when {@code first} is absent
 * @param adapter reads windows and makes cursors, with the application's cursor strategy
 * @param cursorKeys the keys of this list's cursors: another list's cursor is refused here, for
 *     this field alone
 * @param joined the field of a node that the page's statement can read with it ({@code author}):
 *     when the query selects it, the key asks the loader to join it ({@link NestedPages.Key#join});
 *     null when there is none
 * @param <S> the parent (source) type
 */
public record LoadedConnection<S>(
    String loader,
    ToLongFunction<S> parentId,
    int defaultSize,
    WindowConnectionAdapter adapter,
    List<String> cursorKeys,
    @Nullable String joined)
    implements TrivialDataFetcher<CompletableFuture<Connection<Object>>> {

  /**
   * A forward page: {@code first} (default {@code defaultSize}) children {@code after} a cursor.
   */
  public static <S> LoadedConnection<S> forward(
      String loader,
      ToLongFunction<S> parentId,
      int defaultSize,
      CursorStrategy<ScrollPosition> cursors,
      String... cursorKeys) {
    if (cursorKeys.length == 0) {
      throw new IllegalArgumentException("Name the keys of " + loader + "'s cursors");
    }
    return new LoadedConnection<>(
        loader,
        parentId,
        defaultSize,
        new WindowConnectionAdapter(cursors),
        List.of(cursorKeys),
        null);
  }

  /** This connection, its page read with the nodes' {@code field} when the query selects it. */
  public LoadedConnection<S> joining(String field) {
    return new LoadedConnection<>(loader, parentId, defaultSize, adapter, cursorKeys, field);
  }

  /**
   * The first page of this connection that the query selects at {@code path} below the parent being
   * fetched, for the parent's statement to read ahead ({@link NestedPages.Ahead}); null when it
   * selects none or not one first page.
   */
  public NestedPages.@Nullable Ahead ahead(DataFetchingEnvironment parent, String path) {
    return NestedPages.Ahead.of(parent, path, "first", "after", defaultSize, joined, "hasNextPage");
  }

  @Override
  public CompletableFuture<Connection<Object>> get(DataFetchingEnvironment environment) {
    Page page =
        Page.of(
                "first",
                environment.getArgument("first"),
                defaultSize,
                environment.getArgument("after"))
            .within(cursorKeys)
            .peeking(Selections.selects(environment, "pageInfo", "hasNextPage"));
    S source = environment.getSource();
    boolean join = joined != null && Selections.selects(environment, "edges", "node", joined);
    var dataLoader = DataLoaders.<NestedPages.Key, Window<Object>>named(environment, loader);
    return dataLoader
        .load(new NestedPages.Key(parentId.applyAsLong(source), page, join))
        .thenApply(window -> new WindowConnection(window, adapter));
  }

  /** A Relay connection over a window; graphql-java reads it through these getters. */
  public record WindowConnection(Window<Object> window, WindowConnectionAdapter adapter)
      implements Connection<Object>, PageInfo {

    @Override
    public List<Edge<Object>> getEdges() {
      List<Object> nodes = window.getContent();
      return new AbstractList<>() {
        @Override
        public Edge<Object> get(int index) {
          return new WindowEdge(nodes.get(index), index, WindowConnection.this);
        }

        @Override
        public int size() {
          return nodes.size();
        }
      };
    }

    @Override
    public PageInfo getPageInfo() {
      return this;
    }

    @Override
    public @Nullable ConnectionCursor getStartCursor() {
      return window.isEmpty() ? null : cursorAt(0);
    }

    @Override
    public @Nullable ConnectionCursor getEndCursor() {
      return window.isEmpty() ? null : cursorAt(window.size() - 1);
    }

    @Override
    public boolean isHasPreviousPage() {
      return adapter.hasPrevious(window);
    }

    @Override
    public boolean isHasNextPage() {
      return adapter.hasNext(window);
    }

    ConnectionCursor cursorAt(int index) {
      return new DefaultConnectionCursor(adapter.cursorAt(window, index));
    }
  }

  /** An edge whose cursor is encoded only when read. */
  public record WindowEdge(Object node, int index, WindowConnection connection)
      implements Edge<Object> {

    @Override
    public Object getNode() {
      return node;
    }

    @Override
    public ConnectionCursor getCursor() {
      return connection.cursorAt(index);
    }
  }
}
