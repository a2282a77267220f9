package com.dedw3n.platform.graphql;

import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;
import org.springframework.data.domain.KeysetScrollPosition;
import org.springframework.data.domain.ScrollPosition;
import org.springframework.graphql.data.pagination.CursorStrategy;

/**
 * Opaque cursors for keyset positions whose keys are all integers (timestamps travel as epoch
 * microseconds, PostgreSQL's own precision, so a cursor round-trips exactly). The text is {@code
 * base64url("t:1732780000000000,id:42")}: short, and with nothing for a client to parse.
 */
public class KeysetCursors implements CursorStrategy<ScrollPosition> {

  private static final Base64.Encoder ENCODER = Base64.getUrlEncoder().withoutPadding();
  private static final Base64.Decoder DECODER = Base64.getUrlDecoder();

  @Override
  public boolean supports(Class<?> targetType) {
    return ScrollPosition.class.isAssignableFrom(targetType);
  }

  @Override
  public String toCursor(ScrollPosition position) {
    if (!(position instanceof KeysetScrollPosition keyset)) {
      throw new IllegalArgumentException("Only keyset positions have cursors here");
    }
    StringBuilder text = new StringBuilder();
    keyset
        .getKeys()
        .forEach(
            (key, value) ->
                text.append(text.isEmpty() ? "" : ",").append(key).append(':').append(value));
    return ENCODER.encodeToString(text.toString().getBytes(StandardCharsets.UTF_8));
  }

  @Override
  public ScrollPosition fromCursor(String cursor) {
    return ScrollPosition.forward(decode(cursor));
  }

  /** The cursor of a position with one integer key, e.g. a message's {@code seq}. */
  public static String of(String key, long value) {
    return new KeysetCursors().toCursor(ScrollPosition.forward(Map.of(key, value)));
  }

  /** The integer under {@code key} in a cursor; a BAD_REQUEST when it is malformed or lacks it. */
  public static long read(String cursor, String key) {
    Object value = decode(cursor).get(key);
    if (value instanceof Long l) {
      return l;
    }
    throw notOfThisList();
  }

  /** A well-formed cursor of another list (its keys or values are not this list's). */
  static ApiException notOfThisList() {
    return ApiException.badRequest("The cursor does not belong to this list.");
  }

  static Map<String, Object> decode(String cursor) {
    try {
      String text = new String(DECODER.decode(cursor), StandardCharsets.UTF_8);
      Map<String, Object> keys = new LinkedHashMap<>();
      for (String pair : text.split(",")) {
        int colon = pair.indexOf(':');
        keys.put(pair.substring(0, colon), Long.parseLong(pair.substring(colon + 1)));
      }
      return keys;
    } catch (RuntimeException e) {
      throw ApiException.badRequest(
          "Malformed cursor: pass a cursor exactly as the API returned it.");
    }
  }
}
