package com.dedw3n.platform.graphql;

import static org.assertj.core.api.Assertions.assertThat;

import com.dedw3n.ApiTests;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.springframework.http.MediaType;

/**
 * Every document limit at its boundary, through the running server with its default limits: at the
 * limit the request runs, one over it is refused with its code before anything executes (the
 * database sees no statement), and the server answers normally right after.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class OperationLimitsTests extends ApiTests {

  private String productId;

  @BeforeAll
  void aProduct() {
    productId =
        createProduct(signUp("Seller"), "limits-" + UUID.randomUUID().toString().substring(0, 8));
  }

  @Test
  void depthTenRunsAndElevenIsRefused() {
    String ten =
        "{ product(id: \"%s\") { reviews(first: 1) { edges { node { product { reviews(first: 1) {"
            + " edges { node { author { displayName } } } } } } } } } }";
    String eleven =
        "{ product(id: \"%s\") { reviews(first: 1) { edges { node { product { reviews(first: 1) {"
            + " edges { node { product { seller { displayName } } } } } } } } } } }";
    assertRuns(String.format(ten, productId));
    assertRefused(String.format(eleven, productId), "QUERY_TOO_DEEP", "limit is 10");
  }

  @Test
  void fifteenAliasesOfOneFieldRunAndSixteenAreRefused() {
    assertRuns("{ " + aliases("p", 15, "product(id: \"" + productId + "\") { id }") + " }");
    assertRefused(
        "{ " + aliases("p", 16, "product(id: \"" + productId + "\") { id }") + " }",
        "TOO_MANY_ALIASES",
        "limit is 15");
  }

  @Test
  void fiftyAliasesInAllRunAndFiftyOneAreRefused() {
    String fifty =
        aliases("a", 15, "id")
            + " "
            + aliases("b", 15, "title")
            + " "
            + aliases("c", 15, "description")
            + " "
            + aliases("d", 5, "category");
    assertRuns("{ product(id: \"" + productId + "\") { " + fifty + " } }");
    assertRefused(
        "{ product(id: \"" + productId + "\") { " + fifty + " d5: category } }",
        "TOO_MANY_ALIASES",
        "limit is 50");
  }

  @Test
  void twentyRootFieldsRunAndTwentyOneAreRefused() {
    String twenty = aliases("v", 10, "viewer { id }") + " " + aliases("t", 10, "__typename");
    assertRuns("{ " + twenty + " }");
    assertRefused("{ " + twenty + " product(id: \"1\") { id } }", "TOO_MANY_ROOT_FIELDS", "20");
  }

  @Test
  void fiveDirectivesOnAFieldPassTheLimitAndSixAreRefused() {
    String five = " @include(if: true)".repeat(5);
    // graphql-java refuses the repeated directive itself; the limit is not what refuses it
    var answer = post("{ __typename" + five + " }", Map.of());
    assertThat(codes(answer)).doesNotContain("TOO_MANY_DIRECTIVES");
    assertRefused("{ __typename" + five + " @skip(if: false) }", "TOO_MANY_DIRECTIVES", "5");
  }

  @Test
  void theParsersTokenLimitIsACodeToo() {
    String under = "query($x: [Int] = [" + "1,".repeat(14_000) + "1]) { __typename }";
    assertThat(codes(post(under, Map.of()))).doesNotContain("TOO_MANY_TOKENS");
    String over = "query($x: [Int] = [" + "1,".repeat(16_000) + "1]) { __typename }";
    assertRefused(over, "TOO_MANY_TOKENS", "15,000");
  }

  @Test
  void aCostOfFiveThousandRunsAndOneMoreIsRefused() {
    // viewer (1) + 1 + 42 x (edge + node + reviews + 58 x (edge + node)) = 5,000
    String pages =
        "products(first: 42) { edges { node { reviews(first: 58) { edges { node { rating } } } } } }";
    Map<String, Object> answer = assertRuns("{ viewer { id } " + pages + " }");
    assertThat(cost(answer).get("requestedQueryCost")).isEqualTo(5000);
    assertRefused(
        "{ a: viewer { id } b: viewer { id } " + pages + " }",
        "QUERY_TOO_COSTLY",
        "may cost 5001 points; the limit is 5000");
  }

  @Test
  void theCyclicFanOutIsRefusedAtEveryNestingAndTheServerAnswersRightAfter() {
    String level =
        "reviews(first: 100) { edges { node { author { displayName } product { %s } } } }";
    String inner = "id";
    for (int nesting = 1; nesting <= 8; nesting++) {
      inner = String.format(level, inner);
      String document = "{ product(id: \"" + productId + "\") { " + inner + " } }";
      if (nesting == 1) {
        assertRuns(document); // 402 points
        continue;
      }
      long statements = statementsOf(() -> post(document, Map.of()));
      var answer = post(document, Map.of());
      assertThat(codes(answer))
          .as("nesting %d", nesting)
          .containsAnyOf("QUERY_TOO_COSTLY", "QUERY_TOO_DEEP");
      assertThat(statements).as("statements at nesting %d", nesting).isZero();
    }
    var feed =
        tester(http())
            .documentName("productFeed")
            .variable("category", "no-such-category")
            .variable("first", 5)
            .execute()
            .errors()
            .verify()
            .path("products.edges")
            .entityList(Object.class)
            .get();
    assertThat(feed).isNotNull();
  }

  @Test
  void everyResponseCarriesItsCost() {
    Map<String, Object> answer =
        post(
            documentOf("productFeed"),
            Map.of("category", "no-such-category-" + UUID.randomUUID(), "first", 5));
    Map<String, Object> cost = cost(answer);
    // 1 connection + 5 x (edge, node, price, seller, reviews + 3 x (edge, node, author)) + pageInfo
    assertThat(cost.get("requestedQueryCost")).isEqualTo(1 + 5 * 14 + 1);
    // nothing in that category: the connection and its pageInfo
    assertThat(cost.get("actualQueryCost")).isEqualTo(2);
    @SuppressWarnings("unchecked")
    Map<String, Object> throttle = (Map<String, Object>) cost.get("throttleStatus");
    assertThat(throttle).containsKeys("maximumAvailable", "currentlyAvailable", "restoreRate");
  }

  @Test
  void aHundredErrorsAreReportedAndMoreAreSummarised() {
    var seller = signUp("Many");
    String category = "errors-" + UUID.randomUUID().toString().substring(0, 8);
    for (int i = 0; i < 51; i++) {
      createProduct(seller, category);
    }
    String query =
        "query($c: String, $n: Int) { products(category: $c, first: $n) { edges { node {"
            + " a: priceIn(crypto: \"NOPE\") { amount } b: priceIn(crypto: \"NOPE\") { amount } } } } }";
    List<Map<String, Object>> hundred = errors(post(query, Map.of("c", category, "n", 50)));
    assertThat(hundred).hasSize(100);
    assertThat(codes(Map.of("errors", hundred))).doesNotContain("TOO_MANY_ERRORS");

    List<Map<String, Object>> capped = errors(post(query, Map.of("c", category, "n", 51)));
    assertThat(capped).hasSize(100);
    @SuppressWarnings("unchecked")
    var last = (Map<String, Object>) capped.get(99).get("extensions");
    assertThat(last.get("code")).isEqualTo("TOO_MANY_ERRORS");
    assertThat((String) capped.get(99).get("message")).startsWith("3 more errors were left out");
  }

  @Test
  void aNulByteOrHalfASurrogatePairIsABadRequestBeforeAnySql() {
    String signUp =
        "mutation($e:String!,$p:String!,$n:String!){signUp(email:$e,password:$p,displayName:$n){id}}";
    String email = "nul-" + UUID.randomUUID() + "@example.com";
    Map<String, Object> variables = Map.of("e", email, "p", "correct\0horse", "n", "Nul");
    long statements = statementsOf(() -> post(signUp, variables));
    var answer = post(signUp, variables);
    assertThat(codes(answer)).containsExactly("INVALID_STRING");
    assertThat(errors(answer).get(0).get("message").toString()).contains("$p").contains("NUL");
    assertThat(statements).isZero();

    assertRefused(
        "{ products(category: \"a\\u0000b\") { edges { cursor } } }", "INVALID_STRING", "NUL");

    // a lone surrogate can only arrive as a JSON escape
    String body =
        "{\"query\":\"query($c:String){products(category:$c){edges{cursor}}}\","
            + "\"variables\":{\"c\":\"x\\ud800y\"}}";
    http()
        .post()
        .uri("/graphql")
        .contentType(MediaType.APPLICATION_JSON)
        .bodyValue(body)
        .exchange()
        .expectBody()
        .jsonPath("$.errors[0].extensions.code")
        .isEqualTo("INVALID_STRING")
        .jsonPath("$.errors[0].extensions.classification")
        .isEqualTo("BAD_REQUEST");
  }

  /**
   * graphql-java runs the first of several operations when operationName is "", where the guard
   * chooses none: an empty name must choose none there too, or the first operation runs unpriced.
   */
  @Test
  void anEmptyOperationNameChoosesNoneOfSeveralOperationsAndNothingRuns() {
    String costly =
        "query A { a: viewer { id } b: viewer { id } products(first: 42) { edges { node {"
            + " reviews(first: 58) { edges { node { rating } } } } } } } query B { __typename }";
    long statements = statementsOf(() -> post(costly, Map.of(), ""));
    Map<String, Object> answer = post(costly, Map.of(), "");
    assertThat(answer.get("data")).isNull();
    assertThat(errors(answer).get(0).get("message").toString())
        .contains("Must provide operation name");
    assertThat(statements).as("SQL statements of a refused request").isZero();
    // named, the same document is priced, and refused for it
    assertThat(codes(post(costly, Map.of(), "A"))).containsExactly("QUERY_TOO_COSTLY");
    assertThat(errors(post(costly, Map.of(), "B"))).isEmpty();
    // a document of one operation needs no name: "" is as good as none, as clients send it
    assertThat(errors(post("{ __typename }", Map.of(), ""))).isEmpty();
  }

  // --- helpers ---------------------------------------------------------------------------------

  private Map<String, Object> assertRuns(String document) {
    Map<String, Object> answer = post(document, Map.of());
    assertThat(errors(answer)).as("errors of %s", document).isEmpty();
    return answer;
  }

  private void assertRefused(String document, String code, String messagePart) {
    long statements = statementsOf(() -> post(document, Map.of()));
    Map<String, Object> answer = post(document, Map.of());
    assertThat(codes(answer)).containsExactly(code);
    assertThat(errors(answer).get(0).get("message").toString()).contains(messagePart);
    assertThat(answer.get("data")).isNull();
    assertThat(statements).as("SQL statements of a refused request").isZero();
  }

  private Map<String, Object> post(String document, Map<String, Object> variables) {
    return post(document, variables, null);
  }

  @SuppressWarnings("unchecked")
  private Map<String, Object> post(
      String document, Map<String, Object> variables, @Nullable String operationName) {
    Map<String, Object> body = new HashMap<>(Map.of("query", document, "variables", variables));
    if (operationName != null) {
      body.put("operationName", operationName);
    }
    return http()
        .post()
        .uri("/graphql")
        .contentType(MediaType.APPLICATION_JSON)
        .bodyValue(body)
        .exchange()
        .expectStatus()
        .isOk()
        .expectBody(Map.class)
        .returnResult()
        .getResponseBody();
  }

  @SuppressWarnings("unchecked")
  private static List<Map<String, Object>> errors(Map<String, Object> answer) {
    Object errors = answer.get("errors");
    return errors == null ? List.of() : (List<Map<String, Object>>) errors;
  }

  @SuppressWarnings("unchecked")
  private static List<String> codes(Map<String, Object> answer) {
    List<String> codes = new ArrayList<>();
    for (Map<String, Object> error : errors(answer)) {
      Map<String, Object> extensions = (Map<String, Object>) error.get("extensions");
      if (extensions != null && extensions.get("code") != null) {
        codes.add(extensions.get("code").toString());
      }
    }
    return codes;
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> cost(Map<String, Object> answer) {
    return (Map<String, Object>) ((Map<String, Object>) answer.get("extensions")).get("cost");
  }

  private static String aliases(String prefix, int count, String field) {
    return IntStream.range(0, count)
        .mapToObj(i -> prefix + i + ": " + field)
        .collect(Collectors.joining(" "));
  }

  private static String documentOf(String name) {
    try {
      return java.nio.file.Files.readString(java.nio.file.Path.of("api", name + ".graphql"));
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  private String createProduct(Client seller, String category) {
    return seller
        .graphQl()
        .documentName("createProduct")
        .variable(
            "input",
            Map.of(
                "title",
                "Lamp",
                "description",
                "",
                "category",
                category,
                "price",
                Map.of("amount", 1999, "currency", "USD"),
                "stock",
                5))
        .execute()
        .path("createProduct.id")
        .entity(String.class)
        .get();
  }
}
