package com.dedw3n.platform.graphql;

import graphql.ExecutionResult;
import java.time.Duration;
import java.util.List;
import org.jspecify.annotations.Nullable;
import org.reactivestreams.Publisher;
import org.springframework.graphql.server.WebGraphQlHandler;
import org.springframework.graphql.server.WebGraphQlResponse;
import org.springframework.graphql.server.webflux.GraphQlSseHandler;
import org.springframework.util.unit.DataSize;
import org.springframework.web.reactive.function.server.ServerRequest;
import org.springframework.web.reactive.function.server.ServerResponse;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import tools.jackson.databind.json.JsonMapper;

/**
 * spring-graphql's Server-Sent Events handler, answering every operation as GraphQL over SSE does:
 * a subscription's results as {@code next} events, and a query's or mutation's one result (or a
 * request refused before it ran: a spent budget, an unknown field) as one {@code next} event, each
 * then {@code complete}. spring-graphql's own answered anything but a subscription with a single
 * error, "SSE handler supports only subscriptions", after running it: graphql-sse's client sends
 * every operation accepting events only, so a mutation was stored and its client told it failed
 * (and retried it), and a refusal's code and retryAfter were lost. A single result larger than
 * {@code dedw3n.graphql.limits.max-response-size} is replaced by {@code RESPONSE_TOO_LARGE}, as in
 * JSON ({@link GraphQlHttpResponses}).
 */
class GraphQlSseResults extends GraphQlSseHandler {

  private final DataSize maxResponseSize;
  private final JsonMapper json;

  GraphQlSseResults(
      WebGraphQlHandler handler,
      @Nullable Duration timeout,
      @Nullable Duration keepAlive,
      DataSize maxResponseSize,
      JsonMapper json) {
    super(handler, timeout, keepAlive);
    this.maxResponseSize = maxResponseSize;
    this.json = json;
  }

  @Override
  protected Mono<ServerResponse> prepareResponse(
      ServerRequest request, WebGraphQlResponse response) {
    if (response.getData() instanceof Publisher<?>) {
      return super.prepareResponse(request, response);
    }
    // the whole result (data, errors, extensions) as the one event the stream carries
    ExecutionResult result = limited(response.getExecutionResult());
    return super.prepareResponse(
        request, response.transform(builder -> builder.data(Flux.just(result))));
  }

  private ExecutionResult limited(ExecutionResult result) {
    // measured as written: events of queries and mutations are rare enough to encode twice
    int size = json.writeValueAsBytes(result.toSpecification()).length;
    if (size <= maxResponseSize.toBytes()) {
      return result;
    }
    return ExecutionResult.newExecutionResult()
        .errors(List.of(GraphQlErrors.responseTooLarge(size, maxResponseSize)))
        .extensions(result.getExtensions())
        .build();
  }
}
