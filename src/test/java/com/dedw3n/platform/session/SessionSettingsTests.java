package com.dedw3n.platform.session;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.boot.context.properties.source.MapConfigurationPropertySource;

/** The session settings as the deployment contract's variables set them. */
class SessionSettingsTests {

  /** A bare number is seconds, as in CACHE_TTL_*; with a unit it is what the unit says. */
  @Test
  void aBareNumberIsSeconds() {
    SessionSettings settings =
        bind(
            Map.of(
                "dedw3n.session.touch-after", "7200",
                "dedw3n.session.idle-timeout", "2592000",
                "dedw3n.session.absolute-timeout", "90d"));
    assertThat(settings.touchAfter()).isEqualTo(Duration.ofHours(2));
    assertThat(settings.idleTimeout()).isEqualTo(Duration.ofDays(30));
    assertThat(settings.absoluteTimeout()).isEqualTo(Duration.ofDays(90));
    assertThat(bind(Map.of()).touchAfter()).isEqualTo(Duration.ofHours(2));
  }

  private static SessionSettings bind(Map<String, String> properties) {
    return new Binder(new MapConfigurationPropertySource(properties))
        .bindOrCreate("dedw3n.session", SessionSettings.class);
  }
}
