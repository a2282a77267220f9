package com.dedw3n.media.internal;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.EnumSet;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;

/**
 * The file formats media may have, each with its content type, its largest size, and how to tell it
 * from the first bytes of a file (its signature), and for images their width and height read from
 * the header. Only the first {@link #HEAD_BYTES} of an object are ever read.
 */
enum MediaFormat {
  JPEG("image/jpeg", 10L << 20),
  PNG("image/png", 10L << 20),
  WEBP("image/webp", 10L << 20),
  AVIF("image/avif", 10L << 20),
  MP4("video/mp4", 200L << 20),
  WEBM("video/webm", 200L << 20);

  static final Set<MediaFormat> IMAGES = EnumSet.of(JPEG, PNG, WEBP, AVIF);
  static final Set<MediaFormat> IMAGES_AND_VIDEOS = EnumSet.allOf(MediaFormat.class);

  /**
   * How much of an object is read to check its format and dimensions. A JPEG's dimensions come
   * after its metadata segments (Exif, ICC profile), which cameras keep under 64 KiB each; 256 KiB
   * leaves room for several.
   */
  static final int HEAD_BYTES = 256 * 1024;

  private final String contentType;
  private final long maxBytes;

  MediaFormat(String contentType, long maxBytes) {
    this.contentType = contentType;
    this.maxBytes = maxBytes;
  }

  String contentType() {
    return contentType;
  }

  long maxBytes() {
    return maxBytes;
  }

  boolean isVideo() {
    return this == MP4 || this == WEBM;
  }

  /** The format of a declared content type (case and parameters ignored), if it is one of ours. */
  static Optional<MediaFormat> ofContentType(String contentType) {
    String type = contentType.split(";", 2)[0].strip().toLowerCase(Locale.ROOT);
    for (MediaFormat format : values()) {
      if (format.contentType.equals(type)) {
        return Optional.of(format);
      }
    }
    return Optional.empty();
  }

  /** Width and height in pixels; null for videos, whose header this server does not parse. */
  record Sniffed(MediaFormat format, Integer width, Integer height) {}

  /**
   * What the first bytes of a file are: its format and, for an image, its dimensions. Empty when
   * they are none of these formats, or an image whose dimensions are not where its format puts
   * them.
   */
  static Optional<Sniffed> sniff(byte[] head) {
    ByteBuffer bytes = ByteBuffer.wrap(head).order(ByteOrder.BIG_ENDIAN);
    try {
      if (starts(head, 0xFF, 0xD8, 0xFF)) {
        return jpeg(bytes);
      }
      if (starts(head, 0x89, 'P', 'N', 'G', 0x0D, 0x0A, 0x1A, 0x0A)) {
        // IHDR is always the first chunk: length(4) "IHDR" width(4) height(4)
        if (head.length >= 24 && ascii(head, 12, 4).equals("IHDR")) {
          return image(PNG, bytes.getInt(16), bytes.getInt(20));
        }
        return Optional.empty();
      }
      if (head.length >= 12
          && ascii(head, 0, 4).equals("RIFF")
          && ascii(head, 8, 4).equals("WEBP")) {
        return webp(head);
      }
      if (starts(head, 0x1A, 0x45, 0xDF, 0xA3)) {
        // EBML header; its DocType element says "webm" (Matroska files say "matroska")
        return indexOf(head, "webm".getBytes(StandardCharsets.US_ASCII), 64) >= 0
            ? Optional.of(new Sniffed(WEBM, null, null))
            : Optional.empty();
      }
      if (head.length >= 16 && ascii(head, 4, 4).equals("ftyp")) {
        return isoMedia(head, bytes);
      }
    } catch (IndexOutOfBoundsException | java.nio.BufferUnderflowException truncated) {
      return Optional.empty();
    }
    return Optional.empty();
  }

  private static Optional<Sniffed> jpeg(ByteBuffer bytes) {
    int i = 2;
    int orientation = 1;
    while (i + 4 <= bytes.limit()) {
      if ((bytes.get(i) & 0xFF) != 0xFF) {
        return Optional.empty();
      }
      int marker = bytes.get(i + 1) & 0xFF;
      if (marker == 0xFF) { // fill byte
        i++;
        continue;
      }
      if (marker == 0xD8 || (marker >= 0xD0 && marker <= 0xD7) || marker == 0x01) {
        i += 2; // markers without a length
        continue;
      }
      int length = bytes.getShort(i + 2) & 0xFFFF;
      boolean startOfFrame =
          marker >= 0xC0 && marker <= 0xCF && marker != 0xC4 && marker != 0xC8 && marker != 0xCC;
      if (startOfFrame) {
        // length(2) precision(1) height(2) width(2)
        int width = bytes.getShort(i + 7) & 0xFFFF;
        int height = bytes.getShort(i + 5) & 0xFFFF;
        // a phone's portrait photo is stored landscape, with EXIF saying to turn it a quarter:
        // the dimensions are the ones it is shown with (orientations 5 to 8 swap them)
        return orientation >= 5 ? image(JPEG, height, width) : image(JPEG, width, height);
      }
      if (marker == 0xE1 && orientation == 1) {
        orientation = exifOrientation(bytes, i + 4, Math.min(i + 2 + length, bytes.limit()));
      }
      if (marker == 0xDA || length < 2) { // scan data before any frame header: broken
        return Optional.empty();
      }
      i += 2 + length;
    }
    return Optional.empty();
  }

