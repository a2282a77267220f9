package com.dedw3n.media.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The Cache-Control each object gets. The times are not the defaults, so a TTL that ignored its
 * setting (or took the other type's) would show.
 */
class CacheControlsTests {

  private final CacheControls controls =
      new CacheControls(Duration.ofSeconds(120), Duration.ofMinutes(50), Duration.ofSeconds(7));

  @Test
  void publicImagesAndVideosAreCachedForTheirOwnTimeToLive() {
    for (String image : new String[] {"image/jpeg", "image/png", "image/webp", "image/avif"}) {
      assertThat(controls.of(image, true)).as(image).isEqualTo("public, max-age=120");
    }
    assertThat(controls.of("video/mp4", true)).isEqualTo("public, max-age=3000");
    assertThat(controls.of("video/webm", true)).isEqualTo("public, max-age=3000");
    assertThat(controls.of("application/pdf", true)).isEqualTo("public, max-age=7");
  }

  /**
   * CACHE_TTL_IMAGES and CACHE_TTL_VIDEOS are whole seconds, appended with "s": "5m" reads as 5 ms,
   * and -1 as minus a second, each an object that no cache keeps, for life. The server refuses to
   * start, naming the variable.
   */
  @Test
  void aTimeToLiveUnderASecondStopsTheServerNamingTheVariable() {
    for (Duration wrong : List.of(Duration.ofMillis(5), Duration.ofSeconds(-1), Duration.ZERO)) {
      assertThatThrownBy(() -> new CacheControls(wrong, Duration.ofDays(7), Duration.ofHours(1)))
          .isInstanceOf(IllegalStateException.class)
          .hasMessageContaining("CACHE_TTL_IMAGES")
          .hasMessageContaining(wrong.toString());
      assertThatThrownBy(() -> new CacheControls(Duration.ofDays(1), wrong, Duration.ofHours(1)))
          .isInstanceOf(IllegalStateException.class)
          .hasMessageContaining("CACHE_TTL_VIDEOS");
    }
  }

  @Test
  void privateObjectsAreNeverCachedWhateverTheirType() {
    for (String type : new String[] {"image/png", "video/mp4", "application/pdf"}) {
      assertThat(controls.of(type, false)).as(type).isEqualTo("private, max-age=0, no-store");
    }
  }
}
