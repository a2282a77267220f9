package com.dedw3n.platform.graphql;

import com.dedw3n.platform.Deadlines;
import com.dedw3n.platform.budget.BudgetSettings;
import com.dedw3n.platform.budget.Budgets;
import com.dedw3n.platform.budget.Payer;
import com.dedw3n.platform.db.RequestStatements;
import com.dedw3n.platform.observability.OperationObservation;
import com.dedw3n.platform.partner.Partner;
import com.dedw3n.platform.security.Viewer;
import com.dedw3n.platform.session.SessionSettings;
import com.dedw3n.platform.web.ClientAddress;
import graphql.ExecutionResult;
import graphql.GraphQLError;
import graphql.language.OperationDefinition;
import io.micrometer.observation.Observation;
import io.micrometer.observation.contextpropagation.ObservationThreadLocalAccessor;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;
import org.springframework.core.Ordered;
import org.springframework.core.annotation.Order;
import org.springframework.graphql.execution.GraphQlSource;
import org.springframework.graphql.server.WebGraphQlInterceptor;
import org.springframework.graphql.server.WebGraphQlRequest;
import org.springframework.graphql.server.WebGraphQlResponse;
import org.springframework.graphql.server.WebSocketGraphQlRequest;
import org.springframework.graphql.support.DefaultExecutionGraphQlResponse;
import org.springframework.http.HttpHeaders;
import org.springframework.stereotype.Component;
import reactor.core.publisher.Mono;

/**
 * What every GraphQL request passes before it executes, over HTTP, SSE and WebSocket alike, and
 * what its response carries after:
 *
 * <ol>
 *   <li>its strings: no NUL, no broken UTF-16 (BAD_REQUEST, {@code INVALID_STRING});
 *   <li>its document, measured against the {@link OperationLimits} (depth, aliases, root fields,
 *       directives, the parser's token limit) and validated, once per distinct text ({@link
 *       DocumentCache});
 *   <li>{@code _service}: the subgraph's whole schema, for the gateway only;
 *   <li>its static cost ({@link OperationCost}) against the cost limit ({@code QUERY_TOO_COSTLY});
 *   <li>the payer's budget: the cost is taken from it before execution (RATE_LIMITED, HTTP 429 when
 *       it does not hold that much), and the difference to the actual cost given back after (not to
 *       a partner, which pays its operation's registered price);
 *   <li>its turn to execute over HTTP ({@link ExecutionLimit}), among the heavy or the light
 *       requests by its static cost; none within the queue timeout is UNAVAILABLE ({@code
 *       SATURATED}, HTTP 503) with its cost given back;
 *   <li>the execution timeout: a request still executing then is answered UNAVAILABLE ({@code
 *       EXECUTION_TIMEOUT}) and its SQL statements are cancelled in PostgreSQL;
 *   <li>after: at most {@code maxErrors} errors, and {@code extensions.cost} (Shopify's format:
 *       requested and actual cost, and the payer's bucket).
 * </ol>
 *
 * A refused request executes nothing and costs no SQL. It runs inside the WebSocket authentication
 * interceptor (so a socket's user pays) and outside the error classification (so it sees the final
 * errors).
 */
@Component
@Order(Ordered.HIGHEST_PRECEDENCE + 100)
class OperationGuard implements WebGraphQlInterceptor {

  /** The request attribute holding the operation's name, for logs about the request. */
  static final String OPERATION_NAME = OperationGuard.class.getName() + ".operationName";

  /**
   * The request attribute holding the operation's kind once analysed, for a request answered with
   * Server-Sent Events: only a subscription ends with its session.
   */
  static final String OPERATION_KIND = OperationGuard.class.getName() + ".operationKind";

  static final String GATEWAY_SECRET_HEADER = "X-Gateway-Secret";

  private final DocumentCache documents;
  private final GraphQlSource graphQl;
  private final OperationLimits limits;
  private final Budgets budgets;
  private final ClientAddress clientAddress;
  private final PersistedQueries persisted;
  private final ExecutionLimit turns;

  private final String sessionCookie;

