package com.dedw3n.media.internal;

import static org.assertj.core.api.Assertions.assertThat;

import com.dedw3n.media.internal.MediaFormat.Sniffed;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
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

  /**
   * A phone stores a portrait photo as a landscape frame with EXIF Orientation 6 (or 8): its
   * dimensions are the ones it is shown with, as browsers and the mobile SDKs show it.
   */
  @Test
  void aJpegTurnedByItsExifOrientationHasTheDimensionsItIsShownWith() {
    byte[] landscape = TestImages.jpeg(4, 2);
    assertThat(MediaFormat.sniff(withExif(landscape, 6, false)))
        .contains(new Sniffed(MediaFormat.JPEG, 2, 4));
    assertThat(MediaFormat.sniff(withExif(landscape, 8, true)))
        .contains(new Sniffed(MediaFormat.JPEG, 2, 4));
    // upside down (3) or mirrored (2): the same dimensions
    assertThat(MediaFormat.sniff(withExif(landscape, 3, false)))
        .contains(new Sniffed(MediaFormat.JPEG, 4, 2));
    // an EXIF directory outside its segment is read as no orientation, not as a broken image
    byte[] astray = withExif(landscape, 6, false);
    ByteBuffer.wrap(astray).putInt(16, 1000); // the TIFF header's offset of its first directory
    assertThat(MediaFormat.sniff(astray)).contains(new Sniffed(MediaFormat.JPEG, 4, 2));
  }

  @Test
  void anAvifTurnedAQuarterHasTheDimensionsItIsShownWith() {
    byte[] avif = TestImages.avif(1920, 1080);
    ByteBuffer.wrap(avif, 44, 9)
        .putInt(9)
        .put("irot".getBytes(StandardCharsets.US_ASCII))
        .put((byte) 1);
    assertThat(MediaFormat.sniff(avif)).contains(new Sniffed(MediaFormat.AVIF, 1080, 1920));
  }

  /** The JPEG with an APP1 EXIF segment right after its SOI marker, holding one Orientation. */
  private static byte[] withExif(byte[] jpeg, int orientation, boolean littleEndian) {
    ByteBuffer tiff =
        ByteBuffer.allocate(26)
            .order(littleEndian ? ByteOrder.LITTLE_ENDIAN : ByteOrder.BIG_ENDIAN);
    tiff.put((byte) (littleEndian ? 'I' : 'M')).put((byte) (littleEndian ? 'I' : 'M'));
    tiff.putShort((short) 42).putInt(8); // the first directory right after this header
    tiff.putShort((short) 1); // one entry: Orientation, SHORT, 1 value
    tiff.putShort((short) 0x0112).putShort((short) 3).putInt(1);
    tiff.putShort((short) orientation).putShort((short) 0);
    tiff.putInt(0); // no next directory
    byte[] exif = "Exif\0\0".getBytes(StandardCharsets.ISO_8859_1);
    int length = 2 + exif.length + tiff.capacity();
    ByteBuffer out = ByteBuffer.allocate(jpeg.length + 2 + length);
    out.put(jpeg, 0, 2); // SOI
    out.put((byte) 0xFF).put((byte) 0xE1).putShort((short) length).put(exif).put(tiff.array());
    out.put(jpeg, 2, jpeg.length - 2);
    return out.array();
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
