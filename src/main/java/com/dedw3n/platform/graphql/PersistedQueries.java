package com.dedw3n.platform.graphql;

import com.dedw3n.platform.RedisEnvironment;
import com.dedw3n.platform.budget.Action;
import com.dedw3n.platform.budget.Budgets;
import com.dedw3n.platform.db.DatabaseErrors;
import com.dedw3n.platform.partner.Partner;
import com.dedw3n.platform.partner.Partners;
import com.dedw3n.platform.session.SessionContextRepository;
import com.dedw3n.platform.session.SessionSettings;
import com.dedw3n.platform.web.ClientAddress;
import graphql.language.OperationDefinition;
import java.time.Duration;
import java.util.Locale;
import java.util.Optional;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.core.env.Environment;
import org.springframework.data.redis.core.ReactiveStringRedisTemplate;
import org.springframework.graphql.execution.GraphQlSource;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatus;
import org.springframework.http.server.reactive.ServerHttpRequest;
import org.springframework.stereotype.Component;
import org.springframework.util.MultiValueMap;
import org.springframework.web.server.ServerWebExchange;
import reactor.core.publisher.Mono;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ObjectNode;

/**
 * Turns a request that names its operation by hash into one that carries the document, before
 * spring-graphql reads it, and refuses what may not run:
 *
 * <ul>
 *   <li><b>Partners</b> (an API key in {@code X-Api-Key} or {@code Authorization: Bearer dpk_...})
 *       send only ids of the manifest's operations they are allowed, never a document, and pay the
 *       operation's registered price;
 *   <li><b>the apps</b> may send Apollo's automatic persisted queries: a hash alone runs a
 *       registered operation or a document registered earlier, or is answered {@code
 *       PersistedQueryNotFound} (HTTP 200, so Apollo Client and urql send the document again); a
 *       hash with its document registers it once the hash matches;
 *   <li>in <b>safelist</b> mode, only the manifest's operations run, for everyone;
 *   <li>the id may also come as GraphQL-over-HTTP's {@code documentId} ({@code sha256:<hex>} or the
 *       hex alone).
 * </ul>
 *
 * Every refusal is an {@link Refused} with the HTTP status to answer, and executes nothing.
 */
@Component
final class PersistedQueries {

  /** Request attribute: the partner whose key the request carries. */
  static final String PARTNER = "dedw3n.persisted-queries.partner";

  /** Request attribute: the registered price the partner pays for this request. */
  static final String PRICE = PersistedQueries.class.getName() + ".price";

  /** Request attribute: how long the response may be cached publicly (a GET that may be). */
  static final String CACHE_FOR = PersistedQueries.class.getName() + ".cacheFor";

  /** Request attribute: the request came as a GET (never cached unless {@link #CACHE_FOR}). */
  static final String BY_GET = PersistedQueries.class.getName() + ".get";

  static final String API_KEY_HEADER = "X-Api-Key";

  /** The registered operation that lists a partner's operations and prices (api/). */
  static final String PRICE_LIST = "persistedOperations";

  private static final Pattern SHA256 = Pattern.compile("[0-9a-fA-F]{64}");
  private static final byte[] PERSISTED_QUERY = "\"persistedQuery\"".getBytes();
  private static final byte[] DOCUMENT_ID = "\"documentId\"".getBytes();

  /** A refusal before anything ran, with the HTTP status to answer it with. */
  static final class Refused extends RuntimeException {
    final HttpStatus status;
    final ApiException error;

    Refused(HttpStatus status, ErrorKind kind, String code, String message) {
      this(status, new ApiException(kind, code, message, 0));
    }

    Refused(HttpStatus status, ApiException error) {
      super(error.getMessage(), null, false, false);
      this.status = status;
      this.error = error;
    }
  }

  private final PersistedQuerySettings settings;
  private final TrustedDocuments trusted;
  private final AutomaticPersistedQueries automatic;
  private final Partners partners;
  private final Budgets budgets;
  private final ClientAddress clientAddress;
  private final DocumentCache documents;
  private final GraphQlSource graphQl;
  private final OperationLimits limits;
  private final JsonMapper json;
  private final String sessionCookie;

