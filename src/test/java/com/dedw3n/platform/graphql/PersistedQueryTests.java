package com.dedw3n.platform.graphql;

import static org.assertj.core.api.Assertions.assertThat;

import com.dedw3n.ApiTests;
import com.dedw3n.platform.partner.Partners;
import com.dedw3n.platform.session.SessionSettings;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.function.Function;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.core.env.Environment;
import org.springframework.data.redis.core.ReactiveStringRedisTemplate;
import org.springframework.graphql.execution.GraphQlSource;
import org.springframework.http.HttpHeaders;
import org.springframework.http.MediaType;
import org.springframework.mock.http.server.reactive.MockServerHttpRequest;
import org.springframework.mock.web.server.MockServerWebExchange;
import org.springframework.test.web.reactive.server.EntityExchangeResult;
import org.springframework.web.util.UriBuilder;
import tools.jackson.databind.json.JsonMapper;

/**
 * Persisted queries over HTTP: partners' trusted documents, the apps' automatic persisted queries
 * (exactly as Apollo Client's persisted query link sends them), and queries by GET with HTTP
 * caching. Every refusal executes nothing.
 */
class PersistedQueryTests extends ApiTests {

  /** What Apollo Client 4's HttpLink sends as Accept. */
  static final String APOLLO_ACCEPT = "application/graphql-response+json,application/json;q=0.9";

  @Autowired TrustedDocuments trusted;
  @Autowired Partners partners;

  // --- partners -------------------------------------------------------------------------------

  @Test
  void aPartnerCallsTheOperationsItIsAllowedByIdAndNothingElse() {
    String key = partner(List.of("productFeed", "persistedOperations"), 1_000_000);
    Map<String, Object> feed = byId("productFeed", Map.of("category", "books", "first", 2));

    var allowed = post(feed, HttpHeaders.AUTHORIZATION, "Bearer " + key);
    assertThat(allowed.getStatus().value()).isEqualTo(200);
    assertThat(body(allowed)).containsKey("data").doesNotContainKey("errors");
    // the same with X-Api-Key
    assertThat(body(post(feed, "X-Api-Key", key))).doesNotContainKey("errors");

    var notAllowed = post(byId("productDetail", Map.of("id", "1")), "X-Api-Key", key);
    assertThat(notAllowed.getStatus().value()).isEqualTo(403);
    assertThat(code(notAllowed)).isEqualTo("PERSISTED_QUERY_NOT_ALLOWED");

    Map<String, Object> withDocument = new LinkedHashMap<>(feed);
    withDocument.put("query", operation("productFeed").body());
    var document = post(withDocument, "X-Api-Key", key);
    assertThat(document.getStatus().value()).isEqualTo(400);
    assertThat(code(document)).isEqualTo("PERSISTED_QUERY_REQUIRED");

    var plainQuery = post(Map.of("query", "{ __typename }"), "X-Api-Key", key);
    assertThat(code(plainQuery)).isEqualTo("PERSISTED_QUERY_REQUIRED");

    var unknown =
        post(
            Map.of("extensions", persisted(PersistedQueryManifest.sha256("{ __typename }"))),
            "X-Api-Key",
            key);
    assertThat(unknown.getStatus().value()).isEqualTo(404);
    assertThat(code(unknown)).isEqualTo("PERSISTED_QUERY_NOT_FOUND");

    // GraphQL over HTTP's documentId names the operation too
    var byDocumentId =
        post(
            Map.of(
                "documentId",
                "sha256:" + operation("productFeed").id(),
                "variables",
                Map.of("category", "books", "first", 1)),
            "X-Api-Key",
            key);
    assertThat(body(byDocumentId)).doesNotContainKey("errors");
  }

