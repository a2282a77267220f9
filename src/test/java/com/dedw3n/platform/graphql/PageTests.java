package com.dedw3n.platform.graphql;

import static com.dedw3n.platform.graphql.KeysetCursorsTests.assertBadRequest;
import static org.assertj.core.api.Assertions.assertThat;

import java.time.OffsetDateTime;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.springframework.data.domain.ScrollPosition;
import org.springframework.data.domain.Window;
import org.springframework.graphql.data.query.WindowConnectionAdapter;

/**
 * A list argument pair ({@code first}/{@code after}, or {@code last}/{@code before}) becomes a
 * {@link Page}: clients rely on the default size when they give none, on a BAD_REQUEST naming the
 * argument for a size outside 1..100 (never a silent clamp), on {@code hasNextPage} being true
 * exactly when the extra row fetched exists, and on a page's end cursor resuming right after its
 * last item, timestamps exact to the microsecond.
 */
class PageTests {

  record Row(OffsetDateTime createdAt, long id) {
    Map<String, Object> key() {
      return Page.key(createdAt, id);
    }
  }

  private static final OffsetDateTime T = OffsetDateTime.parse("2024-11-28T09:30:00.123456Z");

  private static List<Row> rows(int n) {
    return IntStream.range(0, n).mapToObj(i -> new Row(T.minusSeconds(i), 100 - i)).toList();
  }

  @Test
  void theSizeDefaultsWhenAbsentAndIsTakenAsGivenFromOneToAHundred() {
    assertThat(Page.of("first", null, 20, null).size()).isEqualTo(20);
    assertThat(Page.of("first", 1, 20, null).size()).isEqualTo(1);
    assertThat(Page.of("first", 100, 20, null).size()).isEqualTo(100);
    assertThat(Page.of("first", 7, 20, null).fetchSize()).isEqualTo(8);
  }

  @Test
  void aSizeOutsideOneToAHundredIsABadRequestNamingTheArgument() {
    for (int size : new int[] {0, -1, 101, Integer.MIN_VALUE, Integer.MAX_VALUE}) {
      assertBadRequest(
          () -> Page.of("first", size, 20, null), "first must be from 1 to 100, not " + size);
    }
    assertBadRequest(() -> Page.of("last", -5, 50, null), "last must be from 1 to 100, not -5");
  }

  @Test
  void noCursorOrAnEmptyOneIsTheFirstPage() {
    assertThat(Page.of("first", 5, 20, null).isFirst()).isTrue();
    assertThat(Page.of("first", 5, 20, "").isFirst()).isTrue();
    assertBadRequest(
        () -> Page.of("first", 5, 20, null).afterLong("id"),
        "The cursor does not belong to this list.");
  }

  @Test
  void aMalformedCursorIsRefusedBeforeAnyQueryAndAForeignOneWhereItsKeysAreRead() {
    assertBadRequest(
        () -> Page.of("first", 5, 20, "%%"),
        "Malformed cursor: pass a cursor exactly as the API returned it.");
    Page withAMessageCursor = Page.of("first", 5, 20, KeysetCursors.of("seq", 3));
    assertThat(withAMessageCursor.isFirst()).isFalse();
    assertBadRequest(
        () -> withAMessageCursor.afterTime("t"), "The cursor does not belong to this list.");
  }

  /** Nested lists check a cursor where their field is read, before it joins a shared batch. */
  @Test
  void withinAcceptsOnlyPositionsOfItsOwnList() {
    String review = new KeysetCursors().toCursor(ScrollPosition.forward(Page.key(T, 7)));
    assertThat(Page.of("first", 5, 10, review).within(List.of("t", "id")).afterLong("id"))
        .isEqualTo(7);
    assertThat(Page.of("first", 5, 10, null).within(List.of("t", "id")).isFirst()).isTrue();
    assertBadRequest(
        () -> Page.of("first", 5, 10, KeysetCursors.of("seq", 3)).within(List.of("t", "id")),
        "The cursor does not belong to this list.");
    assertBadRequest(
        () -> Page.of("last", 5, 10, review).within(List.of("seq")),
        "The cursor does not belong to this list.");
    // well formed, but a time no list holds (PostgreSQL would refuse it inside the batch)
    String farPast =
        new KeysetCursors().toCursor(ScrollPosition.forward(Map.of("t", Long.MIN_VALUE, "id", 1L)));
    assertBadRequest(
        () -> Page.of("first", 5, 10, farPast).within(List.of("t", "id")),
        "The cursor does not belong to this list.");
  }

