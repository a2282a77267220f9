package com.dedw3n.platform.graphql;

import static org.assertj.core.api.Assertions.assertThat;

import com.dedw3n.ApiTests;
import io.netty.buffer.PooledByteBufAllocator;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Function;
import org.junit.jupiter.api.Test;
import org.reactivestreams.Publisher;
import org.reactivestreams.Subscription;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.core.io.buffer.DataBuffer;
import org.springframework.core.io.buffer.DataBufferFactory;
import org.springframework.core.io.buffer.DataBufferUtils;
import org.springframework.core.io.buffer.NettyDataBuffer;
import org.springframework.core.io.buffer.NettyDataBufferFactory;
import org.springframework.graphql.server.webflux.GraphQlWebSocketHandler;
import org.springframework.http.HttpHeaders;
import org.springframework.util.LinkedMultiValueMap;
import org.springframework.web.reactive.socket.CloseStatus;
import org.springframework.web.reactive.socket.HandshakeInfo;
import org.springframework.web.reactive.socket.WebSocketMessage;
import org.springframework.web.reactive.socket.WebSocketSession;
import reactor.core.publisher.BaseSubscriber;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import tools.jackson.databind.json.JsonMapper;

/**
 * The server's own GraphQL WebSocket handler, over a socket whose peer stops reading and then goes
 * away: what it had encoded and not sent is given back to Netty's pool, and what came in is left to
 * its owner ({@link ProtocolCheckedSession}).
 */
class ProtocolCheckedSessionTests extends ApiTests {

  @Autowired GraphQlWebSocketHandler handler;
  @Autowired JsonMapper json;

  /**
   * The connection_ack goes out; the answer to the operation and its {@code complete} wait in the
   * handler, which merges every operation's messages, until the socket closes and they are
   * discarded. Before the release hook those two buffers stayed allocated (spring-graphql's own
   * hook, gh-1293, sits inside each operation's flux, upstream of that merge), and CI's leak check
   * caught one of them. An incoming message discarded on its way in, as Reactor Netty drops frames
   * still unread when a socket closes, is Reactor Netty's to release and keeps its reference.
   */
  @Test
  void messagesEncodedButNeverSentAreReleasedWhenTheSocketCloses() {
    var socket = new StalledSocket();
    WebSocketMessage unread = socket.incoming("{\"type\":\"ping\"}");
    socket.receive =
        Flux.just(
                socket.incoming("{\"type\":\"connection_init\"}"),
                socket.incoming(
                    "{\"id\":\"1\",\"type\":\"subscribe\",\"payload\":{\"query\":\"{ __typename"
                        + " }\"}}"),
                unread)
            .filter(message -> message != unread)
            .concatWith(Flux.never());

    handler.handle(new ProtocolCheckedSession(socket, json)).subscribe();
    awaitEncoded(socket, 3);

    socket.peer.cancel(); // the socket closed

    assertThat(socket.sent).as("the connection_ack, and nothing after it").hasSize(1);
    List<DataBuffer> unsent = socket.encoded.stream().skip(1).toList();
    assertThat(unsent)
        .as("the answer and its complete, encoded and never sent")
        .hasSize(2)
        .allSatisfy(
            buffer ->
                assertThat(((NettyDataBuffer) buffer).getNativeBuffer().refCnt())
                    .as("references left")
                    .isZero());
    assertThat(((NettyDataBuffer) unread.getPayload()).getNativeBuffer().refCnt())
        .as("the unread incoming message's references")
        .isEqualTo(1);
    // what Reactor Netty does with each incoming frame once the handler is done with it
    socket.received.forEach(message -> DataBufferUtils.release(message.getPayload()));
  }

  /**
   * A ping whose payload is not an object passes the protocol check, and spring-graphql's handler
   * fails on it (a cast) and discards the frame: Reactor Netty, which owns the frame, releases it
   * once the handler returns, so the release hook must leave it alone, or the buffer is released
   * twice (and may by then be another's).
   */
  @Test
  void anIncomingFrameTheHandlerFailsOnIsLeftToItsOwner() {
    var socket = new StalledSocket();
    WebSocketMessage ping = socket.incoming("{\"type\":\"ping\",\"payload\":1}");
    socket.receive =
        Flux.just(socket.incoming("{\"type\":\"connection_init\"}"), ping).concatWith(Flux.never());

    handler.handle(new ProtocolCheckedSession(socket, json)).subscribe(null, error -> {});
    long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
    while (!socket.peer.isDisposed()) {
      assertThat(System.nanoTime()).as("the handler fails").isLessThan(deadline);
      Thread.onSpinWait();
    }

    assertThat(((NettyDataBuffer) ping.getPayload()).getNativeBuffer().refCnt())
        .as("the failed frame's references")
        .isEqualTo(1);
    socket.received.forEach(message -> DataBufferUtils.release(message.getPayload()));
  }