  PersistedQueries(
      PersistedQuerySettings settings,
      TrustedDocuments trusted,
      Partners partners,
      DocumentCache documents,
      GraphQlSource graphQl,
      OperationLimits limits,
      JsonMapper json,
      SessionSettings sessions,
      Environment environment,
      ObjectProvider<ReactiveStringRedisTemplate> redis,
      Budgets budgets,
      ClientAddress clientAddress) {
    this.settings = settings;
    this.budgets = budgets;
    this.clientAddress = clientAddress;
    this.trusted = trusted;
    this.partners = partners;
    this.documents = documents;
    this.graphQl = graphQl;
    this.limits = limits;
    this.json = json;
    this.sessionCookie = sessions.cookieName();
    boolean shared = environment.getProperty(RedisEnvironment.ENABLED, Boolean.class, false);
    this.automatic =
        new AutomaticPersistedQueries(
            // the cache weighs documents in chars, two bytes each at most
            settings.automaticLocalCache().toBytes() / 2,
            shared ? redis.getObject() : null,
            settings.redisKeyPrefix(),
            settings.automaticTtl(),
            settings.automaticMaxEntries());
  }

  /**
   * Whether the request must be read before spring-graphql sees it: a partner's, a GET, safelist
   * mode, or a body that mentions a persisted query. Others pass untouched (and unparsed).
   */
  boolean concerns(ServerHttpRequest request, byte[] body) {
    return settings.safelist()
        || partnerKey(request.getHeaders()) != null
        || contains(body, PERSISTED_QUERY)
        || contains(body, DOCUMENT_ID);
  }

  /** A joined request body's bytes (the buffer is released). */
  static byte[] bytes(org.springframework.core.io.buffer.DataBuffer buffer) {
    try {
      byte[] bytes = new byte[buffer.readableByteCount()];
      buffer.read(bytes);
      return bytes;
    } finally {
      org.springframework.core.io.buffer.DataBufferUtils.release(buffer);
    }
  }

  /** The body of a GET: GraphQL over HTTP's parameters as the JSON a POST would carry. */
  ObjectNode fromParameters(MultiValueMap<String, String> parameters) {
    ObjectNode body = json.createObjectNode();
    copyText(parameters, "query", body);
    copyText(parameters, "operationName", body);
    copyText(parameters, "documentId", body);
    copyJson(parameters, "variables", body);
    copyJson(parameters, "extensions", body);
    return body;
  }

  /** Reads a POST's body (already known to be JSON by its Content-Type). */
  ObjectNode read(byte[] body) {
    try {
      if (json.readTree(body) instanceof ObjectNode object) {
        return object;
      }
    } catch (JacksonException e) {
      // answered below
    }
    throw new Refused(
        HttpStatus.BAD_REQUEST,
        ErrorKind.BAD_REQUEST,
        "INVALID_REQUEST",
        "The request body is not a GraphQL request: it must be a JSON object with a \"query\""
            + " string and optional \"operationName\" and \"variables\".");
  }

  byte[] write(ObjectNode body) {
    return json.writeValueAsBytes(body);
  }

  /**
   * A key this instance does not know costs a database statement before any other budget or limit
   * applies, so each address may try only so many (a refusal is 429 with Retry-After); the token
   * taken, if any, to give back when the key is found. A partner's key, once found, is known here
   * for a day: its lookups when the cache forgets it spend nothing, whoever else shares its
   * address.
   */
  private Mono<Optional<Budgets.Spent>> admitKeyLookup(ServerWebExchange exchange, String key) {
    if (partners.known(key)) {
      return Mono.just(Optional.empty());
    }
    return budgets
        .spend(Action.PARTNER_KEY_ADDRESS, clientAddress.of(exchange.getRequest()))
        .map(Optional::of)
        .defaultIfEmpty(Optional.empty())
        .onErrorMap(ApiException.class, e -> new Refused(HttpStatus.TOO_MANY_REQUESTS, e));
  }

