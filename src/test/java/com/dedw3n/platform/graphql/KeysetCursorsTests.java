package com.dedw3n.platform.graphql;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.entry;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.Base64;
import java.util.Map;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.Test;
import org.springframework.data.domain.KeysetScrollPosition;
import org.springframework.data.domain.ScrollPosition;

/**
 * Clients hand back the cursors of {@link KeysetCursors} untouched to get the next page: a cursor
 * decodes to exactly the position it was made from (timestamps to the microsecond), shows nothing a
 * client could parse or build on, and whatever is not a cursor of ours is a BAD_REQUEST telling the
 * client what to do, never a server error.
 */
class KeysetCursorsTests {

  private static final String MALFORMED =
      "Malformed cursor: pass a cursor exactly as the API returned it.";

  private final KeysetCursors cursors = new KeysetCursors();

  @Test
  void aCursorDecodesToExactlyThePositionItWasMadeFrom() {
    OffsetDateTime time =
        OffsetDateTime.ofInstant(
            Instant.ofEpochSecond(1_732_780_000L, 123_456_000), ZoneOffset.UTC);
    ScrollPosition position = ScrollPosition.forward(Page.key(time, 42));

    String cursor = cursors.toCursor(position);

    assertThat(cursors.fromCursor(cursor)).isEqualTo(position);
    assertThat(KeysetCursors.decode(cursor))
        .containsExactly(entry("t", 1_732_780_000_123_456L), entry("id", 42L));
  }

  @Test
  void extremeAndNegativeIntegersRoundTrip() {
    for (long value : new long[] {0, -1, Long.MIN_VALUE, Long.MAX_VALUE, -1_000_000_000_000L}) {
      ScrollPosition position = ScrollPosition.forward(Map.of("k", value));
      assertThat(cursors.fromCursor(cursors.toCursor(position))).isEqualTo(position);
    }
  }

  @Test
  void integerKeysOfAnyWidthComeBackAsLongs() {
    String cursor = cursors.toCursor(ScrollPosition.forward(Map.of("seq", 7)));
    assertThat(KeysetCursors.read(cursor, "seq")).isEqualTo(7L);
  }

  @Test
  void aCursorIsUrlSafeTextWithNothingReadableInIt() {
    String cursor = cursors.toCursor(ScrollPosition.forward(Map.of("id", 42L)));
    assertThat(cursor).matches("[A-Za-z0-9_-]+").doesNotContain("id").doesNotContain("42");
  }

  @Test
  void aOneKeyCursorReadsBackItsValueAndOnlyUnderItsOwnKey() {
    String cursor = KeysetCursors.of("seq", 17);
    assertThat(KeysetCursors.read(cursor, "seq")).isEqualTo(17L);
    assertBadRequest(
        () -> KeysetCursors.read(cursor, "inbox"), "The cursor does not belong to this list.");
  }

  @Test
  void textThatIsNotACursorOfOursIsABadRequest() {
    for (String cursor :
        new String[] {
          "",
          "not a cursor!",
          "ab+/", // standard base64, not the URL-safe alphabet
          base64("t:abc"),
          base64("t1"),
          base64(",t:1"),
          base64("t:99999999999999999999"),
          base64("{\"id\":42}"),
          new String(new char[] {'\ud800'})
        }) {
      assertBadRequest(() -> cursors.fromCursor(cursor), MALFORMED);
      assertBadRequest(() -> KeysetCursors.read(cursor, "t"), MALFORMED);
    }
    assertBadRequest(() -> cursors.fromCursor(null), MALFORMED);
  }

  @Test
  void aWellFormedCursorOfAnotherListIsABadRequestWhereItIsRead() {
    // graphql-java's own array connection cursor ("arrayconnection:0"): well formed, wrong key
    String foreign = "YXJyYXljb25uZWN0aW9uOjA=";
    assertBadRequest(
        () -> KeysetCursors.read(foreign, "seq"), "The cursor does not belong to this list.");
  }

  @Test
  void keysetPositionsAreSupportedAndOnlyTheyHaveCursors() {
    assertThat(cursors.supports(ScrollPosition.class)).isTrue();
    assertThat(cursors.supports(KeysetScrollPosition.class)).isTrue();
    assertThat(cursors.supports(String.class)).isFalse();
    assertThatThrownBy(() -> cursors.toCursor(ScrollPosition.offset(5)))
        .isInstanceOf(IllegalArgumentException.class);
  }

  static String base64(String text) {
    return Base64.getUrlEncoder()
        .withoutPadding()
        .encodeToString(text.getBytes(StandardCharsets.UTF_8));
  }

  static void assertBadRequest(ThrowingCallable call, String message) {
    assertThatThrownBy(call)
        .isInstanceOfSatisfying(
            ApiException.class, e -> assertThat(e.kind()).isEqualTo(ErrorKind.BAD_REQUEST))
        .hasMessage(message);
  }
}