  @Test
  void aPartnerPaysItsOperationsRegisteredPricesFromItsOwnBudget() {
    // one point a second: the bucket hardly refills while the test runs
    String key = partner(List.of("productFeed", "persistedOperations"), 50_000, 1);
    long price = operation("productFeed").price();

    var listing = post(byId("persistedOperations", Map.of()), "X-Api-Key", key);
    @SuppressWarnings("unchecked")
    var listed =
        (List<Map<String, Object>>)
            ((Map<String, Object>) body(listing).get("data")).get("persistedOperations");
    assertThat(listed)
        .extracting(o -> o.get("name"))
        .containsExactly("persistedOperations", "productFeed");
    assertThat(listed)
        .filteredOn(o -> o.get("name").equals("productFeed"))
        .extracting(o -> ((Number) o.get("price")).longValue())
        .containsExactly(price);
    // the price is the cost with pages at their largest (100 products, 3 reviews each): more than
    // a small page costs
    assertThat(price).isGreaterThan(100);
    long afterListing = available(listing);
    assertThat(afterListing).isEqualTo(50_000 - operation("persistedOperations").price());

    // a page of one costs far less than the price, and the partner pays the price all the same
    Map<String, Object> smallPage = byId("productFeed", Map.of("category", "books", "first", 1));
    var small = post(smallPage, "X-Api-Key", key);
    var cost = cost(small);
    assertThat(((Number) cost.get("requestedQueryCost")).longValue()).isEqualTo(price);
    assertThat(((Number) cost.get("actualQueryCost")).longValue()).isLessThan(price - 50);
    @SuppressWarnings("unchecked")
    var throttle = (Map<String, Object>) cost.get("throttleStatus");
    assertThat(((Number) throttle.get("maximumAvailable")).longValue()).isEqualTo(50_000);
    // what the bucket holds, not only what the response says: a second call finds both prices
    // gone (give or take the few points a slow test run refills)
    assertThat(available(small)).isBetween(afterListing - price, afterListing - price + 20);
    assertThat(available(post(smallPage, "X-Api-Key", key)))
        .isBetween(afterListing - 2 * price, afterListing - 2 * price + 20);
  }

  /**
   * A partner allowed the gateway's entities operation pays its price for a batch of the usual
   * size, and what the batch can cost when it is larger than any page: 3,000 representations are
   * over the cost limit, as they are for anyone else.
   */
  @Test
  void aPartnersEntitiesBeyondAPageCostWhatTheyCanCost() {
    String key = partner(List.of("entities"), 1_000_000);
    long price = operation("entities").price();
    Map<String, Object> product = Map.of("__typename", "Product", "id", "1");

    var usual =
        post(
            byId("entities", Map.of("representations", List.of(product, product))),
            "X-Api-Key",
            key);
    assertThat(((Number) cost(usual).get("requestedQueryCost")).longValue()).isEqualTo(price);

    var huge =
        post(
            byId("entities", Map.of("representations", Collections.nCopies(3000, product))),
            "X-Api-Key",
            key);
    assertThat(code(huge)).isEqualTo("QUERY_TOO_COSTLY");
    assertThat(body(huge).get("data")).isNull();
  }

  @Test
  void aPartnerMayAlwaysAskForItsPricesEvenWhenItsRecordDoesNotListThatOperation() {
    // as the README's partner guide creates one: --operations=productFeed,productDetail
    String key = partner(List.of("productFeed", "productDetail"), 50_000);
    var listing = post(byId("persistedOperations", Map.of()), "X-Api-Key", key);
    assertThat(listing.getStatus().value()).isEqualTo(200);
    @SuppressWarnings("unchecked")
    var listed =
        (List<Map<String, Object>>)
            ((Map<String, Object>) body(listing).get("data")).get("persistedOperations");
    assertThat(listed)
        .extracting(o -> o.get("name"))
        .containsExactlyInAnyOrder("persistedOperations", "productFeed", "productDetail");
  }

  @Test
  void aDocumentAnAppRegisteredByHashIsNotAPartnersToCall() {
    String query =
        "query registeredByAnApp { r"
            + UUID.randomUUID().toString().replace("-", "")
            + ": products(category: \"books\", first: 1) { edges { node { id } } } }";
    String hash = PersistedQueryManifest.sha256(query);
    assertThat(body(apollo(Map.of("query", query, "extensions", persisted(hash)))))
        .containsKey("data")
        .doesNotContainKey("errors");
    // the app's hash now runs for the apps...
    assertThat(body(apollo(Map.of("extensions", persisted(hash))))).doesNotContainKey("errors");

    // ...and is no operation of the manifest for a partner, whatever it is allowed
    String key = partner(List.of("productFeed"), 50_000);
    var byPartner = post(Map.of("extensions", persisted(hash)), "X-Api-Key", key);
    assertThat(byPartner.getStatus().value()).isEqualTo(404);
    assertThat(code(byPartner)).isEqualTo("PERSISTED_QUERY_NOT_FOUND");
    assertThat(body(byPartner).get("data")).isNull();
  }

