package com.dedw3n.media.internal;

import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import javax.imageio.ImageIO;

/** Small real files of each format, made on the spot (ImageIO for PNG and JPEG, headers else). */
final class TestImages {

  private TestImages() {}

  static byte[] png(int width, int height) {
    return imageIo("png", width, height, BufferedImage.TYPE_INT_ARGB);
  }

  static byte[] jpeg(int width, int height) {
    return imageIo("jpg", width, height, BufferedImage.TYPE_INT_RGB);
  }

  /** An extended WebP (VP8X) header: canvas width and height minus one, 24 bits each. */
  static byte[] webp(int width, int height) {
    ByteBuffer b = ByteBuffer.allocate(40).order(ByteOrder.LITTLE_ENDIAN);
    b.put("RIFF".getBytes(StandardCharsets.US_ASCII)).putInt(32);
    b.put("WEBPVP8X".getBytes(StandardCharsets.US_ASCII)).putInt(10).putInt(0);
    put24(b, width - 1);
    put24(b, height - 1);
    return b.array();
  }

  /** An AVIF's leading boxes: ftyp (brand avif) and an 'ispe' property with its dimensions. */
  static byte[] avif(int width, int height) {
    ByteBuffer b = ByteBuffer.allocate(64);
    b.putInt(24).put("ftypavif".getBytes(StandardCharsets.US_ASCII)).putInt(0);
    b.put("avifmif1".getBytes(StandardCharsets.US_ASCII));
    b.putInt(20)
        .put("ispe".getBytes(StandardCharsets.US_ASCII))
        .putInt(0)
        .putInt(width)
        .putInt(height);
    return b.array();
  }

  /** The start of an MP4: an ftyp box of brand isom. */
  static byte[] mp4() {
    ByteBuffer b = ByteBuffer.allocate(64);
    b.putInt(24).put("ftypisom".getBytes(StandardCharsets.US_ASCII)).putInt(512);
    b.put("isomavc1".getBytes(StandardCharsets.US_ASCII));
    b.putInt(8).put("free".getBytes(StandardCharsets.US_ASCII));
    return b.array();
  }

  /** The start of a WebM: the EBML header with DocType "webm". */
  static byte[] webm() {
    return new byte[] {
      0x1A,
      0x45,
      (byte) 0xDF,
      (byte) 0xA3,
      (byte) 0x9F,
      0x42,
      (byte) 0x86,
      (byte) 0x81,
      0x01,
      0x42,
      (byte) 0x82,
      (byte) 0x84,
      'w',
      'e',
      'b',
      'm',
      0x42,
      (byte) 0x87,
      (byte) 0x81,
      0x04
    };
  }

  private static void put24(ByteBuffer b, int value) {
    b.put((byte) value).put((byte) (value >> 8)).put((byte) (value >> 16));
  }

  private static byte[] imageIo(String format, int width, int height, int type) {
    var image = new BufferedImage(width, height, type);
    image.setRGB(0, 0, 0xFF336699);
    var out = new ByteArrayOutputStream();
    try {
      if (!ImageIO.write(image, format, out)) {
        throw new IllegalStateException("No ImageIO writer for " + format);
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out.toByteArray();
  }
}
