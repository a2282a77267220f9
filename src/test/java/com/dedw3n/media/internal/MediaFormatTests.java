package com.dedw3n.media.internal;

import static org.assertj.core.api.Assertions.assertThat;

import com.dedw3n.media.internal.MediaFormat.Sniffed;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

/** The formats are told from their first bytes, and images' dimensions read from their headers. */
class MediaFormatTests {

  @Test
  void readsTheFormatAndDimensionsOfEachImageType() {
    assertThat(MediaFormat.sniff(TestImages.png(31, 17)))
        .contains(new Sniffed(MediaFormat.PNG, 31, 17));
    assertThat(MediaFormat.sniff(TestImages.jpeg(40, 25)))
        .contains(new Sniffed(MediaFormat.JPEG, 40, 25));
    assertThat(MediaFormat.sniff(TestImages.webp(640, 480)))
        .contains(new Sniffed(MediaFormat.WEBP, 640, 480));
    assertThat(MediaFormat.sniff(TestImages.avif(1920, 1080)))
        .contains(new Sniffed(MediaFormat.AVIF, 1920, 1080));
  }

  @Test
  void tellsVideosApart() {
    assertThat(MediaFormat.sniff(TestImages.mp4()))
        .contains(new Sniffed(MediaFormat.MP4, null, null));
    assertThat(MediaFormat.sniff(TestImages.webm()))
        .contains(new Sniffed(MediaFormat.WEBM, null, null));
  }

  @Test
  void refusesWhatIsNoneOfTheFormatsOrIsCutShort() {
    assertThat(
            MediaFormat.sniff(
                "<svg xmlns='http://www.w3.org/2000/svg'/>".getBytes(StandardCharsets.UTF_8)))
        .isEmpty();
    assertThat(
            MediaFormat.sniff(
                "GIF89a\u0001\u0000\u0001\u0000".getBytes(StandardCharsets.ISO_8859_1)))
        .isEmpty();
    assertThat(MediaFormat.sniff(new byte[0])).isEmpty();
    byte[] png = TestImages.png(10, 10);
    assertThat(MediaFormat.sniff(Arrays.copyOf(png, 12))).isEmpty();
    byte[] jpeg = TestImages.jpeg(10, 10);
    assertThat(MediaFormat.sniff(Arrays.copyOf(jpeg, 6))).isEmpty();
  }

  @Test
  void matchesDeclaredContentTypesOnly() {
    assertThat(MediaFormat.ofContentType("IMAGE/PNG")).contains(MediaFormat.PNG);
    assertThat(MediaFormat.ofContentType("image/jpeg; charset=binary")).contains(MediaFormat.JPEG);
    assertThat(MediaFormat.ofContentType("image/gif")).isEmpty();
    assertThat(MediaFormat.ofContentType("image/svg+xml")).isEmpty();
  }
}