  @Test
  void aPartnersDocumentWhoseHashIsNotItsOwnIsRefusedAndNothingRuns() {
    String key = partner(List.of("productFeed"), 50_000);
    String email = "partner-mismatch-" + UUID.randomUUID() + "@example.com";
    String signUp =
        "mutation { signUp(email: \""
            + email
            + "\", password: \"correct horse battery\", displayName: \"Mismatch\") { id } }";
    // the hash of an operation the partner is allowed, with another document
    var mismatch =
        post(
            Map.of("query", signUp, "extensions", persisted(operation("productFeed").id())),
            "X-Api-Key",
            key);
    assertThat(mismatch.getStatus().value()).isEqualTo(400);
    assertThat(code(mismatch)).isEqualTo("PERSISTED_QUERY_HASH_MISMATCH");
    assertThat(body(mismatch).get("data")).isNull();
    assertThat(
            db.sql("SELECT count(*) FROM users WHERE email = $1")
                .bind(0, email)
                .map(row -> row.get(0, Long.class))
                .one()
                .block())
        .isZero();
  }

  @Test
  void revokedKeysAreRefusedAndRotationKeepsTwoKeysValid() {
    String name = "partner-" + UUID.randomUUID();
    String first =
        partners.create(name, List.of(operation("productFeed").id()), 100_000, 1_000).block().key();
    Map<String, Object> feed = byId("productFeed", Map.of("category", "books", "first", 1));

    String second = partners.rotate(name).block().key();
    assertThat(body(post(feed, "X-Api-Key", first))).doesNotContainKey("errors");
    assertThat(body(post(feed, "X-Api-Key", second))).doesNotContainKey("errors");

    // a third key ends the oldest: two are live at most
    String third = partners.rotate(name).block().key();
    var oldest = post(feed, "X-Api-Key", first);
    assertThat(oldest.getStatus().value()).isEqualTo(401);
    assertThat(code(oldest)).isEqualTo("PARTNER_KEY_INVALID");
    assertThat(body(post(feed, "X-Api-Key", second))).doesNotContainKey("errors");

    assertThat(partners.revoke(name, second.substring(0, 12)).block()).isEqualTo(1);
    assertThat(post(feed, "X-Api-Key", second).getStatus().value()).isEqualTo(401);
    assertThat(body(post(feed, "X-Api-Key", third))).doesNotContainKey("errors");

    var forged = post(feed, HttpHeaders.AUTHORIZATION, "Bearer " + Partners.KEY_PREFIX + "forged");
    assertThat(forged.getStatus().value()).isEqualTo(401);
  }

  // --- automatic persisted queries ---------------------------------------------------------------

  @Test
  void automaticPersistedQueriesRoundTripAsApolloClientSendsThem() {
    // a document no manifest has: a fresh alias makes it unique to this test run
    String query =
        "query feedForApq { apq"
            + UUID.randomUUID().toString().replace("-", "")
            + ": products(category: \"books\", first: 1) { edges { node { id } } } }";
    String hash = PersistedQueryManifest.sha256(query);
    Map<String, Object> hashOnly =
        Map.of("operationName", "feedForApq", "variables", Map.of(), "extensions", persisted(hash));

    var miss = apollo(hashOnly);
    assertThat(miss.getStatus().value()).isEqualTo(200);
    @SuppressWarnings("unchecked")
    var error = ((List<Map<String, Object>>) body(miss).get("errors")).get(0);
    assertThat(error.get("message")).isEqualTo("PersistedQueryNotFound");
    assertThat(code(miss)).isEqualTo("PERSISTED_QUERY_NOT_FOUND");

    Map<String, Object> withQuery = new LinkedHashMap<>(hashOnly);
    withQuery.put("query", query);
    assertThat(body(apollo(withQuery))).containsKey("data").doesNotContainKey("errors");

    var hit = apollo(hashOnly);
    assertThat(hit.getStatus().value()).isEqualTo(200);
    assertThat(body(hit)).containsKey("data").doesNotContainKey("errors");
  }