  @Test
  void hasNextPageIsTrueExactlyWhenTheExtraRowCameBack() {
    Page page = Page.of("first", 3, 20, null);

    Window<Row> full = page.window(rows(page.fetchSize()), Row::key);
    assertThat(full.getContent()).containsExactlyElementsOf(rows(3));
    assertThat(full.hasNext()).isTrue();

    Window<Row> exact = page.window(rows(3), Row::key);
    assertThat(exact.getContent()).hasSize(3);
    assertThat(exact.hasNext()).isFalse();

    Window<Row> fewer = page.window(rows(1), Row::key);
    assertThat(fewer.getContent()).containsExactlyElementsOf(rows(1));
    assertThat(fewer.hasNext()).isFalse();

    Window<Row> none = page.window(List.of(), Row::key);
    assertThat(none.isEmpty()).isTrue();
    assertThat(none.hasNext()).isFalse();
  }

  @Test
  void aPageWithoutPeekFetchesItsOwnSizeAndKeepsItsCursors() {
    Page peeking = Page.of("first", 3, 20, null);
    Page exact = peeking.peeking(false);
    assertThat(exact.fetchSize()).isEqualTo(3);
    // a DataLoader key with it is not the key of a field that reads hasNextPage
    assertThat(exact).isNotEqualTo(peeking);
    assertThat(exact.peeking(false)).isEqualTo(exact);

    Window<Row> window = exact.window(rows(3), Row::key);
    assertThat(window.getContent()).containsExactlyElementsOf(rows(3));
    assertThat(window.hasNext()).as("not known, and not read").isFalse();
    assertThat(window.positionAt(2)).isEqualTo(ScrollPosition.forward(rows(3).get(2).key()));
  }

  @Test
  void thePageInfoOfAWindowResumesAfterItsLastItem() {
    Page page = Page.of("first", 2, 20, null);
    Window<Row> window = page.window(rows(3), Row::key);
    WindowConnectionAdapter pageInfo = new WindowConnectionAdapter(new KeysetCursors());

    assertThat(pageInfo.hasNext(window)).isTrue();
    assertThat(pageInfo.hasPrevious(window)).isFalse();
    assertThat(window.positionAt(1)).isEqualTo(ScrollPosition.forward(rows(2).get(1).key()));

    Page next = Page.of("first", 2, 20, pageInfo.cursorAt(window, 1));
    assertThat(next.isFirst()).isFalse();
    assertThat(next.afterLong("id")).isEqualTo(99L);
    assertThat(next.afterTime("t")).isEqualTo(T.minusSeconds(1));
  }

  @Test
  void cursorTimesAreExactToTheMicrosecondBeforeAndAfter1970InAnyOffset() {
    for (String time :
        new String[] {
          "2024-11-28T11:30:00.654321+02:00",
          "1969-12-31T23:59:59.999999Z",
          "1900-01-01T00:00:00.000001Z",
          "1970-01-01T00:00Z"
        }) {
      OffsetDateTime t = OffsetDateTime.parse(time);
      String cursor = new KeysetCursors().toCursor(ScrollPosition.forward(Page.key(t, 1)));
      assertThat(Page.of("first", 1, 1, cursor).afterTime("t")).isAtSameInstantAs(t);
    }
    assertThat(Page.micros(OffsetDateTime.parse("1969-12-31T23:59:59.999999Z"))).isEqualTo(-1L);
    // PostgreSQL keeps microseconds: anything finer is dropped, not rounded
    OffsetDateTime nanos = OffsetDateTime.parse("2024-01-01T00:00:00.123456789Z");
    assertThat(Page.micros(nanos)).isEqualTo(Page.micros(nanos.withNano(123_456_000)));
  }
}