  OperationGuard(
      DocumentCache documents,
      GraphQlSource graphQl,
      OperationLimits limits,
      Budgets budgets,
      ClientAddress clientAddress,
      SessionSettings sessions,
      PersistedQueries persisted,
      ExecutionLimit turns) {
    this.turns = turns;
    this.sessionCookie = sessions.cookieName();
    this.persisted = persisted;
    this.documents = documents;
    this.graphQl = graphQl;
    this.limits = limits;
    this.budgets = budgets;
    this.clientAddress = clientAddress;
  }

  @Override
  public Mono<WebGraphQlResponse> intercept(WebGraphQlRequest request, Chain chain) {
    if ("".equals(request.getOperationName())) {
      // An empty name is no name, as this guard reads it (DocumentCache). graphql-java instead runs
      // the first of several operations for "", which would be a mutation by GET (a cross-site
      // link), or an operation this guard never priced: it must see null, and refuse to choose.
      request.configureExecutionInput((input, builder) -> builder.operationName(null).build());
    }
    if (request.getAttributes().get(PersistedQueries.PARTNER) instanceof Partner partner) {
      // the fields that answer for the caller (persistedOperations) know the partner
      request.configureExecutionInput(
          (input, builder) ->
              builder
                  .graphQLContext(context -> context.put(PersistedQueries.PARTNER, partner))
                  .build());
    }
    if (request instanceof WebSocketGraphQlRequest
        && persisted.refusedOverWebSocket(request.getDocument())) {
      // safelist mode: the HTTP guard checks documents before they get here; sockets, here
      return refuse(
          request,
          ErrorKind.FORBIDDEN,
          "PERSISTED_QUERY_NOT_ALLOWED",
          "Only registered operations may run here: send a registered operation's document.",
          0,
          null);
    }
    if (!limits.enabled()) {
      // nothing is priced: every query and mutation takes a heavy turn, as under one limit
      return inTurn(request, null, ExecutionLimit.UNPRICED, null, () -> chain.next(request));
    }
    // the HTTP guard names the operation if the request never gets an answer
    if (request.getAttributes().get(OPERATION_NAME) instanceof AtomicReference<?> name) {
      @SuppressWarnings("unchecked")
      var operationName = (AtomicReference<String>) name;
      operationName.set(request.getOperationName());
    }
    return guard(request, chain);
  }

