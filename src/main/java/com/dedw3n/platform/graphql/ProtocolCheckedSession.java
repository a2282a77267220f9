package com.dedw3n.platform.graphql;

import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import org.reactivestreams.Publisher;
import org.springframework.core.io.buffer.DataBuffer;
import org.springframework.core.io.buffer.DataBufferFactory;
import org.springframework.core.io.buffer.DataBufferUtils;
import org.springframework.web.reactive.socket.CloseStatus;
import org.springframework.web.reactive.socket.HandshakeInfo;
import org.springframework.web.reactive.socket.WebSocketMessage;
import org.springframework.web.reactive.socket.WebSocketSession;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * A GraphQL WebSocket whose incoming frames are checked against the graphql-transport-ws protocol
 * before spring-graphql reads them: a frame that is not a JSON object with one of the protocol's
 * client message types closes the socket with 4400 ("Invalid message"), as the protocol requires
 * and graphql-ws clients expect. (spring-graphql closes with 4400 only for some of these; for a
 * frame that is not JSON at all, or has an unknown type, its decoder throws and the socket closed
 * without a status, 1005.)
 *
 * <p>It also gives back the buffer of every outgoing message that is encoded but never sent. When a
 * socket closes while answers are on their way (a client that leaves as its subscription completes,
 * an instance closing its sockets on shutdown), spring-graphql's handler discards the messages it
 * still holds in the flatMap that merges every operation's answers; its own discard hook (2.0.4,
 * gh-1293) sits upstream of that flatMap, inside each operation, so those were never released: a
 * pooled direct buffer lost for every such message.
 */
final class ProtocolCheckedSession implements WebSocketSession {

  static final CloseStatus INVALID_MESSAGE = new CloseStatus(4400, "Invalid message");

  /**
   * The context key under which Reactor keeps the discard hooks of {@code doOnDiscard} ({@code
   * Hooks.KEY_ON_DISCARD}, not public). ProtocolCheckedSessionTests fails if it changes.
   */
  static final String DISCARD_HOOK = "reactor.onDiscard.local";

  private static final Set<String> CLIENT_TYPES =
      Set.of("connection_init", "ping", "pong", "subscribe", "complete");

  private final WebSocketSession session;
  private final JsonMapper json;

  ProtocolCheckedSession(WebSocketSession session, JsonMapper json) {
    this.session = session;
    this.json = json;
  }

  @Override
  public Flux<WebSocketMessage> receive() {
    return session
        .receive()
        .concatMap(
            message ->
                valid(message)
                    ? Mono.just(new Incoming(message))
                    : session
                        .close(INVALID_MESSAGE)
                        .then(Mono.<WebSocketMessage>error(Invalid.FRAME)))
        // the inbound ends at the first invalid frame: nothing after it is read
        .onErrorComplete(Invalid.class)
        // the release hook of send() is for outgoing messages only: an incoming one is Reactor
        // Netty's to release, which it does once the handler has had it. Discarded in here, it is
        // not yet marked Incoming, so the hook is taken out of this part's context; discarded
        // further on (spring-graphql's flatMap drops a frame its mapper fails on, such as a ping
        // whose payload is not an object), the mark keeps the hook away from it
        .contextWrite(context -> context.delete(DISCARD_HOOK));
  }

  /** A message that came in on this socket: never released by the hook of {@link #send}. */
  static final class Incoming extends WebSocketMessage {
    Incoming(WebSocketMessage message) {
      super(message.getType(), message.getPayload(), message.getNativeMessage());
    }
  }

  private boolean valid(WebSocketMessage message) {
    if (message.getType() != WebSocketMessage.Type.TEXT) {
      // pings and pongs of the WebSocket itself are not protocol messages; binary ones are invalid
      return message.getType() != WebSocketMessage.Type.BINARY;
    }
    try {
      JsonNode frame = json.readTree(message.getPayloadAsText());
      JsonNode type = frame.isObject() ? frame.get("type") : null;
      return type != null && type.isString() && CLIENT_TYPES.contains(type.asString());
    } catch (JacksonException e) {
      return false;
    }
  }

  /** Ends the inbound after an invalid frame. */
  private static final class Invalid extends RuntimeException {
    static final Invalid FRAME = new Invalid();

    private Invalid() {
      super("invalid frame", null, false, false);
    }
  }

  @Override
  public String getId() {
    return session.getId();
  }

  @Override
  public HandshakeInfo getHandshakeInfo() {
    return session.getHandshakeInfo();
  }

  @Override
  public DataBufferFactory bufferFactory() {
    return session.bufferFactory();
  }

  @Override
  public Map<String, Object> getAttributes() {
    return session.getAttributes();
  }

  @Override
  public Mono<Void> send(Publisher<WebSocketMessage> messages) {
    // the hook reaches every operator of the handler's outgoing flux. Inside each operation's flux
    // spring-graphql's own hook releases a discarded message first; this one then finds it
    // released (DataBufferUtils.release skips a buffer with no references left)
    return session.send(
        Flux.from(messages)
            .doOnDiscard(
                WebSocketMessage.class,
                message -> {
                  if (!(message instanceof Incoming)) {
                    DataBufferUtils.release(message.getPayload());
                  }
                }));
  }

  @Override
  public boolean isOpen() {
    return session.isOpen();
  }

  @Override
  public Mono<Void> close(CloseStatus status) {
    return session.close(status);
  }

  @Override
  public Mono<CloseStatus> closeStatus() {
    return session.closeStatus();
  }

  @Override
  public WebSocketMessage textMessage(String payload) {
    return session.textMessage(payload);
  }

  @Override
  public WebSocketMessage binaryMessage(Function<DataBufferFactory, DataBuffer> payloadFactory) {
    return session.binaryMessage(payloadFactory);
  }

  @Override
  public WebSocketMessage pingMessage(Function<DataBufferFactory, DataBuffer> payloadFactory) {
    return session.pingMessage(payloadFactory);
  }

  @Override
  public WebSocketMessage pongMessage(Function<DataBufferFactory, DataBuffer> payloadFactory) {
    return session.pongMessage(payloadFactory);
  }
}
