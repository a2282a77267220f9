package com.dedw3n.platform.graphql;

import com.dedw3n.platform.Deadlines;
import com.dedw3n.platform.observability.TraceIds;
import com.dedw3n.platform.observability.TraceLogging;
import com.dedw3n.platform.session.SessionContextRepository;
import com.dedw3n.platform.web.WebSettings;
import graphql.language.OperationDefinition;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import org.springframework.boot.graphql.autoconfigure.GraphQlProperties;
import org.springframework.core.annotation.Order;
import org.springframework.core.codec.DecodingException;
import org.springframework.core.io.buffer.DataBuffer;
import org.springframework.core.io.buffer.DataBufferLimitException;
import org.springframework.core.io.buffer.DataBufferUtils;
import org.springframework.graphql.MediaTypes;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpMethod;
import org.springframework.http.HttpStatus;
import org.springframework.http.InvalidMediaTypeException;
import org.springframework.http.MediaType;
import org.springframework.http.server.reactive.ServerHttpRequest;
import org.springframework.http.server.reactive.ServerHttpRequestDecorator;
import org.springframework.http.server.reactive.observation.ServerRequestObservationContext;
import org.springframework.stereotype.Component;
import org.springframework.web.cors.CorsConfiguration;
import org.springframework.web.cors.reactive.CorsProcessor;
import org.springframework.web.cors.reactive.CorsUtils;
import org.springframework.web.cors.reactive.DefaultCorsProcessor;
import org.springframework.web.server.ResponseStatusException;
import org.springframework.web.server.ServerWebExchange;
import org.springframework.web.server.WebFilter;
import org.springframework.web.server.WebFilterChain;
import org.springframework.web.util.pattern.PathPattern;
import org.springframework.web.util.pattern.PathPatternParser;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ObjectNode;

/**
 * Answers requests to the GraphQL endpoint that are not GraphQL the way GraphQL-over-HTTP expects:
 * a 4xx status and a JSON body with {@code errors[].extensions.classification}, never a 500 nor an
 * empty 200. Takes queries as a GET (their parameters in the URL, a mutation refused with 405) and
 * everything as a POST of JSON; refuses other methods, bodies that are not JSON, empty, larger than
 * the limit or too slow to arrive (408, {@code dedw3n.graphql.body-timeout}). Requests naming their
 * operation by id, and partners', are resolved by {@link PersistedQueries} first. Turns the
 * endpoint's own 4xx failures (broken JSON, no query) into the same shape. (Queries and mutations
 * take their turn under the {@link ExecutionLimit} in the {@link OperationGuard}, once their cost
 * is known.)
 *
 * <p>It is also the last guard against a request that never ends, whatever the cause: a query or
 * mutation not answered within {@link OperationLimits#requestDeadline()} (its wait for a turn, its
 * execution timeout and a second) is answered 503 and logged with its operation name.
 *
 * <p>It runs right after Spring Security's filter chain (order -100: {@code
 * WebFluxSecurityConfiguration.WEB_FILTER_CHAIN_FILTER_ORDER}, not public), so that its refusals
 * carry the security headers like every other answer. Spring Security's filters restore the
 * session's user only when a field asks for it, so none of their work escapes the deadline.
 */
@Component
@Order(-100 + 1)
class GraphQlHttpGuard implements WebFilter {

  private static final Log log = LogFactory.getLog(GraphQlHttpGuard.class);

  private final String path;

  /**
   * The endpoint as its routes match it: on decoded path segments, so that {@code /%67raphql}
   * reaches the GraphQL handlers too, and must not pass by this guard (its Origin check included).
   */
  private final PathPattern endpoint;

  private final int maxBodyBytes;
  private final Duration bodyTimeout;
  private final WebSocketShutdown shutdown;
  private final SessionContextRepository sessions;
  private final CorsConfiguration origins = new CorsConfiguration();
  private final CorsProcessor cors = new DefaultCorsProcessor();
  private final Duration deadline;
  private final JsonMapper json;
  private final PersistedQueries persisted;

  private static final byte[] NO_BODY = new byte[0];

  GraphQlHttpGuard(
      GraphQlProperties graphQl,
      GraphQlHttpSettings settings,
      OperationLimits limits,
      WebSettings web,
      JsonMapper json,
      PersistedQueries persisted,
      SessionContextRepository sessions,
      WebSocketShutdown shutdown) {
    this.path = graphQl.getHttp().getPath();
    this.sessions = sessions;
    this.shutdown = shutdown;
    this.endpoint = PathPatternParser.defaultInstance.parse(path);
    this.persisted = persisted;
    this.json = json;
    this.maxBodyBytes = settings.maxBodyBytes();
    this.bodyTimeout = settings.bodyTimeout();
    this.origins.setAllowedOriginPatterns(web.allowedOrigins());
    // one origin policy for HTTP and WebSocket: listed origins may call with credentials
    this.origins.setAllowCredentials(true);
    this.origins.setAllowedMethods(List.of("POST", "GET"));
    this.origins.setAllowedHeaders(List.of(CorsConfiguration.ALL));
    this.origins.setExposedHeaders(List.of(HttpHeaders.RETRY_AFTER));
    this.origins.setMaxAge(Duration.ofHours(1));
    this.deadline = limits.requestDeadline();
  }

