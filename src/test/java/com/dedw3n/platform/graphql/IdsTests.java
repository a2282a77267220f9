package com.dedw3n.platform.graphql;

import static com.dedw3n.platform.graphql.KeysetCursorsTests.assertBadRequest;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Every {@code ID} of this API (products, orders, users, posts, conversations, matches, quotes) is
 * its row id written in decimal, and clients pass back what they were given. What they rely on: the
 * ids the API writes parse back to the same row, and anything else is a BAD_REQUEST naming the
 * argument and quoting the value, so a typo reads as a typo rather than as NOT_FOUND (or as some
 * other row).
 */
class IdsTests {

  @Test
  void theDecimalIdsTheApiWritesParseBackToTheirRows() {
    for (long id : new long[] {1, 42, 1_000_000, 999_999_999_999_999_999L}) {
      assertThat(Ids.parse("id", Long.toString(id))).isEqualTo(id);
    }
  }

  @Test
  void anythingButAPositiveDecimalIdIsABadRequestNamingTheArgument() {
    for (String id :
        Arrays.asList(
            null,
            "",
            "0",
            "000",
            "-1",
            "+1",
            " 1",
            "1 ",
            "1.0",
            "1e3",
            "0x1F",
            "abc",
            "12a",
            "1234567890123456789", // 19 digits
            "9223372036854775808", // beyond a long
            "99999999999999999999999999999")) {
      assertBadRequest(
          () -> Ids.parse("productId", id), "productId is not a valid id: '" + id + "'");
    }
  }

  @Test
  void digitsOfOtherScriptsAreNotIds() {
    // Arabic-Indic, Devanagari and fullwidth digits: Java reads them as 12, but they are no
    // spelling of an id this API ever wrote
    for (String id : List.of("\u0661\u0662", "\u0967\u0968", "\uff11\uff12", "1\u0662")) {
      assertBadRequest(() -> Ids.parse("id", id), "id is not a valid id: '" + id + "'");
    }
  }

  @Test
  void aListOfIdsParsesInOrderWithItsDuplicates() {
    assertThat(Ids.parseAll("id", List.of("3", "1", "3"))).containsExactly(3L, 1L, 3L);
    assertThat(Ids.parseAll("id", List.of())).isEmpty();
  }

  @Test
  void oneBadIdInAListFailsTheListNamingTheArgumentAndTheValue() {
    assertBadRequest(
        () -> Ids.parseAll("participantIds", List.of("1", "two", "3")),
        "participantIds is not a valid id: 'two'");
    assertBadRequest(
        () -> Ids.parseAll("id", Arrays.asList("1", null)), "id is not a valid id: 'null'");
  }
}
