package com.dedw3n.platform.web;

import org.springframework.boot.reactor.netty.NettyServerCustomizer;
import org.springframework.stereotype.Component;
import reactor.netty.http.server.HttpServer;

/**
 * Closes the connection of a request whose body stops arriving: Reactor Netty waits for it without
 * end, and the GraphQL guard holds what came (up to the 256 KB body limit, in pooled direct memory)
 * until it is complete, so a few hundred clients that stop halfway would hold the server's direct
 * memory. Two limits, both on reading one request only: its body may go {@code read-timeout} (10 s)
 * without a byte, and may take {@code request-timeout} (30 s) in all, so that a byte every 9 s
 * cannot hold the buffers either (30 s reads the 256 KiB limit at 9 KB/s; the API's requests are a
 * few KB, uploads go to storage directly). Neither runs once the request has arrived: a slow
 * response, a WebSocket or an event stream is not cut.
 */
@Component
class RequestReadTimeout implements NettyServerCustomizer {

  private final WebSettings settings;

  RequestReadTimeout(WebSettings settings) {
    this.settings = settings;
  }

  @Override
  public HttpServer apply(HttpServer server) {
    return server.readTimeout(settings.readTimeout()).requestTimeout(settings.requestTimeout());
  }
}
