package com.dedw3n.platform.graphql;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;
import org.springframework.data.domain.ScrollPosition;
import org.springframework.data.domain.Window;
import reactor.core.publisher.Flux;

/**
 * A nested list ({@code Product.reviews}, {@code Post.comments}, {@code Conversation.messages})
 * gets its pages from {@link NestedPages}: every parent asked for gets its own window, an empty one
 * when it has no children, cut from one statement per page size for first pages and one statement
 * per parent for later pages, with the children in the order the statement returned them and {@code
 * hasNextPage} from the extra row of that parent alone.
 */
class NestedPagesTests {

  record Child(long parent, long id) {}

  /** Children of each parent, newest (highest id) first; parent 3 has none. */
  private static final Map<Long, List<Child>> CHILDREN =
      Map.of(
          1L, List.of(new Child(1, 14), new Child(1, 13), new Child(1, 12), new Child(1, 11)),
          2L, List.of(new Child(2, 21)));

  private final List<String> statements = new ArrayList<>();

  private final NestedPages<Child> pages =
      new NestedPages<>(
          this::firstPages, this::laterPage, Child::parent, c -> Map.of("id", c.id()));

  private Flux<Child> firstPages(Collection<Long> parents, int limit, boolean join) {
    statements.add("first " + new TreeSet<>(parents) + " limit " + limit + (join ? " join" : ""));
    return Flux.fromIterable(parents)
        .concatMap(p -> Flux.fromIterable(CHILDREN.getOrDefault(p, List.of())).take(limit));
  }

  private Flux<Child> laterPage(long parent, Page page, boolean join) {
    long after = page.afterLong("id");
    statements.add(
        "later "
            + parent
            + " after "
            + after
            + " limit "
            + page.fetchSize()
            + (join ? " join" : ""));
    return Flux.fromIterable(CHILDREN.getOrDefault(parent, List.of()))
        .filter(c -> c.id() < after)
        .take(page.fetchSize());
  }

  private static NestedPages.Key first(long parent, int size) {
    return new NestedPages.Key(parent, Page.of("first", size, 20, null));
  }

  @Test
  void firstPagesOfOneSizeAreOneStatementAndEveryParentGetsItsOwnWindow() {
    Set<NestedPages.Key> keys = Set.of(first(1, 2), first(2, 2), first(3, 2));

    Map<NestedPages.Key, Window<Child>> windows = pages.load(keys).block();

    assertThat(statements).containsExactly("first [1, 2, 3] limit 3");
    assertThat(windows).containsOnlyKeys(keys);
    Window<Child> one = windows.get(first(1, 2));
    assertThat(one.getContent()).containsExactly(new Child(1, 14), new Child(1, 13));
    assertThat(one.hasNext()).isTrue();
    assertThat(one.positionAt(1)).isEqualTo(ScrollPosition.forward(Map.of("id", 13L)));
    Window<Child> two = windows.get(first(2, 2));
    assertThat(two.getContent()).containsExactly(new Child(2, 21));
    assertThat(two.hasNext()).isFalse();
    Window<Child> none = windows.get(first(3, 2));
    assertThat(none.isEmpty()).isTrue();
    assertThat(none.hasNext()).isFalse();
  }

  @Test
  void childrenKeepTheOrderOfTheStatementEvenWhenParentsAreInterleaved() {
    List<Child> interleaved =
        List.of(
            new Child(1, 5), new Child(2, 9), new Child(1, 7), new Child(2, 3), new Child(1, 6));
    NestedPages<Child> nested =
        new NestedPages<>(
            (parents, limit, join) -> Flux.fromIterable(interleaved),
            (parent, page, join) -> Flux.empty(),
            Child::parent,
            c -> Map.of("id", c.id()));

    var windows = nested.load(Set.of(first(1, 5), first(2, 5))).block();

    assertThat(windows.get(first(1, 5)).getContent())
        .containsExactly(new Child(1, 5), new Child(1, 7), new Child(1, 6));
    assertThat(windows.get(first(2, 5)).getContent())
        .containsExactly(new Child(2, 9), new Child(2, 3));
  }