  /**
   * The Orientation tag (1 to 8) of an APP1 segment holding EXIF, from {@code start} to {@code
   * end}; 1 (as stored) when it is not EXIF, has no such tag, or is cut short.
   */
  static int exifOrientation(ByteBuffer bytes, int start, int end) {
    try {
      if (end - start < 14 || !ascii(bytes.array(), start, 6).equals("Exif\0\0")) {
        return 1;
      }
      int tiff = start + 6;
      String order = ascii(bytes.array(), tiff, 2);
      if (!order.equals("II") && !order.equals("MM")) {
        return 1;
      }
      ByteBuffer b =
          bytes
              .duplicate()
              .order(order.equals("II") ? ByteOrder.LITTLE_ENDIAN : ByteOrder.BIG_ENDIAN);
      if ((b.getShort(tiff + 2) & 0xFFFF) != 42) {
        return 1;
      }
      int directory = tiff + b.getInt(tiff + 4);
      int entries = b.getShort(directory) & 0xFFFF;
      for (int k = 0; k < entries; k++) {
        int entry = directory + 2 + 12 * k; // tag(2) type(2) count(4) value(4)
        if (entry + 12 > end) {
          return 1;
        }
        if ((b.getShort(entry) & 0xFFFF) == 0x0112 && (b.getShort(entry + 2) & 0xFFFF) == 3) {
          int value = b.getShort(entry + 8) & 0xFFFF; // a SHORT sits first in the value field
          return value >= 1 && value <= 8 ? value : 1;
        }
      }
      return 1;
    } catch (IndexOutOfBoundsException e) {
      return 1; // cut short, or offsets pointing outside the bytes read
    }
  }

  private static Optional<Sniffed> webp(byte[] head) {
    ByteBuffer le = ByteBuffer.wrap(head).order(ByteOrder.LITTLE_ENDIAN);
    String chunk = ascii(head, 12, 4);
    switch (chunk) {
      case "VP8 " -> {
        // frame tag(3) start code 9D 01 2A, then 14-bit width and height
        if (!startsAt(head, 23, 0x9D, 0x01, 0x2A)) {
          return Optional.empty();
        }
        return image(WEBP, le.getShort(26) & 0x3FFF, le.getShort(28) & 0x3FFF);
      }
      case "VP8L" -> {
        if ((head[20] & 0xFF) != 0x2F) {
          return Optional.empty();
        }
        int bits = le.getInt(21);
        return image(WEBP, (bits & 0x3FFF) + 1, ((bits >>> 14) & 0x3FFF) + 1);
      }
      case "VP8X" -> {
        int width = (head[24] & 0xFF | (head[25] & 0xFF) << 8 | (head[26] & 0xFF) << 16) + 1;
        int height = (head[27] & 0xFF | (head[28] & 0xFF) << 8 | (head[29] & 0xFF) << 16) + 1;
        return image(WEBP, width, height);
      }
      default -> {
        return Optional.empty();
      }
    }
  }

  /** ISO base media files: MP4 video, or an AVIF image (brand avif/avis, dimensions in 'ispe'). */
  private static Optional<Sniffed> isoMedia(byte[] head, ByteBuffer bytes) {
    int boxSize = bytes.getInt(0);
    if (boxSize < 16 || boxSize > head.length) {
      return Optional.empty();
    }
    boolean avif = false;
    boolean mp4 = false;
    // major brand at 8, minor version at 12, compatible brands from 16 to the end of the box
    for (int i = 8; i + 4 <= boxSize; i += i == 8 ? 8 : 4) {
      String brand = ascii(head, i, 4);
      if (brand.equals("avif") || brand.equals("avis")) {
        avif = true;
      } else if (brand.startsWith("iso")
          || brand.startsWith("mp4")
          || brand.equals("avc1")
          || brand.equals("dash")
          || brand.equals("M4V ")) {
        mp4 = true;
      }
    }
    if (avif) {
      // 'ispe': size(4) type(4) version+flags(4) width(4) height(4)
      int ispe = indexOf(head, "ispe".getBytes(StandardCharsets.US_ASCII), head.length);
      if (ispe < 4 || ispe + 16 > head.length) {
        return Optional.empty();
      }
      int width = bytes.getInt(ispe + 8);
      int height = bytes.getInt(ispe + 12);
      // 'irot': size(4) type(4) angle(1, its low two bits, quarter turns): 'ispe' is the size
      // before the turn, the dimensions are the ones it is shown with
      int irot = indexOf(head, "irot".getBytes(StandardCharsets.US_ASCII), head.length);
      boolean quarter = irot >= 4 && irot + 4 < head.length && (head[irot + 4] & 1) == 1;
      return quarter ? image(AVIF, height, width) : image(AVIF, width, height);
    }
    return mp4 ? Optional.of(new Sniffed(MP4, null, null)) : Optional.empty();
  }

  private static Optional<Sniffed> image(MediaFormat format, int width, int height) {
    if (width <= 0 || height <= 0) {
      return Optional.empty();
    }
    return Optional.of(new Sniffed(format, width, height));
  }

  private static boolean starts(byte[] head, int... signature) {
    return startsAt(head, 0, signature);
  }

  private static boolean startsAt(byte[] head, int offset, int... signature) {
    if (head.length < offset + signature.length) {
      return false;
    }
    for (int i = 0; i < signature.length; i++) {
      if ((head[offset + i] & 0xFF) != signature[i]) {
        return false;
      }
    }
    return true;
  }

  private static String ascii(byte[] head, int offset, int length) {
    return new String(head, offset, length, StandardCharsets.ISO_8859_1);
  }

  private static int indexOf(byte[] head, byte[] needle, int within) {
    int end = Math.min(head.length, within) - needle.length;
    outer:
    for (int i = 0; i <= end; i++) {
      for (int j = 0; j < needle.length; j++) {
        if (head[i + j] != needle[j]) {
          continue outer;
        }
      }
      return i;
    }
    return -1;
  }
}
