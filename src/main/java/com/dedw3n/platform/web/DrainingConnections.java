package com.dedw3n.platform.web;

import java.time.Duration;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import org.springframework.boot.availability.AvailabilityChangeEvent;
import org.springframework.boot.availability.ReadinessState;
import org.springframework.context.ApplicationEventPublisher;
import org.springframework.context.SmartLifecycle;
import org.springframework.core.Ordered;
import org.springframework.core.annotation.Order;
import org.springframework.http.HttpHeaders;
import org.springframework.stereotype.Component;
import org.springframework.web.server.ServerWebExchange;
import org.springframework.web.server.WebFilter;
import org.springframework.web.server.WebFilterChain;
import reactor.core.publisher.Mono;

/**
 * The first step of a shutdown (SIGTERM): the instance says it is not ready, and for {@code
 * dedw3n.web.drain-delay} ({@code SHUTDOWN_DRAIN_DELAY}, 5 s) it goes on serving while every
 * response carries {@code Connection: close}, so each kept-alive connection is closed by the server
 * right after a response instead of being reset later. Only then do the WebSockets close (1001) and
 * the web server stop accepting connections and finish the requests in flight; the pool closes
 * last.
 *
 * <p>Why: without it, a client (or the gateway) that sends a request on a kept-alive connection
 * just as the server stops gets a reset or a broken pipe, a failure it cannot tell from a request
 * that was processed. After a {@code Connection: close} it opens a new connection, to another
 * instance once the load balancer has seen the readiness go down.
 */
@Component
@Order(Ordered.HIGHEST_PRECEDENCE + 1)
public class DrainingConnections implements WebFilter, SmartLifecycle {

  private static final Log log = LogFactory.getLog(DrainingConnections.class);

  private final ApplicationEventPublisher events;
  private final Duration delay;
  private volatile boolean draining;
  private volatile boolean running;

  DrainingConnections(ApplicationEventPublisher events, WebSettings settings) {
    this.events = events;
    this.delay = settings.drainDelay();
  }

  @Override
  public Mono<Void> filter(ServerWebExchange exchange, WebFilterChain chain) {
    // decided when the response is committed: a request that started before the drain and ends
    // during it closes its connection too
    exchange
        .getResponse()
        .beforeCommit(
            () -> {
              if (draining) {
                exchange.getResponse().getHeaders().set(HttpHeaders.CONNECTION, "close");
              }
              return Mono.empty();
            });
    return chain.filter(exchange);
  }

  /** True from the start of the shutdown: responses close their connections. */
  public boolean draining() {
    return draining;
  }

  /**
   * Also a restart after a stop without a shutdown (Spring's test context cache pauses contexts it
   * does not use and restarts them): the instance serves normally and is ready again.
   */
  @Override
  public void start() {
    if (draining) {
      draining = false;
      AvailabilityChangeEvent.publish(events, this, ReadinessState.ACCEPTING_TRAFFIC);
    }
    running = true;
  }

  @Override
  public void stop() {
    draining = true;
    AvailabilityChangeEvent.publish(events, this, ReadinessState.REFUSING_TRAFFIC);
    log.info("Shutting down: not ready; draining connections for " + delay.toMillis() + " ms");
    try {
      // the shutdown thread, not a request's: the server keeps serving meanwhile
      Thread.sleep(delay.toMillis());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    running = false;
  }

  @Override
  public boolean isRunning() {
    return running;
  }

  /** Stopped first of all: before the WebSockets close and the web server stops accepting. */
  @Override
  public int getPhase() {
    return Integer.MAX_VALUE;
  }
}