  @Test
  void eachPageSizeIsItsOwnStatementAndOneParentCanHaveTwoSizes() {
    Set<NestedPages.Key> keys = Set.of(first(1, 1), first(2, 1), first(1, 3));

    var windows = pages.load(keys).block();

    assertThat(statements).containsExactlyInAnyOrder("first [1, 2] limit 2", "first [1] limit 4");
    assertThat(windows.get(first(1, 1)).getContent()).containsExactly(new Child(1, 14));
    assertThat(windows.get(first(1, 1)).hasNext()).isTrue();
    assertThat(windows.get(first(1, 3)).getContent()).hasSize(3);
    assertThat(windows.get(first(1, 3)).hasNext()).isTrue();
    assertThat(windows.get(first(2, 1)).hasNext()).isFalse();
  }

  /**
   * A page without its peek (its query reads no hasNextPage) asks the statement for the page alone,
   * apart from the peeking keys of the same size, whose windows still tell a next page.
   */
  @Test
  void aPageWithoutPeekReadsItsOwnSizeInAStatementOfItsOwn() {
    var exact = new NestedPages.Key(1, Page.of("first", 2, 20, null).peeking(false));
    Set<NestedPages.Key> keys = Set.of(exact, first(1, 2));

    var windows = pages.load(keys).block();

    assertThat(statements).containsExactlyInAnyOrder("first [1] limit 2", "first [1] limit 3");
    assertThat(windows.get(exact).getContent()).containsExactly(new Child(1, 14), new Child(1, 13));
    assertThat(windows.get(first(1, 2)).getContent())
        .containsExactly(new Child(1, 14), new Child(1, 13));
    assertThat(windows.get(first(1, 2)).hasNext()).isTrue();
  }

  @Test
  void laterPagesAreFetchedOneParentAtATimeAfterTheirCursor() {
    var afterThirteen = new NestedPages.Key(1, Page.of("first", 1, 20, KeysetCursors.of("id", 13)));
    var afterTwelve = new NestedPages.Key(1, Page.of("first", 5, 20, KeysetCursors.of("id", 12)));

    var windows = pages.load(Set.of(afterThirteen, afterTwelve, first(2, 1))).block();

    assertThat(statements)
        .containsExactlyInAnyOrder(
            "first [2] limit 2", "later 1 after 13 limit 2", "later 1 after 12 limit 6");
    assertThat(windows.get(afterThirteen).getContent()).containsExactly(new Child(1, 12));
    assertThat(windows.get(afterThirteen).hasNext()).isTrue();
    assertThat(windows.get(afterTwelve).getContent()).containsExactly(new Child(1, 11));
    assertThat(windows.get(afterTwelve).hasNext()).isFalse();
    assertThat(windows.get(first(2, 1)).getContent()).containsExactly(new Child(2, 21));
  }

  /**
   * The join flag travels in the key: first pages of one size are one statement per flag (keys that
   * agree, as every key of one field does, still share one), and a later page is read with its own
   * key's flag.
   */
  @Test
  void firstPagesWithAndWithoutTheJoinAreSeparateStatementsEachWithItsFlag() {
    var joined1 = new NestedPages.Key(1, Page.of("first", 2, 20, null), true);
    var joined2 = new NestedPages.Key(2, Page.of("first", 2, 20, null), true);
    var joinedLater =
        new NestedPages.Key(1, Page.of("first", 1, 20, KeysetCursors.of("id", 13)), true);

    var windows =
        pages.load(Set.of(joined1, joined2, first(3, 2), first(1, 2), joinedLater)).block();

    assertThat(statements)
        .containsExactlyInAnyOrder(
            "first [1, 2] limit 3 join", "first [1, 3] limit 3", "later 1 after 13 limit 2 join");
    assertThat(windows.get(joined1).getContent())
        .containsExactly(new Child(1, 14), new Child(1, 13));
    assertThat(windows.get(first(1, 2)).getContent())
        .containsExactly(new Child(1, 14), new Child(1, 13));
    assertThat(windows.get(joined2).getContent()).containsExactly(new Child(2, 21));
    assertThat(windows.get(joinedLater).getContent()).containsExactly(new Child(1, 12));
  }

  @Test
  void noKeysNeedNoStatement() {
    assertThat(pages.load(Set.of()).block()).isEmpty();
    assertThat(statements).isEmpty();
  }
}