  @Override
  public Mono<Void> filter(ServerWebExchange exchange, WebFilterChain chain) {
    ServerHttpRequest request = exchange.getRequest();
    if (!request.getPath().value().equals(path)
        && !endpoint.matches(request.getPath().pathWithinApplication())) {
      return chain.filter(exchange);
    }
    if (HttpMethod.GET.equals(request.getMethod())
        && "websocket".equalsIgnoreCase(request.getHeaders().getUpgrade())) {
      // Browsers always send Origin on a WebSocket upgrade, and the session cookie rides along:
      // refusing foreign origins stops cross-site WebSocket hijacking. Native clients send none.
      // (a page of this server's own origin, such as GraphiQL, is not cross-origin)
      String origin = request.getHeaders().getOrigin();
      if (CorsUtils.isCorsRequest(request) && origins.checkOrigin(origin) == null) {
        return refused(
            exchange,
            originNotAllowed(
                "WebSocket connections from this origin are refused (see ALLOWED_ORIGINS)."));
      }
      return chain.filter(exchange).onErrorResume(ApiException.class, e -> refused(exchange, e));
    }
    // every answer varies by Origin (and a preflight's headers), a cacheable GET's too: a CDN must
    // not give one origin's answer, with or without its CORS headers, to another
    boolean allowed = cors.process(origins, exchange);
    if (CorsUtils.isCorsRequest(request)) {
      // a browser calling from another origin: a listed one gets the CORS headers (a preflight
      // ends here), any other a documented refusal and no CORS headers at all
      if (!allowed) {
        exchange.getResponse().getHeaders().remove(HttpHeaders.VARY);
        return refused(
            exchange,
            originNotAllowed("Requests from this origin are refused (see ALLOWED_ORIGINS)."));
      }
      if (CorsUtils.isPreFlightRequest(request)) {
        return exchange.getResponse().setComplete();
      }
    } else if ("cross-site".equals(request.getHeaders().getFirst("Sec-Fetch-Site"))) {
      // a cross-site request that hides its origin: never with the user's cookie
      return refused(exchange, originNotAllowed("Cross-site requests must carry their Origin."));
    }
    boolean byGet = HttpMethod.GET.equals(request.getMethod());
    if (byGet) {
      // GraphQL over HTTP: a query's parameters in the URL, so browsers and CDNs can cache it
      return Mono.defer(
              () -> {
                ObjectNode body = persisted.fromParameters(request.getQueryParams());
                if (!body.has("query") && !body.has("documentId") && !body.has("extensions")) {
                  return problem(
                      exchange,
                      HttpStatus.BAD_REQUEST,
                      "A GET request names its operation in the URL: ?query=... (or a persisted"
                          + " query's id), with optional operationName and variables.");
                }
                return resolveThenExecute(exchange, chain, body, true);
              })
          .onErrorResume(PersistedQueries.Refused.class, e -> problem(exchange, e.status, e.error));
    }
    if (!HttpMethod.POST.equals(request.getMethod())) {
      exchange.getResponse().getHeaders().setAllow(Set.of(HttpMethod.GET, HttpMethod.POST));
      return problem(
          exchange,
          HttpStatus.METHOD_NOT_ALLOWED,
          "Send GraphQL operations as a POST with a JSON body, or queries as a GET.");
    }
    MediaType type = request.getHeaders().getContentType();
    if (type == null || !MediaType.APPLICATION_JSON.isCompatibleWith(type)) {
      return problem(
          exchange,
          HttpStatus.UNSUPPORTED_MEDIA_TYPE,
          "The request body must be JSON (Content-Type: application/json).");
    }
    return DataBufferUtils.join(request.getBody(), maxBodyBytes)
        // copied out (and released) before the timeout: a body completing just as it fires is
        // dropped by the timeout, which would not release a buffer
        .map(PersistedQueries::bytes)
        // only the body's arrival: what executes after it has its own deadline
        .timeout(bodyTimeout, Mono.error(BodyTooSlow::new))
        .defaultIfEmpty(NO_BODY)
        .flatMap(
            body -> {
              if (body.length == 0) {
                return problem(
                    exchange,
                    HttpStatus.BAD_REQUEST,
                    "The request body is empty: send {\"query\": \"...\"}.");
              }
              if (persisted.concerns(request, body)) {
                return Mono.defer(
                        () -> resolveThenExecute(exchange, chain, persisted.read(body), false))
                    .onErrorResume(
                        PersistedQueries.Refused.class, e -> problem(exchange, e.status, e.error));
              }
              return executeBody(exchange, chain, request, body);
            })
        .onErrorResume(
            DataBufferLimitException.class,
            e ->
                problem(
                    exchange,
                    HttpStatus.PAYLOAD_TOO_LARGE,
                    "The request body is larger than " + maxBodyBytes + " bytes."))
        .onErrorResume(
            BodyTooSlow.class,
            e -> {
              if (!exchange.getResponse().isCommitted()) {
                // the rest of the body may still be on its way: the connection ends with the answer
                exchange.getResponse().getHeaders().setConnection("close");
              }
              return problem(
                  exchange,
                  HttpStatus.REQUEST_TIMEOUT,
                  "The request body did not arrive within "
                      + (bodyTimeout.toMillis() % 1000 == 0
                          ? bodyTimeout.toSeconds() + " s."
                          : bodyTimeout.toMillis() + " ms."));
            });
  }