  private Mono<WebGraphQlResponse> guard(WebGraphQlRequest request, Chain chain) {
    String badString = InputStrings.problemIn(request.getVariables());
    if (badString != null) {
      return refuse(request, ErrorKind.BAD_REQUEST, "INVALID_STRING", badString, 0, null);
    }
    DocumentCache.Analysis analysis =
        documents.analyse(
            request.getDocument(), request.getOperationName(), graphQl.schema(), limits);
    if (analysis instanceof DocumentCache.Refused refused) {
      return refuse(request, ErrorKind.BAD_REQUEST, refused.code(), refused.message(), 0, null);
    }
    if (!(analysis instanceof DocumentCache.Valid operation)) {
      return execute(request, chain, null, 0, null); // graphql-java reports what is wrong
    }
    if (request.getAttributes().get(OPERATION_KIND) instanceof AtomicReference<?> reference) {
      @SuppressWarnings("unchecked")
      var kind = (AtomicReference<OperationDefinition.Operation>) reference;
      kind.set(operation.kind());
    }
    if (operation.kind() == OperationDefinition.Operation.SUBSCRIPTION
        && !(request instanceof WebSocketGraphQlRequest)
        && !GraphQlHttpGuard.answeredWithEvents(request.getHeaders())) {
      // answered with JSON, its stream would be serialised as an object: HTTP 200 and nonsense
      return refuse(
          request,
          ErrorKind.BAD_REQUEST,
          "SUBSCRIPTION_NEEDS_A_STREAM",
          "A subscription is answered over a WebSocket (graphql-transport-ws) or with Server-Sent"
              + " Events (Accept: text/event-stream), not with one JSON response.",
          0,
          null);
    }
    if (operation.readsServiceSdl() && !mayReadServiceSdl(request)) {
      return refuse(
          request,
          ErrorKind.FORBIDDEN,
          "SERVICE_SDL_FORBIDDEN",
          "_service is for the federation gateway: send its " + GATEWAY_SECRET_HEADER + " header.",
          0,
          null);
    }
    // every request costs at least one point, introspection and __typename included; a partner
    // pays its operation's registered price, or what its variables can cost when that is more:
    // the price sizes every page at its largest, but no page size bounds a list variable such as
    // _entities' representations, thousands of which fit in one body
    Partner partner = (Partner) request.getAttributes().get(PersistedQueries.PARTNER);
    long cost =
        partner != null
            ? Math.max(
                (Long) request.getAttributes().get(PersistedQueries.PRICE),
                operation.plan().staticCost(request.getVariables()))
            : Math.max(1, operation.plan().staticCost(request.getVariables()));
    if (operation.plan().oversized()) {
      return refuse(
          request,
          ErrorKind.BAD_REQUEST,
          "QUERY_TOO_LARGE",
          "The query selects more than "
              + OperationCost.MAX_NODES
              + " fields once its fragments are spread. Select fewer fields, or nest fewer lists.",
          0,
          null);
    }
    if (cost > limits.maxCost()) {
      return refuse(
          request,
          ErrorKind.BAD_REQUEST,
          "QUERY_TOO_COSTLY",
          "The query may cost "
              + cost
              + " points; the limit is "
              + limits.maxCost()
              + ". Ask for smaller pages (first/last) or fewer nested lists.",
          0,
          cost(cost, null, null, 0));
    }
    if (!budgets.enabled()) {
      return execute(request, chain, operation, cost, null);
    }
    if (partner != null) {
      return charge(request, chain, operation, cost, partner.payer());
    }
    Payer anonymous = anonymousPayer(request);
    if (anonymous != null) {
      return charge(request, chain, operation, cost, anonymous);
    }
    return Viewer.current()
        .<Object>map(viewer -> Payer.user(viewer.userId()))
        .defaultIfEmpty(addressPayer(request))
        // a session store that cannot answer fails the request closed, before anything runs
        .onErrorResume(ApiException.class, Mono::just)
        .flatMap(
            payer ->
                payer instanceof ApiException refused
                    ? refuse(
                        request,
                        refused.kind(),
                        refused.code(),
                        refused.getMessage(),
                        refused.retryAfterSeconds(),
                        null)
                    : charge(request, chain, operation, cost, (Payer) payer));
  }

  /** Takes the cost from the payer's budget, then executes; or refuses. */
  private Mono<WebGraphQlResponse> charge(
      WebGraphQlRequest request,
      Chain chain,
      DocumentCache.Valid operation,
      long cost,
      Payer payer) {
    BudgetSettings.Rate rate = budgets.costRate(payer);
    if (cost > rate.capacity()) {
      return refuse(
          request,
          ErrorKind.BAD_REQUEST,
          "QUERY_TOO_COSTLY",
          "The query may cost "
              + cost
              + " points, more than your budget holds ("
              + rate.capacity()
              + ").",
          0,
          cost(cost, null, null, 0));
    }
    Budgets.Spent now = budgets.takeNow(payer.costKey(), rate, cost);
    if (now != null) {
      return charged(request, chain, operation, cost, rate, now);
    }
    return budgets
        .take(payer.costKey(), rate, cost)
        .flatMap(spent -> charged(request, chain, operation, cost, rate, spent));
  }

  private Mono<WebGraphQlResponse> charged(
      WebGraphQlRequest request,
      Chain chain,
      DocumentCache.Valid operation,
      long cost,
      BudgetSettings.Rate rate,
      Budgets.Spent spent) {
    if (spent.allowed()) {
      return execute(request, chain, operation, cost, spent);
    }
    budgets.refused("cost");
    return refuse(
        request,
        ErrorKind.RATE_LIMITED,
        "RATE_LIMITED",
        "Query cost budget spent: this query may cost "
            + cost
            + " points and "
            + spent.remaining()
            + " are left; "
            + (long) rate.perSecond()
            + " come back every second. Retry in "
            + spent.retryAfterSeconds()
            + " s.",
        spent.retryAfterSeconds(),
        cost(cost, null, spent, 0));
  }