  private static void awaitEncoded(StalledSocket socket, int messages) {
    long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
    while (socket.encoded.size() < messages && System.nanoTime() < deadline) {
      Thread.onSpinWait();
    }
    assertThat(socket.encoded).as("messages encoded").hasSizeGreaterThanOrEqualTo(messages);
  }

  /**
   * A WebSocket whose peer took one message (the connection_ack) and reads nothing more, as a
   * client whose connection stalled. Its buffer factory records every buffer the handler encodes
   * into; a message it sends is written and released, as Reactor Netty does, and the incoming ones
   * are released at the end of the test.
   */
  private static final class StalledSocket implements WebSocketSession {

    final List<DataBuffer> encoded = new CopyOnWriteArrayList<>();
    final List<WebSocketMessage> sent = new CopyOnWriteArrayList<>();
    final List<WebSocketMessage> received = new CopyOnWriteArrayList<>();
    final NettyDataBufferFactory buffers =
        new NettyDataBufferFactory(PooledByteBufAllocator.DEFAULT) {
          @Override
          public NettyDataBuffer allocateBuffer() {
            return recorded(super.allocateBuffer());
          }

          @Override
          public NettyDataBuffer allocateBuffer(int initialCapacity) {
            return recorded(super.allocateBuffer(initialCapacity));
          }

          private NettyDataBuffer recorded(NettyDataBuffer buffer) {
            encoded.add(buffer);
            return buffer;
          }
        };
    final BaseSubscriber<WebSocketMessage> peer =
        new BaseSubscriber<>() {
          @Override
          protected void hookOnSubscribe(Subscription subscription) {
            request(1);
          }

          @Override
          protected void hookOnNext(WebSocketMessage message) {
            sent.add(message);
            DataBufferUtils.release(message.getPayload());
          }
        };
    final Map<String, Object> attributes = new ConcurrentHashMap<>();
    Flux<WebSocketMessage> receive = Flux.never();

    WebSocketMessage incoming(String text) {
      byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
      NettyDataBuffer payload =
          new NettyDataBufferFactory(PooledByteBufAllocator.DEFAULT).allocateBuffer(bytes.length);
      payload.write(bytes);
      WebSocketMessage message = new WebSocketMessage(WebSocketMessage.Type.TEXT, payload);
      received.add(message);
      return message;
    }

    @Override
    public String getId() {
      return "stalled";
    }

    @Override
    public HandshakeInfo getHandshakeInfo() {
      return new HandshakeInfo(
          URI.create("ws://localhost/graphql"),
          new HttpHeaders(),
          new LinkedMultiValueMap<>(),
          Mono.empty(),
          "graphql-transport-ws",
          new InetSocketAddress("127.0.0.1", 40000),
          Map.of(),
          null);
    }

    @Override
    public DataBufferFactory bufferFactory() {
      return buffers;
    }

    @Override
    public Map<String, Object> getAttributes() {
      return attributes;
    }

    @Override
    public Flux<WebSocketMessage> receive() {
      return receive;
    }

    @Override
    public Mono<Void> send(Publisher<WebSocketMessage> messages) {
      return Mono.fromRunnable(() -> Flux.from(messages).subscribe(peer));
    }

    @Override
    public boolean isOpen() {
      return !peer.isDisposed();
    }

    @Override
    public Mono<Void> close(CloseStatus status) {
      return Mono.fromRunnable(peer::cancel);
    }

    @Override
    public Mono<CloseStatus> closeStatus() {
      return Mono.never();
    }

    @Override
    public WebSocketMessage textMessage(String payload) {
      return new WebSocketMessage(
          WebSocketMessage.Type.TEXT, buffers.wrap(payload.getBytes(StandardCharsets.UTF_8)));
    }

    @Override
    public WebSocketMessage binaryMessage(Function<DataBufferFactory, DataBuffer> payloadFactory) {
      return new WebSocketMessage(WebSocketMessage.Type.BINARY, payloadFactory.apply(buffers));
    }

    @Override
    public WebSocketMessage pingMessage(Function<DataBufferFactory, DataBuffer> payloadFactory) {
      return new WebSocketMessage(WebSocketMessage.Type.PING, payloadFactory.apply(buffers));
    }

    @Override
    public WebSocketMessage pongMessage(Function<DataBufferFactory, DataBuffer> payloadFactory) {
      return new WebSocketMessage(WebSocketMessage.Type.PONG, payloadFactory.apply(buffers));
    }
  }
}