  /**
   * Apollo Client 4's persisted query link with {@code useGETForHashedQueries}: the hash alone by
   * GET, with the {@code clientLibrary} its client awareness adds to every request's extensions; on
   * {@code PersistedQueryNotFound}, the document and the hash by POST; from then on, GET.
   */
  @Test
  void automaticPersistedQueriesRoundTripByGetAsApolloClientSendsThem() {
    String query =
        "query feedForApqGet { apq"
            + UUID.randomUUID().toString().replace("-", "")
            + ": products(category: \"books\", first: 1) { edges { node { id } } } }";
    String hash = PersistedQueryManifest.sha256(query);
    Map<String, Object> extensions =
        Map.of(
            "clientLibrary",
            Map.of("name", "@apollo/client", "version", "4.3.8"),
            "persistedQuery",
            Map.of("version", 1, "sha256Hash", hash));
    String extensionsJson = json.writeValueAsString(extensions);
    Function<UriBuilder, URI> hashOnly =
        uri ->
            uri.path("/graphql")
                .queryParam("operationName", "feedForApqGet")
                .queryParam("variables", "{variables}")
                .queryParam("extensions", "{extensions}")
                .build("{}", extensionsJson);

    var miss =
        http()
            .get()
            .uri(hashOnly)
            .header(HttpHeaders.ACCEPT, APOLLO_ACCEPT)
            .exchange()
            .expectStatus()
            .isOk()
            .expectHeader()
            .valueEquals(HttpHeaders.CACHE_CONTROL, "private, no-store")
            .expectBody(Map.class)
            .returnResult();
    @SuppressWarnings("unchecked")
    var error = ((List<Map<String, Object>>) body(miss).get("errors")).get(0);
    assertThat(error.get("message")).isEqualTo("PersistedQueryNotFound");

    Map<String, Object> withQuery = new LinkedHashMap<>();
    withQuery.put("operationName", "feedForApqGet");
    withQuery.put("variables", Map.of());
    withQuery.put("extensions", extensions);
    withQuery.put("query", query);
    assertThat(body(apollo(withQuery))).containsKey("data").doesNotContainKey("errors");

    var hit =
        http()
            .get()
            .uri(hashOnly)
            .header(HttpHeaders.ACCEPT, APOLLO_ACCEPT)
            .exchange()
            .expectStatus()
            .isOk()
            .expectBody(Map.class)
            .returnResult();
    assertThat(body(hit)).containsKey("data").doesNotContainKey("errors");
  }

  @Test
  void aHashThatIsNotTheDocumentsIsRefusedAndRegistersNothing() {
    String query =
        "query mismatch { m" + UUID.randomUUID().toString().replace("-", "") + ": __typename }";
    String wrong = PersistedQueryManifest.sha256(query + " ");
    var mismatch = apollo(Map.of("query", query, "extensions", persisted(wrong)));
    assertThat(mismatch.getStatus().value()).isEqualTo(400);
    assertThat(code(mismatch)).isEqualTo("PERSISTED_QUERY_HASH_MISMATCH");
    assertThat(code(apollo(Map.of("extensions", persisted(wrong)))))
        .isEqualTo("PERSISTED_QUERY_NOT_FOUND");
  }

  @Test
  void malformedPersistedQueriesAreClearErrors() {
    var shortHash = apollo(Map.of("extensions", persisted("abc123")));
    assertThat(shortHash.getStatus().value()).isEqualTo(400);
    assertThat(code(shortHash)).isEqualTo("PERSISTED_QUERY_INVALID");

    var notHex = apollo(Map.of("extensions", persisted("z".repeat(64))));
    assertThat(code(notHex)).isEqualTo("PERSISTED_QUERY_INVALID");

    var version =
        apollo(
            Map.of(
                "extensions",
                Map.of(
                    "persistedQuery",
                    Map.of("version", 2, "sha256Hash", operation("productFeed").id()))));
    assertThat(version.getStatus().value()).isEqualTo(400);
    assertThat(code(version)).isEqualTo("PERSISTED_QUERY_VERSION_UNSUPPORTED");

    var notAnObject = apollo(Map.of("extensions", Map.of("persistedQuery", "yes")));
    assertThat(code(notAnObject)).isEqualTo("PERSISTED_QUERY_INVALID");
  }

  @Test
  void theAppsMayCallRegisteredOperationsByIdWithoutRegisteringThem() {
    var feed = apollo(byId("productFeed", Map.of("category", "books", "first", 1)));
    assertThat(body(feed)).containsKey("data").doesNotContainKey("errors");
  }

  // --- safelist mode ----------------------------------------------------------------------------

