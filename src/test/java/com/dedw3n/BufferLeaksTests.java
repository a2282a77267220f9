package com.dedw3n;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The leak check every test class runs ({@link BufferLeaks}) finds a buffer never released, and
 * lets through only the known leak of the database driver.
 */
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

  @Test
  void onlyTheDriversUnwrittenBindIsLetThrough() {
    String close =
        "\tio.r2dbc.postgresql.ExtendedFlowDelegate$ExtendedFlowOperator.close("
            + "ExtendedFlowDelegate.java:338)\n";
    String send =
        "\tio.r2dbc.postgresql.client.ReactorNettyClient.send(ReactorNettyClient.java:1)\n";
    String byCodec =
        "Created at:\n"
            + "\tio.netty.buffer.AbstractByteBufAllocator.buffer(AbstractByteBufAllocator.java:96)\n"
            + "\tio.r2dbc.postgresql.codec.AbstractNumericCodec.doEncodeNumber("
            + "AbstractNumericCodec.java:106)\n";
    String bySocket =
        "Created at:\n"
            + "\tio.netty.channel.epoll.EpollRecvByteAllocatorHandle.allocate("
            + "EpollRecvByteAllocatorHandle.java:56)\n";

    assertThat(BufferLeaks.isDriversUnwrittenBind("#1:\n" + close + "#2:\n" + send + byCodec))
        .as("a parameter closed last by the exchange")
        .isTrue();
    assertThat(BufferLeaks.isDriversUnwrittenBind("#1:\n" + send + "#2:\n" + close + byCodec))
        .as("a parameter touched by something else after the exchange's close")
        .isFalse();
    assertThat(BufferLeaks.isDriversUnwrittenBind("#1:\n" + close + bySocket))
        .as("a buffer the driver did not encode")
        .isFalse();
    assertThat(BufferLeaks.isDriversUnwrittenBind(byCodec)).as("no history").isFalse();
  }

  /** A direct buffer from Netty's default allocator, written to and dropped without release(). */
  private static void leakOneBuffer() {
    ByteBuf buffer = ByteBufAllocator.DEFAULT.directBuffer(16);
    buffer.writeInt(42);
    buffer.touch("dropped by BufferLeaksTests");
  }
}