  /**
   * A request that names its operation by id, a GET, or a partner's: its document resolved (or
   * refused) first; a GET may only run a query (405 otherwise, nothing executed).
   */
  private Mono<Void> resolveThenExecute(
      ServerWebExchange exchange, WebFilterChain chain, ObjectNode body, boolean byGet) {
    return persisted
        .resolve(exchange, body, byGet)
        .flatMap(
            resolved -> {
              if (byGet) {
                OperationDefinition.Operation kind = persisted.kindOf(resolved);
                if (kind != null && kind != OperationDefinition.Operation.QUERY) {
                  exchange.getResponse().getHeaders().setAllow(Set.of(HttpMethod.POST));
                  return problem(
                      exchange,
                      HttpStatus.METHOD_NOT_ALLOWED,
                      "Only queries may be sent as a GET; send a "
                          + kind.name().toLowerCase(java.util.Locale.ROOT)
                          + " as a POST.");
                }
              }
              byte[] json = persisted.write(resolved);
              ServerHttpRequest asPost =
                  exchange
                      .getRequest()
                      .mutate()
                      .method(HttpMethod.POST)
                      .headers(
                          headers -> {
                            headers.setContentType(MediaType.APPLICATION_JSON);
                            headers.setContentLength(json.length);
                          })
                      .build();
              return executeBody(exchange, chain, asPost, json);
            });
  }

  private Mono<Void> executeBody(
      ServerWebExchange exchange, WebFilterChain chain, ServerHttpRequest request, byte[] body) {
    DataBuffer buffer = exchange.getResponse().bufferFactory().wrap(body);
    return execute(exchange, chain, replay(request, Mono.just(buffer)))
        .onErrorResume(ResponseStatusException.class, e -> clientError(exchange, e))
        .onErrorResume(
            DecodingException.class,
            e ->
                clientError(
                    exchange, new ResponseStatusException(HttpStatus.BAD_REQUEST, e.getMessage())));
  }

  /**
   * Queries and mutations are answered within the request deadline (the {@link OperationGuard} runs
   * them under the {@link ExecutionLimit}); a request answered with Server-Sent Events lives as
   * long as its client and has no deadline here, and a subscription among them ends with its
   * session, or when the instance starts shutting down (its client subscribes again, to another
   * instance, from its last cursor). WebSocket upgrades never get here.
   */
  private Mono<Void> execute(
      ServerWebExchange exchange, WebFilterChain chain, ServerHttpRequest request) {
    ServerWebExchange replayed = exchange.mutate().request(request).build();
    if (answeredWithEvents(request.getHeaders())) {
      // OperationGuard fills it in once the request is read; unknown (not analysed): as a
      // subscription
      AtomicReference<OperationDefinition.Operation> kind = new AtomicReference<>();
      exchange.getAttributes().put(OperationGuard.OPERATION_KIND, kind);
      return chain
          .filter(replayed)
          .takeUntilOther(
              Mono.firstWithSignal(sessions.sessionEnd(exchange), shutdown.stopping())
                  .then(
                      Mono.defer(
                          () ->
                              kind.get() == null
                                      || kind.get() == OperationDefinition.Operation.SUBSCRIPTION
                                  ? Mono.<Void>empty()
                                  // a sign-out over events is answered, not cut off by its end
                                  : Mono.<Void>never())))
          .onErrorResume(ApiException.class, e -> refused(exchange, e));
    }
    // OperationGuard fills it in once the request is read: a request that never gets an answer is
    // logged with its operation's name
    AtomicReference<String> operationName = new AtomicReference<>();
    exchange.getAttributes().put(OperationGuard.OPERATION_NAME, operationName);
    return Deadlines.within(
            chain.filter(replayed),
            deadline,
            () -> {
              TraceLogging.in(
                  ServerRequestObservationContext.findCurrent(exchange.getAttributes())
                      .orElse(null),
                  () ->
                      log.error(
                          "A request to "
                              + path
                              + " (operation "
                              + (operationName.get() == null ? "unnamed" : operationName.get())
                              + ") had no answer after "
                              + deadline.toMillis()
                              + " ms; answered 503"));
              return refused(
                  exchange,
                  ApiException.unavailable(
                      "REQUEST_DEADLINE",
                      "The request could not be answered in time; retry shortly.",
                      1));
            })
        // before GraphQL: the session store could not say who the caller is (fail closed)
        .onErrorResume(ApiException.class, e -> refused(exchange, e));
  }