  @Autowired DocumentCache documents;
  @Autowired GraphQlSource graphQl;
  @Autowired OperationLimits limits;
  @Autowired JsonMapper json;
  @Autowired SessionSettings sessions;
  @Autowired Environment environment;
  @Autowired ObjectProvider<ReactiveStringRedisTemplate> redis;
  @Autowired com.dedw3n.platform.budget.Budgets budgets;
  @Autowired com.dedw3n.platform.web.ClientAddress clientAddress;

  /**
   * The resolver as safelist mode configures it (a server of its own would cost the suite its
   * start-up): the registered operations run, by id or as their document; nothing else, and nothing
   * else is registered by hash. The HTTP status of each refusal is the one the guard answers.
   */
  @Test
  void inSafelistModeOnlyTheManifestsOperationsRun() {
    var safelist = safelistMode();
    var feed = operation("productFeed");
    var byId =
        safelist
            .resolve(exchange(), safelist.read(bytes(byId("productFeed", Map.of()))), false)
            .block();
    assertThat(byId.get("query").asString()).isEqualTo(feed.body());
    assertThat(
            safelist
                .resolve(exchange(), safelist.read(bytes(Map.of("query", feed.body()))), false)
                .block())
        .isNotNull();

    String other = "query notRegistered { __typename }";
    // over a WebSocket, where documents come in full
    assertThat(safelist.refusedOverWebSocket(feed.body())).isFalse();
    assertThat(safelist.refusedOverWebSocket(other)).isTrue();
    assertRefused(
        () -> safelist.resolve(exchange(), safelist.read(bytes(Map.of("query", other))), false),
        403,
        "PERSISTED_QUERY_NOT_ALLOWED");
    String hash = PersistedQueryManifest.sha256(other);
    assertRefused(
        () ->
            safelist.resolve(
                exchange(),
                safelist.read(bytes(Map.of("query", other, "extensions", persisted(hash)))),
                false),
        403,
        "PERSISTED_QUERY_NOT_ALLOWED");
    assertRefused(
        () ->
            safelist.resolve(
                exchange(), safelist.read(bytes(Map.of("extensions", persisted(hash)))), false),
        404,
        "PERSISTED_QUERY_NOT_FOUND");
  }

