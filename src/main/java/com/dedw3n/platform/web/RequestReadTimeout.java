package com.dedw3n.platform.web;

import org.springframework.boot.reactor.netty.NettyServerCustomizer;
import org.springframework.stereotype.Component;
import reactor.netty.http.server.HttpServer;

/**
 * Closes the connection of a request whose body stops arriving: Reactor Netty waits for it without
 * end, and the GraphQL guard holds what came (up to the 256 KB body limit, in pooled direct memory)
 * until it is complete, so a few hundred clients that stop halfway would hold the server's direct
 * memory. The timeout runs between reads of one request's body only: a slow upload that keeps
 * sending is not cut, and WebSockets and event streams, whose requests end before they stream, are
 * not touched. A limit on a body's whole arrival is the GraphQL endpoint's own ({@code
 * dedw3n.graphql.body-timeout}), not Reactor Netty's server-wide {@code requestTimeout}, which
 * would also cut the local media store's uploads (up to 200 MiB, streamed to disk).
 */
@Component
class RequestReadTimeout implements NettyServerCustomizer {

  private final WebSettings settings;

  RequestReadTimeout(WebSettings settings) {
    this.settings = settings;
  }

  @Override
  public HttpServer apply(HttpServer server) {
    return server.readTimeout(settings.readTimeout());
  }
}