  private static ApiException originNotAllowed(String message) {
    return new ApiException(ErrorKind.FORBIDDEN, "ORIGIN_NOT_ALLOWED", message, 0);
  }

  /** A refusal answered with its kind's HTTP status ({@link GraphQlErrors#status}). */
  private Mono<Void> refused(ServerWebExchange exchange, ApiException e) {
    return problem(exchange, GraphQlErrors.status(e.kind()), e);
  }

  private static ServerHttpRequest replay(ServerHttpRequest request, Mono<DataBuffer> body) {
    return new ServerHttpRequestDecorator(request) {
      @Override
      public Flux<DataBuffer> getBody() {
        return Flux.from(body);
      }
    };
  }

  private Mono<Void> clientError(ServerWebExchange exchange, ResponseStatusException e) {
    if (!e.getStatusCode().is4xxClientError()) {
      return Mono.error(e);
    }
    String message =
        e.getStatusCode().value() == 400
            ? "The request body is not a GraphQL request: it must be a JSON object with a"
                + " \"query\" string and optional \"operationName\" and \"variables\"."
            : "The request was refused (" + e.getStatusCode().value() + ").";
    return problem(exchange, HttpStatus.valueOf(e.getStatusCode().value()), message);
  }

  /** A request that is not GraphQL: a BAD_REQUEST with the HTTP status that says why. */
  private Mono<Void> problem(ServerWebExchange exchange, HttpStatus status, String message) {
    return problem(exchange, status, ApiException.badRequest(message));
  }

  /**
   * Answers with the error's JSON body and Retry-After, as {@link GraphQlErrors} writes them; to a
   * GET, never cacheable.
   */
  Mono<Void> problem(ServerWebExchange exchange, HttpStatus status, ApiException e) {
    var response = exchange.getResponse();
    if (response.isCommitted()) {
      return Mono.empty();
    }
    response.setStatusCode(status);
    response.getHeaders().setContentType(MediaType.APPLICATION_JSON);
    response.getHeaders().remove(HttpHeaders.CONTENT_LENGTH);
    if (HttpMethod.GET.equals(exchange.getRequest().getMethod())) {
      // a refusal is never for a cache to keep: a CDN that kept the 200 PersistedQueryNotFound
      // would answer it to every client after the document was registered, and Apollo's link
      // would fall back to POST for good
      response.getHeaders().setCacheControl("private, no-store");
    }
    if (e.retryAfterSeconds() > 0) {
      response.getHeaders().set(HttpHeaders.RETRY_AFTER, String.valueOf(e.retryAfterSeconds()));
    }
    byte[] body =
        json.writeValueAsBytes(
            GraphQlErrors.httpBody(e, TraceIds.ofExchange(exchange.getAttributes())));
    DataBuffer buffer = response.bufferFactory().wrap(body);
    return response.writeWith(Mono.just(buffer));
  }

  /**
   * Whether spring-graphql answers the request with Server-Sent Events: only when it accepts them
   * and no JSON, as its routes decide (the JSON route comes first). urql sends every query and
   * mutation accepting both, and they are answered with JSON.
   */
  static boolean answeredWithEvents(HttpHeaders headers) {
    List<MediaType> accepted;
    try {
      accepted = headers.getAccept();
    } catch (InvalidMediaTypeException unreadable) {
      // "Accept: json": no preference for events here (spring-graphql's routes answer a valid
      // query 406 for it), so never the 500 of an exception thrown before the error handling
      return false;
    }
    boolean events = false;
    for (MediaType type : accepted) {
      if (type.isCompatibleWith(MediaType.APPLICATION_JSON)
          || type.isCompatibleWith(MediaTypes.APPLICATION_GRAPHQL_RESPONSE)) {
        return false;
      }
      events |= type.isCompatibleWith(MediaType.TEXT_EVENT_STREAM);
    }
    return events;
  }

  /** A body that did not arrive within {@code bodyTimeout}: the client's doing, no stack. */
  private static final class BodyTooSlow extends RuntimeException {
    BodyTooSlow() {
      super("request body too slow", null, false, false);
    }
  }
}