  /**
   * The request with its document resolved, or a {@link Refused} error; registers a document sent
   * with its hash. Sets the request attributes the rest of the way reads ({@link #PARTNER}, {@link
   * #PRICE}, {@link #CACHE_FOR}).
   */
  Mono<ObjectNode> resolve(ServerWebExchange exchange, ObjectNode body, boolean byGet) {
    HttpHeaders headers = exchange.getRequest().getHeaders();
    String query = text(body, "query");
    String id = requestedId(body);
    String key = partnerKey(headers);
    if (byGet) {
      exchange.getAttributes().put(BY_GET, Boolean.TRUE);
    }
    if (key != null) {
      return admitKeyLookup(exchange, key)
          .flatMap(
              spent ->
                  partners
                      .byKey(key)
                      // a key found costs nothing: only guesses spend the address's budget
                      .doOnNext(found -> spent.ifPresent(taken -> budgets.giveBack(taken, 1))))
          // a 503 with Retry-After, as for any request while the database is away
          .onErrorMap(
              e -> isUnavailable(DatabaseErrors.classify(e)),
              e -> new Refused(HttpStatus.SERVICE_UNAVAILABLE, DatabaseErrors.classify(e)))
          .switchIfEmpty(
              Mono.error(
                  () ->
                      new Refused(
                          HttpStatus.UNAUTHORIZED,
                          ErrorKind.UNAUTHORIZED,
                          "PARTNER_KEY_INVALID",
                          "This API key is unknown or revoked.")))
          .map(partner -> forPartner(exchange, body, partner, query, id));
    }
    if (id == null) {
      if (query != null && settings.safelist() && !fromGateway(headers)) {
        if (!trusted.registers(query)) {
          throw notRegistered();
        }
      }
      return Mono.just(body);
    }
    body.remove("documentId");
    if (query != null) {
      if (!PersistedQueryManifest.sha256(query).equals(id)) {
        throw hashMismatch();
      }
      if (trusted.byId(id) != null) {
        return Mono.just(cacheable(exchange, body, byGet));
      }
      if (settings.safelist() && !trusted.registers(query)) {
        throw notRegistered();
      }
      return register(id, query, text(body, "operationName"))
          .thenReturn(cacheable(exchange, body, byGet));
    }
    TrustedDocuments.Trusted registered = trusted.byId(id);
    if (registered != null) {
      body.put("query", registered.body());
      return Mono.just(cacheable(exchange, body, byGet));
    }
    // Apollo's message for an unknown hash, also where nothing is registered by hash: urql's
    // persistedExchange (and Apollo Client before 3.8) send the document only on that message
    if (!settings.automatic()) {
      throw new Refused(
          HttpStatus.NOT_FOUND,
          ErrorKind.NOT_FOUND,
          "PERSISTED_QUERY_NOT_FOUND",
          "PersistedQueryNotFound");
    }
    Mono<String> found = automatic.find(id);
    if (settings.safelist()) {
      // an app's form of a registered operation, kept when the app sent it in full; checked
      // again here, since the store may hold documents of the time before safelist mode
      found = found.filter(trusted::registers);
    }
    // Apollo's protocol: the message is what its clients look for; 200 so that no client takes it
    // for a server that does not support persisted queries (in safelist mode, 404 as for any id
    // that no registered operation has)
    HttpStatus unknown = settings.safelist() ? HttpStatus.NOT_FOUND : HttpStatus.OK;
    return found
        .map(
            document -> {
              body.put("query", document);
              return cacheable(exchange, body, byGet);
            })
        .switchIfEmpty(
            Mono.error(
                () ->
                    new Refused(
                        unknown,
                        ErrorKind.NOT_FOUND,
                        "PERSISTED_QUERY_NOT_FOUND",
                        "PersistedQueryNotFound")));
  }

  /**
   * Whether safelist mode refuses this document sent over a WebSocket (where requests carry their
   * document: graphql-ws has no persisted queries).
   */
  boolean refusedOverWebSocket(String document) {
    return settings.safelist() && !trusted.registers(document);
  }

  /** The kind of the operation a resolved request asks for; null when it does not validate. */
  OperationDefinition.@Nullable Operation kindOf(ObjectNode body) {
    String query = text(body, "query");
    if (query == null) {
      return null;
    }
    DocumentCache.Analysis analysis =
        documents.analyse(query, text(body, "operationName"), graphQl.schema(), limits);
    return analysis instanceof DocumentCache.Valid valid ? valid.kind() : null;
  }

