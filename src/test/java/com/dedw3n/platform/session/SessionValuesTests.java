package com.dedw3n.platform.session;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import org.junit.jupiter.api.Test;
import org.springframework.data.redis.serializer.RedisSerializer;
import org.springframework.data.redis.serializer.SerializationException;

class SessionValuesTests {

  private final SessionValues values = SessionValues.INSTANCE;

  @Test
  void numbersAreWrittenAsTaggedTextAndReadBackWithTheirType() {
    assertThat(text(values.serialize(1764620000123L))).isEqualTo("L1764620000123");
    assertThat(text(values.serialize(2592000))).isEqualTo("I2592000");
    assertThat(values.deserialize(values.serialize(-7L))).isEqualTo(-7L);
    assertThat(values.deserialize(values.serialize(Integer.MAX_VALUE)))
        .isEqualTo(Integer.MAX_VALUE);
  }

  @Test
  void recordsWrittenInJavaSerialisationBeforeStayReadable() {
    RedisSerializer<Object> java = RedisSerializer.java();
    assertThat(values.deserialize(java.serialize(42L))).isEqualTo(42L);
    assertThat(values.deserialize(java.serialize(1800))).isEqualTo(1800);
  }

  @Test
  void otherValuesStillGoThroughJavaSerialisation() {
    Instant now = Instant.parse("2026-12-01T10:00:00Z");
    byte[] written = values.serialize(now);
    assertThat(written[0]).isEqualTo((byte) 0xAC);
    assertThat(values.deserialize(written)).isEqualTo(now);
  }

  @Test
  void aDamagedNumberIsAnErrorNotAnotherValue() {
    assertThatThrownBy(() -> values.deserialize("L12x".getBytes(StandardCharsets.US_ASCII)))
        .isInstanceOf(SerializationException.class);
    assertThat(values.deserialize(null)).isNull();
  }

  private static String text(byte[] bytes) {
    return new String(bytes, StandardCharsets.US_ASCII);
  }
}
