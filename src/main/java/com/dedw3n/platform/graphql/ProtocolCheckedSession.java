package com.dedw3n.platform.graphql;

import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import org.reactivestreams.Publisher;
import org.springframework.core.io.buffer.DataBuffer;
import org.springframework.core.io.buffer.DataBufferFactory;
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
 */
final class ProtocolCheckedSession implements WebSocketSession {

  static final CloseStatus INVALID_MESSAGE = new CloseStatus(4400, "Invalid message");

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
                    ? Mono.just(message)
                    : session
                        .close(INVALID_MESSAGE)
                        .then(Mono.<WebSocketMessage>error(Invalid.FRAME)))
        // the inbound ends at the first invalid frame: nothing after it is read
        .onErrorComplete(Invalid.class);
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
    return session.send(messages);
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