  /** Executes within the timeout; prices the response and bounds its errors. */
  private Mono<WebGraphQlResponse> execute(
      WebGraphQlRequest request,
      Chain chain,
      DocumentCache.@Nullable Valid operation,
      long cost,
      Budgets.@Nullable Spent spent) {
    String name = operation != null ? operation.name() : request.getOperationName();
    return Mono.deferContextual(
        context -> {
          // the operation's observation (OperationObservation): its statements' log lines carry
          // its trace
          Observation observation = context.getOrDefault(ObservationThreadLocalAccessor.KEY, null);
          RequestStatements statements =
              new RequestStatements(name, observation == null ? null : observation.getContext());
          // the observation around this request tags it by the name the document gives
          context
              .<AtomicReference<String>>getOrEmpty(OperationObservation.RESOLVED_NAME)
              .ifPresent(resolved -> resolved.set(name));
          return inTurn(
              request,
              operation,
              cost,
              spent,
              () -> executeWithin(request, chain, operation, cost, spent, statements));
        });
  }

  /**
   * Runs a query or mutation over HTTP under a turn of the {@link ExecutionLimit}, of the class its
   * static cost puts it in; its execution timeout starts with its turn. Subscriptions (over SSE)
   * and anything over a WebSocket live as long as their client and take no turn. A request that
   * gets no turn in time is answered UNAVAILABLE ({@code SATURATED}, HTTP 503, Retry-After 1) and
   * given its cost back.
   */
  private Mono<WebGraphQlResponse> inTurn(
      WebGraphQlRequest request,
      DocumentCache.@Nullable Valid operation,
      long cost,
      Budgets.@Nullable Spent spent,
      Supplier<Mono<WebGraphQlResponse>> execution) {
    // by what the operation is, not by what the client accepts: urql accepts text/event-stream
    // with every query and mutation, and anyone may send it
    boolean lasting =
        request instanceof WebSocketGraphQlRequest
            || (operation != null && operation.kind() == OperationDefinition.Operation.SUBSCRIPTION)
            || (operation == null && GraphQlHttpGuard.answeredWithEvents(request.getHeaders()));
    if (lasting) {
      return execution.get();
    }
    return turns
        .run(cost, execution)
        .onErrorResume(
            ExecutionLimit.Saturated.class,
            e -> {
              if (spent != null && spent.allowed()) {
                budgets.giveBack(spent, cost);
              }
              return refuse(request, ErrorKind.UNAVAILABLE, "SATURATED", e.getMessage(), 1, null);
            });
  }

  private Mono<WebGraphQlResponse> executeWithin(
      WebGraphQlRequest request,
      Chain chain,
      DocumentCache.@Nullable Valid operation,
      long cost,
      Budgets.@Nullable Spent spent,
      RequestStatements statements) {
    return Deadlines.within(
            chain.next(request),
            limits.executionTimeout(),
            // after the timeout has cancelled the execution, which reaches no statement (data
            // fetchers run as futures); from a hook before it, a statement could fail with its
            // cancel first, and the request answer that instead of EXECUTION_TIMEOUT
            () -> {
              statements.cancel();
              return refuse(
                  request,
                  ErrorKind.UNAVAILABLE,
                  "EXECUTION_TIMEOUT",
                  "The request ran for more than "
                      + limits.executionTimeout().toSeconds()
                      + " s and was stopped; its database work was cancelled.",
                  1,
                  null);
            })
        .doOnCancel(statements::cancel)
        .contextWrite(context -> context.put(RequestStatements.KEY, statements))
        .map(
            response ->
                finish(
                    response,
                    operation,
                    cost,
                    spent,
                    request.getAttributes().get(PersistedQueries.PARTNER) != null,
                    request.getAttributes().containsKey(PersistedQueries.CACHE_FOR)));
  }

