package com.dedw3n.platform.graphql;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class GraphQlHttpSettingsTests {

  /**
   * A body timeout of zero would answer every POST 408 at once rather than switch the limit off:
   * the server refuses to start with it, naming the setting.
   */
  @Test
  void aBodyTimeoutThatIsNotPositiveIsRefusedAtStartup() {
    for (Duration refused : new Duration[] {Duration.ZERO, Duration.ofSeconds(-1)}) {
      assertThatThrownBy(() -> new GraphQlHttpSettings(262144, refused, 0, 0, 500, 2048))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("dedw3n.graphql.body-timeout");
    }
  }
}
