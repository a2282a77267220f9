package com.dedw3n.platform.web;

import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;
import org.springframework.http.server.reactive.ServerHttpResponse;
import org.springframework.http.server.reactive.ServerHttpResponseDecorator;
import org.springframework.stereotype.Component;
import org.springframework.web.reactive.config.WebFluxConfigurer;
import org.springframework.web.reactive.socket.HandshakeInfo;
import org.springframework.web.reactive.socket.WebSocketHandler;
import org.springframework.web.reactive.socket.server.WebSocketService;
import org.springframework.web.reactive.socket.server.support.HandshakeWebSocketService;
import org.springframework.web.reactive.socket.server.upgrade.ReactorNettyRequestUpgradeStrategy;
import org.springframework.web.server.ServerWebExchange;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;
import reactor.netty.Connection;
import reactor.netty.http.server.HttpServerResponse;

/**
 * Performs every WebSocket handshake on the connection's own Netty event loop.
 *
 * <p>Why: Reactor Netty writes the 101 response, and only in a listener of that write moves the
 * channel from its HTTP operations to its WebSocket operations. When the upgrade is started from
 * another thread, the write runs as an event-loop task and the listener can be attached after the
 * write completed, which Netty then runs as a <em>later</em> task. A frame the client sent the
 * moment it saw the 101 (graphql-ws sends {@code connection_init} on {@code open}) can be read in
 * between and lands on the finished HTTP request's inbound, which drops it ({@code FluxReceive}
 * logs "dropping frame" at debug level): the init is never acknowledged and the client is closed
 * with 4408 ten seconds later. The upgrade runs off the event loop whenever something before it
 * completes on another thread; here that was the in-memory session store, which creates a session
 * on boundedElastic and continues on parallel, so exactly the upgrades without a session cookie
 * were exposed. Any session store answering on its own threads (Redis) exposes every upgrade.
 *
 * <p>The hop happens after the response is committed (the session saved, the headers fixed) and
 * right before Spring hands the connection to Reactor Netty's {@code sendWebsocket}.
 */
@Component
class EventLoopWebSocketUpgrade extends ReactorNettyRequestUpgradeStrategy
    implements WebFluxConfigurer {

  @Override
  public WebSocketService getWebSocketService() {
    return new HandshakeWebSocketService(this);
  }

  @Override
  public Mono<Void> upgrade(
      ServerWebExchange exchange,
      WebSocketHandler handler,
      @Nullable String subProtocol,
      Supplier<HandshakeInfo> handshakeInfoFactory) {
    HttpServerResponse netty =
        ServerHttpResponseDecorator.getNativeResponse(exchange.getResponse());
    var eventLoop = ((Connection) netty).channel().eventLoop();
    ServerHttpResponse committedOnEventLoop =
        new ServerHttpResponseDecorator(exchange.getResponse()) {
          @Override
          public Mono<Void> setComplete() {
            // Spring upgrades in the continuation of setComplete(): make it the event loop's
            return super.setComplete()
                .then(
                    Mono.defer(
                        () ->
                            eventLoop.inEventLoop()
                                ? Mono.empty()
                                : Mono.<Void>empty()
                                    .subscribeOn(Schedulers.fromExecutor(eventLoop))));
          }
        };
    return super.upgrade(
        exchange.mutate().response(committedOnEventLoop).build(),
        handler,
        subProtocol,
        handshakeInfoFactory);
  }
}