  private WebGraphQlResponse finish(
      WebGraphQlResponse response,
      DocumentCache.@Nullable Valid operation,
      long cost,
      Budgets.@Nullable Spent spent,
      boolean registeredPrice,
      boolean shared) {
    ExecutionResult result = response.getExecutionResult();
    List<GraphQLError> errors = result.getErrors();
    boolean tooManyErrors = errors.size() > limits.maxErrors();
    boolean priced =
        operation != null && operation.kind() != OperationDefinition.Operation.SUBSCRIPTION;
    if (!tooManyErrors && !priced) {
      return response;
    }
    return response.transform(
        builder -> {
          if (tooManyErrors) {
            List<GraphQLError> kept = new ArrayList<>(errors.subList(0, limits.maxErrors() - 1));
            kept.add(
                GraphQlErrors.refusal(
                    ErrorKind.BAD_REQUEST,
                    "TOO_MANY_ERRORS",
                    (errors.size() - kept.size())
                        + " more errors were left out; at most "
                        + limits.maxErrors()
                        + " are reported.",
                    0));
            builder.errors(kept);
          }
          if (priced) {
            long actual = Math.max(1, operation.plan().actualCost(result.getData()));
            // a partner pays its operation's registered price, whatever the call turned out to
            // cost: that is the price it was shown and agreed to, so nothing is given back
            long givenBack =
                spent == null || !spent.allowed() || registeredPrice
                    ? 0
                    : cost - Math.min(cost, actual);
            if (spent != null) {
              budgets.giveBack(spent, givenBack);
            }
            Map<Object, Object> extensions = new LinkedHashMap<>();
            if (result.getExtensions() != null) {
              extensions.putAll(result.getExtensions());
            }
            // an answer browsers and CDNs may keep for everyone (a public read by GET) tells
            // nobody's budget: it would be handed to others, and change the answer's ETag with
            // every request
            extensions.put("cost", cost(cost, actual, shared ? null : spent, givenBack));
            builder.extensions(extensions);
          }
        });
  }

  /** Shopify's {@code extensions.cost}: requested and actual cost, and the payer's bucket. */
  private Map<String, Object> cost(
      long requested, @Nullable Long actual, Budgets.@Nullable Spent spent, long givenBack) {
    Map<String, Object> cost = new LinkedHashMap<>();
    cost.put("requestedQueryCost", requested);
    cost.put("actualQueryCost", actual);
    if (spent != null) {
      cost.put(
          "throttleStatus",
          Map.of(
              "maximumAvailable",
              spent.rate().capacity(),
              "currentlyAvailable",
              Math.min(spent.rate().capacity(), spent.remaining() + givenBack),
              "restoreRate",
              spent.rate().perSecond()));
    }
    return cost;
  }

  /**
   * The payer of a request that cannot be signed in: over HTTP, one with neither a session cookie
   * nor a bearer token (nothing to look up). Null when the request may carry a signed-in user.
   */
  private @Nullable Payer anonymousPayer(WebGraphQlRequest request) {
    if (request instanceof WebSocketGraphQlRequest
        || request.getCookies().containsKey(sessionCookie)
        || request.getHeaders().containsHeader(HttpHeaders.AUTHORIZATION)) {
      return null;
    }
    return addressPayer(request);
  }

  private Payer addressPayer(WebGraphQlRequest request) {
    return Payer.address(clientAddress.of(request.getRemoteAddress(), request.getHeaders()));
  }

  private boolean mayReadServiceSdl(WebGraphQlRequest request) {
    return limits.serviceOpen() || isGateway(request.getHeaders(), limits);
  }

  /** Whether a request carries the gateway's secret. */
  static boolean isGateway(HttpHeaders headers, OperationLimits limits) {
    byte[] secret = limits.gatewaySecret().getBytes(StandardCharsets.UTF_8);
    String given = headers.getFirst(GATEWAY_SECRET_HEADER);
    return secret.length > 0
        && given != null
        && MessageDigest.isEqual(secret, given.getBytes(StandardCharsets.UTF_8));
  }

  /** A response that executed nothing: one error, and the cost when there is one. */
  private static Mono<WebGraphQlResponse> refuse(
      WebGraphQlRequest request,
      ErrorKind kind,
      String code,
      String message,
      long retryAfter,
      @Nullable Map<String, Object> cost) {
    ExecutionResult.Builder<?> result =
        ExecutionResult.newExecutionResult()
            .addError(GraphQlErrors.refusal(kind, code, message, retryAfter));
    if (cost != null) {
      result.extensions(Map.of("cost", cost));
    }
    return Mono.just(
        new WebGraphQlResponse(
            new DefaultExecutionGraphQlResponse(request.toExecutionInput(), result.build())));
  }
}