  /**
   * Apollo Client's form of a registered operation runs in safelist mode: the client adds
   * __typename to every selection set and prints the document its own way, so neither its text nor
   * the hash its persisted-query link sends first is the manifest's. The fixture is what
   * {@code @apollo/client} 4.3.8 sent for {@code api/productFeed.graphql} (its hash-only request,
   * then, after the 404, the document); it was refused every time.
   */
  @Test
  void inSafelistModeAnAppClientsFormOfARegisteredOperationRuns() throws Exception {
    var safelist = safelistMode();
    String apollo;
    try (var in = getClass().getResourceAsStream("/apollo-client/productFeed.graphql")) {
      apollo = new String(in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
    }
    String hash = PersistedQueryManifest.sha256(apollo);
    assertThat(hash)
        .as("the hash Apollo Client sent")
        .isEqualTo("af2cd5610b7d4e64c4691dfe2d1dcb63b8b5359a5f112d053d1d1483afdb489e");
    assertThat(trusted.byId(hash)).isNull();

    assertThat(safelist.refusedOverWebSocket(apollo)).isFalse();
    assertThat(
            safelist
                .resolve(exchange(), safelist.read(bytes(Map.of("query", apollo))), false)
                .block())
        .isNotNull();
    // the link's first request: the hash alone, not known yet, answered with the message that
    // urql's persistedExchange (and Apollo Client before 3.8) send the document on
    assertThat(
            assertRefused(
                    () ->
                        safelist.resolve(
                            exchange(),
                            safelist.read(bytes(Map.of("extensions", persisted(hash)))),
                            false),
                    404,
                    "PERSISTED_QUERY_NOT_FOUND")
                .getMessage())
        .isEqualTo("PersistedQueryNotFound");
    // its second: the document with its hash, which runs and is kept by that hash
    assertThat(
            safelist
                .resolve(
                    exchange(),
                    safelist.read(bytes(Map.of("query", apollo, "extensions", persisted(hash)))),
                    false)
                .block())
        .isNotNull();
    // so that its next call runs by the hash alone
    assertThat(
            safelist
                .resolve(
                    exchange(), safelist.read(bytes(Map.of("extensions", persisted(hash)))), false)
                .block()
                .get("query")
                .asString())
        .isEqualTo(apollo);

    // anything more than __typename is another operation
    for (String other :
        List.of(
            apollo.replace("title\n", "title\n        description\n"),
            apollo.replace("cursor\n", "cursor\n      t: __typename\n"))) {
      assertThat(other).isNotEqualTo(apollo);
      assertThat(safelist.refusedOverWebSocket(other)).isTrue();
      assertRefused(
          () -> safelist.resolve(exchange(), safelist.read(bytes(Map.of("query", other))), false),
          403,
          "PERSISTED_QUERY_NOT_ALLOWED");
    }
  }

  private PersistedQueries safelistMode() {
    return new PersistedQueries(
        new PersistedQuerySettings(
            true,
            true,
            java.time.Duration.ofHours(1),
            10_000,
            org.springframework.util.unit.DataSize.ofKilobytes(32),
            org.springframework.util.unit.DataSize.ofMegabytes(1),
            "test-safelist-" + UUID.randomUUID() + ":",
            Map.of()),
        trusted,
        partners,
        documents,
        graphQl,
        limits,
        json,
        sessions,
        environment,
        redis,
        budgets,
        clientAddress);
  }

  /** Asserts the resolution is refused with this status and code; answers the refusal. */
  private static PersistedQueries.Refused assertRefused(
      java.util.function.Supplier<reactor.core.publisher.Mono<?>> resolution,
      int status,
      String code) {
    Throwable refusal;
    try {
      resolution.get().block();
      throw new AssertionError("not refused");
    } catch (PersistedQueries.Refused e) {
      refusal = e;
    }
    var refused = (PersistedQueries.Refused) refusal;
    assertThat(refused.status.value()).isEqualTo(status);
    assertThat(refused.error.code()).isEqualTo(code);
    return refused;
  }

  private static MockServerWebExchange exchange() {
    return MockServerWebExchange.from(MockServerHttpRequest.post("/graphql"));
  }

  private byte[] bytes(Map<String, Object> body) {
    return json.writeValueAsBytes(body);
  }

  // --- GET and HTTP caching -------------------------------------------------------------------

  @Test
  void aQueryMayBeSentAsAGetAndIsNeverCachedUnlessItIsAPersistedPublicRead() {
    var result =
        http()
            .get()
            .uri(
                "/graphql?query={q}&variables={v}",
                "query($c:String!){products(category:$c,first:1){edges{node{id}}}}",
                "{\"c\":\"books\"}")
            .exchange()
            .expectStatus()
            .isOk()
            .expectHeader()
            .valueEquals(HttpHeaders.CACHE_CONTROL, "private, no-store")
            .expectBody(Map.class)
            .returnResult();
    assertThat(result.getResponseBody()).containsKey("data").doesNotContainKey("errors");
  }

  @Test
  void aPublicPersistedReadByGetIsCacheableWithAnEtagAndAnswers304WhenUnchanged() {
    var uri = getUri("productFeed", "{\"category\":\"books\",\"first\":2}");
    var first =
        http().get().uri(uri).exchange().expectStatus().isOk().expectBody(Map.class).returnResult();
    assertThat(first.getResponseBody()).doesNotContainKey("errors");
    assertThat(first.getResponseHeaders().getCacheControl()).isEqualTo("public, max-age=30");
    // what a CDN hands to everyone says nothing of this caller's budget
    assertThat(first.getResponseBody().toString())
        .contains("requestedQueryCost")
        .doesNotContain("throttleStatus");
    // a cache keeps it apart per Origin: a listed origin's copy carries CORS headers, others not
    assertThat(first.getResponseHeaders().getVary())
        .contains(HttpHeaders.ORIGIN, HttpHeaders.ACCEPT);
    String etag = first.getResponseHeaders().getETag();
    assertThat(etag).startsWith("\"").endsWith("\"");

    var again =
        http()
            .get()
            .uri(uri)
            .header(HttpHeaders.IF_NONE_MATCH, etag)
            .exchange()
            .expectStatus()
            .isNotModified()
            .expectBody()
            .returnResult();
    assertThat(again.getResponseBody()).isNullOrEmpty();
    assertThat(again.getResponseHeaders().getETag()).isEqualTo(etag);
    assertThat(again.getResponseHeaders().getVary())
        .contains(HttpHeaders.ORIGIN, HttpHeaders.ACCEPT);

    // another tag: the whole answer
    http()
        .get()
        .uri(uri)
        .header(HttpHeaders.IF_NONE_MATCH, "\"something-else\"")
        .exchange()
        .expectStatus()
        .isOk()
        .expectBody(Void.class);

    // with a session it may depend on the viewer: never cacheable
    Client ann = signUp("Ann");
    http()
        .get()
        .uri(uri)
        .cookie("SESSION", ann.session())
        .exchange()
        .expectStatus()
        .isOk()
        .expectHeader()
        .valueEquals(HttpHeaders.CACHE_CONTROL, "private, no-store")
        .expectHeader()
        .doesNotExist(HttpHeaders.ETAG)
        .expectBody(Void.class);
  }

  @Test
  void noRefusalOfAGetIsCacheable() {
    // the 200 an unknown hash gets: a CDN that kept it would send Apollo's link to POST for good
    String unknown =
        PersistedQueryManifest.sha256("query neverRegistered { n" + UUID.randomUUID() + " }");
    String extensions = "{\"persistedQuery\":{\"version\":1,\"sha256Hash\":\"" + unknown + "\"}}";
    var notFound =
        http()
            .get()
            .uri(
                uri ->
                    uri.path("/graphql").queryParam("extensions", "{extensions}").build(extensions))
            .exchange()
            .expectStatus()
            .isOk()
            .expectHeader()
            .valueEquals(HttpHeaders.CACHE_CONTROL, "private, no-store")
            .expectBody(Map.class)
            .returnResult();
    assertThat(code(notFound)).isEqualTo("PERSISTED_QUERY_NOT_FOUND");

    // a mutation (405), no operation at all (400), an unknown partner key (401)
    http()
        .get()
        .uri("/graphql?query={q}", "mutation { signOut }")
        .exchange()
        .expectStatus()
        .isEqualTo(405)
        .expectHeader()
        .valueEquals(HttpHeaders.CACHE_CONTROL, "private, no-store")
        .expectBody(Void.class);
    http()
        .get()
        .uri("/graphql?operationName=x")
        .exchange()
        .expectStatus()
        .isEqualTo(400)
        .expectHeader()
        .valueEquals(HttpHeaders.CACHE_CONTROL, "private, no-store")
        .expectBody(Void.class);
    http()
        .get()
        .uri(getUri("productFeed", "{\"category\":\"books\",\"first\":1}"))
        .header("X-Api-Key", Partners.KEY_PREFIX + "unknown")
        .exchange()
        .expectStatus()
        .isEqualTo(401)
        .expectHeader()
        .valueEquals(HttpHeaders.CACHE_CONTROL, "private, no-store")
        .expectBody(Void.class);
  }

  @Test
  void aUrlLongerThanTheServerTakesIsRefusedBeforeAnyGraphQl() {
    String huge = "{ " + "__typename ".repeat(600) + "}";
    var status =
        http()
            .get()
            .uri(uri -> uri.path("/graphql").queryParam("query", "{q}").build(huge))
            .exchange()
            .expectBody()
            .returnResult()
            .getStatus();
    assertThat(status.value()).isEqualTo(414);
  }

  @Test
  void aMutationByGetIsRefusedAndNothingRuns() {
    Client ann = signUp("Ann");
    String signUp =
        "mutation { signUp(email: \"get-"
            + UUID.randomUUID()
            + "@example.com\", password: \"correct horse battery\", displayName: \"Get\") { id } }";
    http()
        .get()
        .uri("/graphql?query={q}", signUp)
        .exchange()
        .expectStatus()
        .isEqualTo(405)
        .expectHeader()
        .valueEquals(HttpHeaders.ALLOW, "POST")
        .expectBody(Void.class);
    // a registered mutation by id, too
    http()
        .get()
        .uri(getUri("signOut", "{}"))
        .cookie("SESSION", ann.session())
        .exchange()
        .expectStatus()
        .isEqualTo(405)
        .expectBody(Void.class);
    // nor hidden first in a document of two, with an empty operationName (which graphql-java
    // would take as the first operation)
    http()
        .get()
        .uri("/graphql?query={q}&operationName=", "mutation A { signOut } query B { __typename }")
        .cookie("SESSION", ann.session())
        .exchange()
        .expectBody()
        .jsonPath("$.data.signOut")
        .doesNotExist()
        .jsonPath("$.errors[0].message")
        .value(message -> assertThat(message.toString()).contains("Must provide operation name"));
    ann.graphQl()
        .document("{ viewer { id } }")
        .execute()
        .path("viewer.id")
        .entity(String.class)
        .isEqualTo(ann.id());
  }

  // --- the manifest ---------------------------------------------------------------------------

  @Test
  void theManifestInApiIsTheOneTheOperationFilesMakeAndEveryOperationValidates() throws Exception {
    PersistedQueryManifest fromFiles = PersistedQueryManifest.of(Path.of("api"));
    PersistedQueryManifest committed;
    try (var json = Files.newInputStream(Path.of("api", PersistedQueryManifest.FILE))) {
      committed = PersistedQueryManifest.read(json);
    }
    assertThat(committed).isEqualTo(fromFiles);
    assertThat(Files.readString(Path.of("api", PersistedQueryManifest.FILE)))
        .isEqualTo(fromFiles.toJson());
    try (var files = Files.list(Path.of("api"))) {
      assertThat(committed.operations())
          .hasSize((int) files.filter(f -> f.toString().endsWith(".graphql")).count());
    }
    // the server loaded them all, each validated and priced
    assertThat(trusted.all()).hasSize(committed.operations().size());
    assertThat(trusted.all()).allSatisfy(o -> assertThat(o.price()).isPositive());
  }

  // --- helpers ---------------------------------------------------------------------------------

  private String partner(List<String> operations, long capacity) {
    return partner(operations, capacity, 1_000);
  }

  private String partner(List<String> operations, long capacity, long refillPerSecond) {
    List<String> ids = operations.stream().map(name -> operation(name).id()).toList();
    return partners
        .create("partner-" + UUID.randomUUID(), ids, capacity, refillPerSecond)
        .block()
        .key();
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> cost(EntityExchangeResult<Map> result) {
    return (Map<String, Object>) ((Map<String, Object>) body(result).get("extensions")).get("cost");
  }

  /** What the payer's bucket holds after the request, as {@code extensions.cost} reports it. */
  @SuppressWarnings("unchecked")
  private static long available(EntityExchangeResult<Map> result) {
    var throttle = (Map<String, Object>) cost(result).get("throttleStatus");
    return ((Number) throttle.get("currentlyAvailable")).longValue();
  }

  private TrustedDocuments.Trusted operation(String name) {
    return trusted.all().stream().filter(o -> o.name().equals(name)).findFirst().orElseThrow();
  }

  private Map<String, Object> byId(String name, Map<String, Object> variables) {
    return Map.of("variables", variables, "extensions", persisted(operation(name).id()));
  }

  /** A persisted query by GET, as Apollo Client's useGETForHashedQueries sends it. */
  private Function<UriBuilder, URI> getUri(String name, String variablesJson) {
    String extensions =
        "{\"persistedQuery\":{\"version\":1,\"sha256Hash\":\"" + operation(name).id() + "\"}}";
    return uri ->
        uri.path("/graphql")
            .queryParam("operationName", "{name}")
            .queryParam("variables", "{variables}")
            .queryParam("extensions", "{extensions}")
            .build(name, variablesJson, extensions);
  }

  static Map<String, Object> persisted(String hash) {
    return Map.of("persistedQuery", Map.of("version", 1, "sha256Hash", hash));
  }

  private EntityExchangeResult<Map> post(Map<String, Object> body, String header, String value) {
    return http()
        .post()
        .uri("/graphql")
        .contentType(MediaType.APPLICATION_JSON)
        .header(header, value)
        .bodyValue(body)
        .exchange()
        .expectBody(Map.class)
        .returnResult();
  }

  /** As Apollo Client's HttpLink posts: JSON, its Accept header, no cookie. */
  private EntityExchangeResult<Map> apollo(Map<String, Object> body) {
    return post(body, HttpHeaders.ACCEPT, APOLLO_ACCEPT);
  }

  @SuppressWarnings("unchecked")
  static Map<String, Object> body(EntityExchangeResult<Map> result) {
    return (Map<String, Object>) result.getResponseBody();
  }

  @SuppressWarnings("unchecked")
  static String code(EntityExchangeResult<Map> result) {
    var errors = (List<Map<String, Object>>) body(result).get("errors");
    assertThat(errors).as("errors of %s", body(result)).isNotEmpty();
    return (String) ((Map<String, Object>) errors.get(0).get("extensions")).get("code");
  }
}
