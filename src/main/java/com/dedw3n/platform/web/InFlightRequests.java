package com.dedw3n.platform.web;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.springframework.core.Ordered;
import org.springframework.core.annotation.Order;
import org.springframework.stereotype.Component;
import org.springframework.web.server.ServerWebExchange;
import org.springframework.web.server.WebFilter;
import org.springframework.web.server.WebFilterChain;
import reactor.core.publisher.Mono;

/**
 * Every HTTP exchange the server is working on, from its first filter to its last signal. When a
 * request goes unanswered, "what is still in flight, and since when" is the first question; the
 * gauge {@code dedw3n.http.inflight} answers it for operators, {@link #snapshot()} for the logs and
 * tests. A WebSocket is here for its upgrade only: Reactor Netty completes the exchange once the
 * handshake is answered and runs the socket apart from it ({@code dedw3n.websocket.open} counts the
 * sockets, in {@code WebSocketShutdown}).
 */
@Component
@Order(Ordered.HIGHEST_PRECEDENCE)
public class InFlightRequests implements WebFilter {

  /** One exchange in flight: what it asked for and for how long it has been running. */
  public record Exchange(String id, String method, String path, boolean webSocket, Duration age) {}

  private record Started(String method, String path, boolean webSocket, long nanos) {}

  private final Map<String, Started> inFlight = new ConcurrentHashMap<>();

  InFlightRequests(MeterRegistry meters) {
    Gauge.builder("dedw3n.http.inflight", this, InFlightRequests::requests)
        .description("HTTP requests being answered now (WebSocket upgrades not included)")
        .register(meters);
  }

  @Override
  public Mono<Void> filter(ServerWebExchange exchange, WebFilterChain chain) {
    var request = exchange.getRequest();
    String id = request.getId();
    boolean webSocket = "websocket".equalsIgnoreCase(request.getHeaders().getUpgrade());
    inFlight.put(
        id,
        new Started(
            request.getMethod().name(), request.getPath().value(), webSocket, System.nanoTime()));
    return chain.filter(exchange).doFinally(signal -> inFlight.remove(id));
  }

  /** The exchanges in flight now, oldest first. */
  public List<Exchange> snapshot() {
    long now = System.nanoTime();
    return inFlight.entrySet().stream()
        .map(
            e ->
                new Exchange(
                    e.getKey(),
                    e.getValue().method(),
                    e.getValue().path(),
                    e.getValue().webSocket(),
                    Duration.ofNanos(now - e.getValue().nanos())))
        .sorted(Comparator.comparing(Exchange::age).reversed())
        .toList();
  }

  private double requests() {
    return inFlight.values().stream().filter(s -> !s.webSocket()).count();
  }
}