  private ObjectNode forPartner(
      ServerWebExchange exchange,
      ObjectNode body,
      Partner partner,
      @Nullable String query,
      @Nullable String id) {
    if (query != null && id != null && !PersistedQueryManifest.sha256(query).equals(id)) {
      throw hashMismatch();
    }
    if (query != null || id == null) {
      throw new Refused(
          HttpStatus.BAD_REQUEST,
          ErrorKind.BAD_REQUEST,
          "PERSISTED_QUERY_REQUIRED",
          "Partners send a registered operation's id (extensions.persistedQuery.sha256Hash or"
              + " documentId), never a document.");
    }
    TrustedDocuments.Trusted operation = trusted.byId(id);
    if (operation == null) {
      throw new Refused(
          HttpStatus.NOT_FOUND,
          ErrorKind.NOT_FOUND,
          "PERSISTED_QUERY_NOT_FOUND",
          "No registered operation has this id.");
    }
    if (!mayCall(partner, operation)) {
      throw new Refused(
          HttpStatus.FORBIDDEN,
          ErrorKind.FORBIDDEN,
          "PERSISTED_QUERY_NOT_ALLOWED",
          "This partner may not call the operation " + operation.name() + ".");
    }
    body.remove("documentId");
    body.put("query", operation.body());
    body.put("operationName", operation.name());
    exchange.getAttributes().put(PARTNER, partner);
    exchange.getAttributes().put(PRICE, operation.price());
    return body;
  }

  /**
   * Whether a partner may call a registered operation: those its record allows, and always the list
   * of its operations and prices ({@value #PRICE_LIST}), which it needs to call any of them.
   */
  static boolean mayCall(Partner partner, TrustedDocuments.Trusted operation) {
    return partner.mayCall(operation.id()) || PRICE_LIST.equals(operation.name());
  }

  /**
   * Registers a document sent with its hash, if it is one worth keeping: valid and not huge (in
   * safelist mode, the caller admitted it as a registered operation in an app's form).
   */
  private Mono<Void> register(String id, String query, @Nullable String operationName) {
    if (!settings.automatic()
        || query.length() > settings.automaticMaxDocument().toBytes()
        || !(documents.analyse(query, operationName, graphQl.schema(), limits)
            instanceof DocumentCache.Valid)) {
      return Mono.empty();
    }
    return automatic.register(id, query);
  }

  /** A public read by GET of a known operation may be cached, for as long as it is configured. */
  private ObjectNode cacheable(ServerWebExchange exchange, ObjectNode body, boolean byGet) {
    if (!byGet || !anonymous(exchange.getRequest())) {
      return body;
    }
    String name = text(body, "operationName");
    Duration maxAge = name == null ? null : settings.maxAge().get(name);
    if (maxAge != null && !maxAge.isZero()) {
      exchange.getAttributes().put(CACHE_FOR, maxAge);
    }
    return body;
  }

  /** No session cookie, no token, no key: nothing in the answer can depend on who asks. */
  private boolean anonymous(ServerHttpRequest request) {
    return !request.getCookies().containsKey(sessionCookie)
        && !request.getHeaders().containsHeader(HttpHeaders.AUTHORIZATION)
        && !request.getHeaders().containsHeader(API_KEY_HEADER);
  }

  private boolean fromGateway(HttpHeaders headers) {
    return OperationGuard.isGateway(headers, limits);
  }

  private static Refused hashMismatch() {
    return new Refused(
        HttpStatus.BAD_REQUEST,
        ErrorKind.BAD_REQUEST,
        "PERSISTED_QUERY_HASH_MISMATCH",
        "The persisted query's sha256Hash is not the SHA-256 of the query sent with it.");
  }

  private static Refused notRegistered() {
    return new Refused(
        HttpStatus.FORBIDDEN,
        ErrorKind.FORBIDDEN,
        "PERSISTED_QUERY_NOT_ALLOWED",
        "Only registered operations may run here: send a registered operation's id.");
  }

