package com.dedw3n.platform.db;

import io.r2dbc.spi.Readable;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.function.Function;
import org.springframework.r2dbc.core.DatabaseClient;
import reactor.core.publisher.Mono;

/**
 * A parent read with its children by one statement, a lateral join that repeats the parent on every
 * row of its children (a product and its newest reviews, a page of posts and each post's newest
 * comments): what a GraphQL parent reads ahead for the list below it.
 *
 * @param parent the parent, read from its first row only
 * @param children its children in the statement's order; empty when the row's child columns are
 *     null (the parent has none)
 */
public record WithChildren<P, C>(P parent, List<C> children) {

  /**
   * The parents of {@code statement}, in its order, each with its children. Its rows must come
   * grouped by parent ({@code ORDER BY} the parent's order, then the children's), {@code parentId}
   * and {@code childId} naming a column of each.
   */
  public static <P, C> Mono<List<WithChildren<P, C>>> read(
      DatabaseClient.GenericExecuteSpec statement,
      String parentId,
      Function<Readable, P> parent,
      String childId,
      Function<Readable, C> child) {
    return Mono.defer(
        () -> {
          // rows arrive one at a time, in order: this subscription's groups, filled as they do
          List<WithChildren<P, C>> groups = new ArrayList<>();
          Object[] lastId = {null};
          return statement
              .map(
                  row -> {
                    Object id = row.get(parentId);
                    if (groups.isEmpty() || !Objects.equals(id, lastId[0])) {
                      groups.add(new WithChildren<>(parent.apply(row), new ArrayList<>()));
                      lastId[0] = id;
                    }
                    if (row.get(childId) != null) {
                      groups.get(groups.size() - 1).children().add(child.apply(row));
                    }
                    return id;
                  })
              .all()
              .then(Mono.fromSupplier(() -> groups));
        });
  }
}
