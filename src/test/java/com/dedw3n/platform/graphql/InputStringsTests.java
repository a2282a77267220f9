package com.dedw3n.platform.graphql;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class InputStringsTests {

  @Test
  void ordinaryTextIncludingSurrogatePairsIsFine() {
    assertThat(InputStrings.problem("plain, accentué, 漢字, 😀")).isNull();
    assertThat(InputStrings.problemIn(Map.of("a", List.of("x", Map.of("b", "😀"))))).isNull();
    assertThat(InputStrings.problemIn(null)).isNull();
  }

  @Test
  void aNulOrHalfASurrogatePairIsNamedWithItsPath() {
    assertThat(InputStrings.problem("a\0b")).contains("NUL");
    assertThat(InputStrings.problem("\ud800")).contains("surrogate");
    assertThat(InputStrings.problem("x\udc00y")).contains("surrogate");
    assertThat(InputStrings.problem("\ud83d")).contains("surrogate");
    assertThat(InputStrings.problemIn(Map.of("input", Map.of("items", List.of("ok", "b\0d")))))
        .contains("$input.items[1]")
        .contains("NUL");
  }
}
