package com.dedw3n;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The leak check every test class runs ({@link BufferLeaks}) finds a buffer never released. */
class BufferLeaksTests {

  @Test
  void aBufferCollectedWithoutReleaseIsReportedWithWhereItWasTouched() throws Exception {
    assertThat(BufferLeaks.collected()).as("leaks of the classes before this one").isEmpty();

    leakOneBuffer();

    // the reference handler enqueues the collected buffer's tracker on a thread of its own
    List<String> leaks = new ArrayList<>();
    for (int attempt = 0; attempt < 50 && leaks.isEmpty(); attempt++) {
      leaks.addAll(BufferLeaks.collected());
    }
    assertThat(leaks)
        .singleElement()
        .asString()
        .contains("ByteBuf.release() was not called")
        .contains("leakOneBuffer"); // paranoid: where it was allocated and touched
  }

  /** A direct buffer from Netty's default allocator, written to and dropped without release(). */
  private static void leakOneBuffer() {
    ByteBuf buffer = ByteBufAllocator.DEFAULT.directBuffer(16);
    buffer.writeInt(42);
    buffer.touch("dropped by BufferLeaksTests");
  }
}
