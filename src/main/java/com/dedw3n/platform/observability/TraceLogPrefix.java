package com.dedw3n.platform.observability;

import org.springframework.core.Ordered;
import org.springframework.core.annotation.Order;
import org.springframework.stereotype.Component;
import org.springframework.web.server.ServerWebExchange;
import org.springframework.web.server.WebFilter;
import org.springframework.web.server.WebFilterChain;
import reactor.core.publisher.Mono;

/**
 * Names each HTTP exchange after its trace in the lines Spring's web layer writes about it.
 *
 * <p>Spring WebFlux prefixes its own log lines about an exchange (a request that failed after its
 * response was committed, an unhandled error, its debug lines) with the exchange's log id, by
 * default Netty's connection id and a request counter, which leads nowhere. With the trace id as
 * log id, those lines carry {@code [<trace id>]} like the API's own, on whichever thread they are
 * written, at the cost of one attribute a request. Lines of Netty, r2dbc and Lettuce are about a
 * connection that many requests share, not about one request, and keep their connection ids.
 */
@Component
@Order(Ordered.HIGHEST_PRECEDENCE)
class TraceLogPrefix implements WebFilter {

  @Override
  public Mono<Void> filter(ServerWebExchange exchange, WebFilterChain chain) {
    String traceId = TraceIds.ofExchange(exchange.getAttributes());
    if (traceId != null) {
      exchange.getAttributes().put(ServerWebExchange.LOG_ID_ATTRIBUTE, traceId);
    }
    return chain.filter(exchange);
  }
}