  /** The id the request names (lower-case hex), or null; a malformed one is refused. */
  private static @Nullable String requestedId(ObjectNode body) {
    String id = null;
    JsonNode extensions = body.get("extensions");
    if (extensions != null && !extensions.isNull()) {
      if (!extensions.isObject()) {
        throw invalid("\"extensions\" must be a JSON object.");
      }
      JsonNode persisted = extensions.get("persistedQuery");
      if (persisted != null && !persisted.isNull()) {
        if (!persisted.isObject()) {
          throw invalid("extensions.persistedQuery must be a JSON object.");
        }
        if (persisted.path("version").asInt(-1) != 1) {
          throw new Refused(
              HttpStatus.BAD_REQUEST,
              ErrorKind.BAD_REQUEST,
              "PERSISTED_QUERY_VERSION_UNSUPPORTED",
              "Only version 1 of persisted queries is supported (extensions.persistedQuery.version:"
                  + " 1).");
        }
        id = hash(persisted.get("sha256Hash"), "extensions.persistedQuery.sha256Hash");
      }
    }
    JsonNode documentId = body.get("documentId");
    if (documentId != null && !documentId.isNull()) {
      String value = documentId.isString() ? documentId.asString() : "";
      if (value.startsWith("sha256:")) {
        value = value.substring("sha256:".length());
      }
      String named = hash(json(value), "documentId");
      if (id != null && !id.equals(named)) {
        throw invalid("documentId and extensions.persistedQuery name different operations.");
      }
      id = named;
    }
    return id;
  }

  private static JsonNode json(String text) {
    return tools.jackson.databind.node.JsonNodeFactory.instance.stringNode(text);
  }

  private static String hash(@Nullable JsonNode value, String where) {
    if (value == null || !value.isString() || !SHA256.matcher(value.asString()).matches()) {
      throw invalid(where + " must be a SHA-256 hash: 64 hexadecimal digits.");
    }
    return value.asString().toLowerCase(Locale.ROOT);
  }

  private static Refused invalid(String message) {
    return new Refused(
        HttpStatus.BAD_REQUEST, ErrorKind.BAD_REQUEST, "PERSISTED_QUERY_INVALID", message);
  }

  private static @Nullable String text(ObjectNode body, String field) {
    JsonNode value = body.get(field);
    if (value == null || value.isNull()) {
      return null;
    }
    if (!value.isString()) {
      throw new Refused(
          HttpStatus.BAD_REQUEST,
          ErrorKind.BAD_REQUEST,
          "INVALID_REQUEST",
          "\"" + field + "\" must be a string.");
    }
    return value.asString();
  }

  /** Whether a classified database error is an outage (the others are the request's own). */
  private static boolean isUnavailable(@Nullable ApiException error) {
    return error != null && error.kind() == ErrorKind.UNAVAILABLE;
  }

  /** The partner key of a request: {@code X-Api-Key}, or a bearer token that is one. */
  static @Nullable String partnerKey(HttpHeaders headers) {
    String key = headers.getFirst(API_KEY_HEADER);
    if (key != null) {
      return key.strip();
    }
    String token = SessionContextRepository.bearer(headers);
    return Partners.isKey(token) ? token : null;
  }

  private void copyText(MultiValueMap<String, String> parameters, String name, ObjectNode body) {
    String value = parameters.getFirst(name);
    if (value != null) {
      body.put(name, value);
    }
  }

  private void copyJson(MultiValueMap<String, String> parameters, String name, ObjectNode body) {
    String value = parameters.getFirst(name);
    if (value == null || value.isEmpty()) {
      return;
    }
    try {
      body.set(name, json.readTree(value));
    } catch (JacksonException e) {
      throw new Refused(
          HttpStatus.BAD_REQUEST,
          ErrorKind.BAD_REQUEST,
          "INVALID_REQUEST",
          "The " + name + " parameter must be JSON.");
    }
  }

  private static boolean contains(byte[] body, byte[] what) {
    outer:
    for (int i = 0; i <= body.length - what.length; i++) {
      for (int j = 0; j < what.length; j++) {
        if (body[i + j] != what[j]) {
          continue outer;
        }
      }
      return true;
    }
    return false;
  }
}
