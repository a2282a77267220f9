package com.dedw3n.platform.session;

import java.nio.charset.StandardCharsets;
import org.jspecify.annotations.Nullable;
import org.springframework.data.redis.serializer.RedisSerializer;
import org.springframework.data.redis.serializer.SerializationException;

/**
 * How the values of a session record are written in Redis: numbers as tagged text ({@code L}
 * followed by the digits of a Long, {@code I} of an Integer), anything else in Java serialisation.
 * Every value of our records is a number (the user, the sign-in time, Spring Session's times and
 * interval), so a request reads them with a plain parse instead of an ObjectInputStream, and they
 * are readable in {@code redis-cli}. Records written in Java serialisation, before this format,
 * stay readable: such a value starts with the stream's magic bytes (0xAC 0xED), which no tag does.
 */
final class SessionValues implements RedisSerializer<Object> {

  static final SessionValues INSTANCE = new SessionValues();

  private static final byte LONG = 'L';
  private static final byte INTEGER = 'I';
  private static final RedisSerializer<Object> java = RedisSerializer.java();

  private SessionValues() {}

  @Override
  public byte @Nullable [] serialize(@Nullable Object value) throws SerializationException {
    if (value instanceof Long number) {
      return tagged(LONG, number);
    }
    if (value instanceof Integer number) {
      return tagged(INTEGER, number);
    }
    return java.serialize(value);
  }

  @Override
  public @Nullable Object deserialize(byte @Nullable [] bytes) throws SerializationException {
    if (bytes == null || bytes.length == 0) {
      return null;
    }
    try {
      return switch (bytes[0]) {
        case LONG -> Long.parseLong(digits(bytes));
        case INTEGER -> Integer.parseInt(digits(bytes));
        default -> java.deserialize(bytes);
      };
    } catch (NumberFormatException e) {
      throw new SerializationException("A session value that is not a number: " + digits(bytes), e);
    }
  }

  private static byte[] tagged(byte tag, Number number) {
    byte[] digits = number.toString().getBytes(StandardCharsets.US_ASCII);
    byte[] bytes = new byte[digits.length + 1];
    bytes[0] = tag;
    System.arraycopy(digits, 0, bytes, 1, digits.length);
    return bytes;
  }

  private static String digits(byte[] bytes) {
    return new String(bytes, 1, bytes.length - 1, StandardCharsets.US_ASCII);
  }
}
