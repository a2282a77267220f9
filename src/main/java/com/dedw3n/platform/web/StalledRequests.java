package com.dedw3n.platform.web;

import io.netty.handler.timeout.ReadTimeoutException;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import org.jspecify.annotations.Nullable;
import org.springframework.core.annotation.Order;
import org.springframework.http.HttpStatus;
import org.springframework.stereotype.Component;
import org.springframework.web.server.ServerWebExchange;
import org.springframework.web.server.WebExceptionHandler;
import reactor.core.publisher.Mono;

/**
 * A request whose body stopped arriving ({@link RequestReadTimeout}): the client's doing, answered
 * 408 on a connection Reactor Netty is closing, and logged at DEBUG. Without this, Boot's error
 * handler (order -1) answered it as a 500 and logged it at ERROR, so anyone could fill the log and
 * the 5xx count by sending half a body.
 */
@Component
@Order(-2)
class StalledRequests implements WebExceptionHandler {

  private static final Log log = LogFactory.getLog(StalledRequests.class);

  @Override
  public Mono<Void> handle(ServerWebExchange exchange, Throwable error) {
    if (!isReadTimeout(error)) {
      return Mono.error(error);
    }
    if (log.isDebugEnabled()) {
      log.debug("A request's body stopped arriving: " + exchange.getRequest().getPath());
    }
    exchange.getResponse().setStatusCode(HttpStatus.REQUEST_TIMEOUT);
    return exchange.getResponse().setComplete().onErrorResume(e -> Mono.empty());
  }

  static boolean isReadTimeout(@Nullable Throwable error) {
    for (Throwable cause = error; cause != null; cause = cause.getCause()) {
      if (cause instanceof ReadTimeoutException) {
        return true;
      }
      if (cause.getCause() == cause) {
        break;
      }
    }
    return false;
  }
}
