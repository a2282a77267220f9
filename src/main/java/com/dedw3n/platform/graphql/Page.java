package com.dedw3n.platform.graphql;

import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import org.jspecify.annotations.Nullable;
import org.springframework.data.domain.ScrollPosition;
import org.springframework.data.domain.Window;

/**
 * One page of a keyset-paginated list: how many items (1..100, anything else is a BAD_REQUEST, not
 * a silent clamp) and the position after which it starts ({@code null} for the first page).
 *
 * <p>Repositories fetch {@link #fetchSize()} rows (one more than the page, unless it does not
 * {@link #peek}) and hand them to {@link #window}, which tells from the extra row whether a next
 * page exists; spring-graphql turns the {@link Window} into a Relay connection, with cursors made
 * by {@link KeysetCursors}.
 *
 * @param peek whether the page is read with the row after it, to tell whether a next page exists;
 *     false only for a page whose reader reads no {@code hasNextPage} (see {@link #peeking})
 */
public record Page(int size, @Nullable Map<String, Object> after, boolean peek) {

  /** A page read with the row after it. */
  public Page(int size, @Nullable Map<String, Object> after) {
    this(size, after, true);
  }

  public static final int MAX_SIZE = 100;

  // cursor times outside these years are no list's positions (and PostgreSQL refuses some of them)
  private static final long MIN_MICROS = micros(OffsetDateTime.parse("0001-01-01T00:00:00Z"));
  private static final long MAX_MICROS =
      micros(OffsetDateTime.parse("9999-12-31T23:59:59.999999Z"));

  /** Checks the page size argument (named for the error message) and decodes the cursor. */
  public static Page of(
      String sizeArgument, @Nullable Integer size, int defaultSize, @Nullable String cursor) {
    int n = size == null ? defaultSize : size;
    if (n < 1 || n > MAX_SIZE) {
      throw ApiException.badRequest(sizeArgument + " must be from 1 to " + MAX_SIZE + ", not " + n);
    }
    return new Page(n, cursor == null || cursor.isEmpty() ? null : KeysetCursors.decode(cursor));
  }

  /**
   * This page, if its cursor (when it has one) is a position of a list keyed by exactly these keys;
   * BAD_REQUEST otherwise. Nested lists check this where their field is read: a later page's query
   * runs in a batch with every other list of the request, and a foreign cursor found there would
   * fail them all.
   */
  public Page within(List<String> keys) {
    if (after == null) {
      return this;
    }
    if (after.size() != keys.size() || !keys.stream().allMatch(k -> after.get(k) instanceof Long)) {
      throw KeysetCursors.notOfThisList();
    }
    if (after.containsKey("t")) {
      afterTime("t"); // a time PostgreSQL cannot hold is refused here, not in the shared batch
    }
    return this;
  }

  /**
   * This page, read with the row after it when {@code peek} (the query reads {@code hasNextPage}),
   * or without it: then its {@link #window} has no next page, whatever the list holds. For a nested
   * list whose query selects neither {@code hasNextPage} nor {@code hasPreviousPage} (W1's three
   * reviews a product, W4's two comments a post), where the rows after the pages were a fifth of
   * the feed's rows and about a sixth of its statement's time in PostgreSQL. The flag is part of
   * the page, so a DataLoader key without the row never answers a field that reads {@code
   * hasNextPage}.
   */
  public Page peeking(boolean peek) {
    return peek == this.peek ? this : new Page(size, after, peek);
  }

  /**
   * Rows to fetch: one more than the page when it {@link #peek}s, to know whether there is a next
   * one.
   */
  public int fetchSize() {
    return peek ? size + 1 : size;
  }

  /** The key of the cursor, or an error naming the key when the cursor lacks it. */
  public long afterLong(String key) {
    Object value = after == null ? null : after.get(key);
    if (value instanceof Long l) {
      return l;
    }
    throw KeysetCursors.notOfThisList();
  }

  /** The cursor's time at {@code key}; BAD_REQUEST when it is outside years 1 to 9999. */
  public OffsetDateTime afterTime(String key) {
    long micros = afterLong(key);
    if (micros < MIN_MICROS || micros > MAX_MICROS) {
      throw KeysetCursors.notOfThisList();
    }
    return Instant.ofEpochSecond(
            Math.floorDiv(micros, 1_000_000), Math.floorMod(micros, 1_000_000) * 1_000L)
        .atOffset(ZoneOffset.UTC);
  }

  public boolean isFirst() {
    return after == null;
  }

  /** The page of {@code rows} (fetched with {@link #fetchSize()}), each with its cursor key. */
  public <T> Window<T> window(List<T> rows, Function<T, Map<String, Object>> keyOf) {
    boolean more = rows.size() > size;
    List<T> items = more ? rows.subList(0, size) : rows;
    return Window.from(
        items, index -> ScrollPosition.forward(keyOf.apply(items.get(index))), peek && more);
  }

  /** A cursor key of a timestamp and an id: the usual newest-first order. */
  public static Map<String, Object> key(OffsetDateTime time, long id) {
    Map<String, Object> key = new LinkedHashMap<>();
    key.put("t", micros(time));
    key.put("id", id);
    return key;
  }

  public static long micros(OffsetDateTime time) {
    Instant instant = time.toInstant();
    return instant.getEpochSecond() * 1_000_000 + instant.getNano() / 1_000;
  }
}
