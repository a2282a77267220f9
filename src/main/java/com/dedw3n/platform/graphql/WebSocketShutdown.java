package com.dedw3n.platform.graphql;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.binder.MeterBinder;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Predicate;
import org.springframework.boot.graphql.autoconfigure.GraphQlProperties;
import org.springframework.context.SmartLifecycle;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.Ordered;
import org.springframework.core.annotation.Order;
import org.springframework.graphql.server.WebGraphQlInterceptor;
import org.springframework.graphql.server.WebSocketGraphQlRequest;
import org.springframework.graphql.server.webflux.GraphQlWebSocketHandler;
import org.springframework.web.reactive.HandlerMapping;
import org.springframework.web.reactive.handler.SimpleUrlHandlerMapping;
import org.springframework.web.reactive.socket.CloseStatus;
import org.springframework.web.reactive.socket.WebSocketHandler;
import org.springframework.web.reactive.socket.WebSocketSession;
import org.springframework.web.reactive.socket.server.support.WebSocketUpgradeHandlerPredicate;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.publisher.Sinks;
import tools.jackson.databind.json.JsonMapper;

/**
 * Knows the open GraphQL WebSockets. On shutdown (SIGTERM), closes every one with 1001 "going away"
 * before the server drains its requests, so clients reconnect to another instance at once and
 * resume their subscriptions from their last cursor, instead of waiting out the drain on a dying
 * instance. Subscriptions over Server-Sent Events end then too ({@link #stopping}): the drain
 * waited on each open stream as on a request in flight, for its whole timeout, and then cut it.
 *
 * <p>Queries and mutations sent over a socket are answered before it closes: graphql-ws sends an
 * operation that was not answered again after a 1001, to the instance it reconnects to, so a
 * mutation cut while its statement committed ran twice (a chat message stored twice). Once the
 * shutdown starts, operations that arrive are held, never started, and that retry is what a client
 * wants; those under way are waited for, up to an operation's deadline (13 s).
 */
@Configuration(proxyBeanMethods = false)
public class WebSocketShutdown implements SmartLifecycle {

  private final Set<WebSocketSession> open = ConcurrentHashMap.newKeySet();
  // a new one at every start: a context can be stopped and started again (Spring's test context
  // cache pauses the contexts it is not using), and the streams of the next run must not find it
  // already stopping
  private volatile Sinks.Empty<Void> stopping = Sinks.empty();
  private volatile boolean running;
  // operations over the sockets whose answer is not ready yet (a subscription until its stream
  // starts); counted before running is read, so that stop() either waits for one or it is held
  private final AtomicInteger answering = new AtomicInteger();
  private final Duration answerWait;

  WebSocketShutdown(OperationLimits limits) {
    // an operation's own deadline (13 s): within the shutdown phase's 20 s, with the close frames'
    this.answerWait = limits.requestDeadline();
  }

  /** Completes when the instance starts shutting down, before it drains its requests. */
  public Mono<Void> stopping() {
    return Mono.defer(() -> stopping.asMono());
  }

  /**
   * Serves the GraphQL WebSocket ahead of Boot's own mapping, tracking each open session, its
   * frames checked against the protocol ({@link ProtocolCheckedSession}).
   */
  @Bean
  HandlerMapping trackedGraphQlWebSocketMapping(
      GraphQlWebSocketHandler graphQl, GraphQlProperties properties, JsonMapper json) {
    String path = properties.getWebsocket().getPath();
    WebSocketHandler tracked =
        new WebSocketHandler() {
          @Override
          public List<String> getSubProtocols() {
            return graphQl.getSubProtocols();
          }

          @Override
          public Mono<Void> handle(WebSocketSession session) {
            open.add(session);
            return graphQl
                .handle(new ProtocolCheckedSession(session, json))
                .doFinally(signal -> open.remove(session));
          }
        };
    SimpleUrlHandlerMapping mapping =
        new SimpleUrlHandlerMapping(Map.of(path, tracked), Ordered.HIGHEST_PRECEDENCE);
    mapping.setHandlerPredicate(new WebSocketUpgradeHandlerPredicate());
    return mapping;
  }

  /**
   * Counts the operations over the sockets until their answer is ready, and holds those that arrive
   * once the shutdown has started (see the class comment). First, so that a held operation costs
   * nothing.
   */
  @Bean
  @Order(Ordered.HIGHEST_PRECEDENCE)
  WebGraphQlInterceptor answeredBeforeGoingAway() {
    return (request, chain) -> {
      if (!(request instanceof WebSocketGraphQlRequest)) {
        return chain.next(request);
      }
      answering.incrementAndGet();
      if (!running) {
        answering.decrementAndGet();
        return Mono.never(); // cancelled when the socket closes; the client sends it elsewhere
      }
      return chain.next(request).doFinally(signal -> answering.decrementAndGet());
    };
  }

  /**
   * The gauge of open GraphQL WebSockets: this set, which holds each socket for its whole life (the
   * HTTP exchange of its upgrade ends with the handshake).
   */
  @Bean
  MeterBinder openWebSockets() {
    return meters ->
        Gauge.builder("dedw3n.websocket.open", open, Set::size)
            .description("GraphQL WebSockets open now")
            .register(meters);
  }

  /**
   * Closes the open GraphQL WebSocket whose attributes are this very map, with this status;
   * completes once its close frame is sent, or at once when it is not open.
   */
  public Mono<Void> close(Map<String, Object> attributes, CloseStatus status) {
    return Flux.fromIterable(open)
        .filter(session -> session.getAttributes() == attributes)
        .next()
        .flatMap(session -> session.close(status).onErrorComplete());
  }

  /** The attributes of the open GraphQL WebSockets. */
  public List<Map<String, Object>> openAttributes() {
    return open.stream().map(WebSocketSession::getAttributes).toList();
  }

  /** Closes the open GraphQL WebSockets whose attributes match, with this status. */
  public void closeWhere(Predicate<Map<String, Object>> attributes, CloseStatus status) {
    for (WebSocketSession session : open) {
      if (attributes.test(session.getAttributes())) {
        session.close(status).onErrorComplete().subscribe();
      }
    }
  }

  @Override
  public void start() {
    stopping = Sinks.empty();
    running = true;
  }

  @Override
  public void stop() {
    running = false;
    stopping.tryEmitEmpty();
    // the answers under way first; their frames go out ahead of the close frame, in order
    long deadline = System.nanoTime() + answerWait.toNanos();
    while (answering.get() > 0 && System.nanoTime() < deadline) {
      LockSupport.parkNanos(Duration.ofMillis(10).toNanos());
    }
    Flux.fromIterable(List.copyOf(open))
        .flatMap(session -> session.close(CloseStatus.GOING_AWAY).onErrorComplete())
        .then()
        .block(Duration.ofSeconds(5)); // shutdown thread: waits for the close frames
  }

  @Override
  public boolean isRunning() {
    return running;
  }

  /**
   * Before the web server's graceful drain, which would otherwise wait on open sockets; after the
   * drain delay of {@code DrainingConnections}, while the instance still serves but is not ready.
   */
  @Override
  public int getPhase() {
    return Integer.MAX_VALUE - 1;
  }
}
