package com.dedw3n.platform.graphql;

import java.time.Duration;
import org.jspecify.annotations.Nullable;
import org.reactivestreams.Publisher;
import org.springframework.graphql.server.WebGraphQlHandler;
import org.springframework.graphql.server.WebGraphQlResponse;
import org.springframework.graphql.server.webflux.GraphQlSseHandler;
import org.springframework.web.reactive.function.server.ServerRequest;
import org.springframework.web.reactive.function.server.ServerResponse;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * spring-graphql's Server-Sent Events handler, answering every operation as GraphQL over SSE does:
 * a subscription's results as {@code next} events, and a query's or mutation's one result (or a
 * request refused before it ran: a spent budget, an unknown field) as one {@code next} event, each
 * then {@code complete}. spring-graphql's own answered anything but a subscription with a single
 * error, "SSE handler supports only subscriptions", after running it: graphql-sse's client sends
 * every operation accepting events only, so a mutation was stored and its client told it failed
 * (and retried it), and a refusal's code and retryAfter were lost.
 */
class GraphQlSseResults extends GraphQlSseHandler {

  GraphQlSseResults(
      WebGraphQlHandler handler, @Nullable Duration timeout, @Nullable Duration keepAlive) {
    super(handler, timeout, keepAlive);
  }

  @Override
  protected Mono<ServerResponse> prepareResponse(
      ServerRequest request, WebGraphQlResponse response) {
    if (response.getData() instanceof Publisher<?>) {
      return super.prepareResponse(request, response);
    }
    // the whole result (data, errors, extensions) as the one event the stream carries
    var result = response.getExecutionResult();
    return super.prepareResponse(
        request, response.transform(builder -> builder.data(Flux.just(result))));
  }
}
