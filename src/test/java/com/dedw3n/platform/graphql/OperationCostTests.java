package com.dedw3n.platform.graphql;

import static org.assertj.core.api.Assertions.assertThat;

import graphql.language.Document;
import graphql.language.OperationDefinition;
import graphql.parser.Parser;
import graphql.schema.GraphQLSchema;
import graphql.schema.idl.SchemaParser;
import graphql.schema.idl.UnExecutableSchemaGenerator;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The cost rules of {@link OperationCost}, each on a small schema written for it. */
class OperationCostTests {

  private static final GraphQLSchema SCHEMA =
      UnExecutableSchemaGenerator.makeUnExecutableSchema(
          new SchemaParser()
              .parse(
                  """
                  directive @cost(weight: Int!) on FIELD_DEFINITION | OBJECT | SCALAR | ENUM
                  directive @listSize(assumedSize: Int, slicingArguments: [String!],
                    sizedFields: [String!], requireOneSlicingArgument: Boolean = true)
                    on FIELD_DEFINITION
                  type Query {
                    product(id: ID!): Product
                    products(first: Int = 20, after: String): ProductConnection!
                      @listSize(slicingArguments: ["first"], sizedFields: ["edges"])
                    tags: [String!]!
                    sellers: [User!]!
                    expensive: Int @cost(weight: 7)
                  }
                  type Mutation { rename(name: String!): User  free: User @cost(weight: 0) }
                  type ProductConnection { edges: [ProductEdge!]! pageInfo: PageInfo! }
                  type ProductEdge { cursor: String! node: Product! }
                  type PageInfo { hasNextPage: Boolean! }
                  type Product {
                    id: ID!
                    title: String!
                    seller: User!
                    reviews(first: Int = 10): ReviewConnection!
                      @listSize(slicingArguments: ["first"], sizedFields: ["edges"])
                    owners: [User!]! @listSize(assumedSize: 2)
                  }
                  type ReviewConnection { edges: [ReviewEdge!]! }
                  type ReviewEdge { node: Review! }
                  type Review {
                    rating: Int!
                    author: User!
                    product: Product!
                    similar(first: Int = 10): ReviewConnection!
                      @listSize(slicingArguments: ["first"], sizedFields: ["edges"])
                  }
                  union Item = Product | Review
                  extend type Query { items: [Item!]! }
                  type User { id: ID! name: String! }
                  """));

  private static OperationCost.Plan plan(String query) {
    Document document = Parser.parse(query);
    OperationDefinition operation = document.getDefinitionsOfType(OperationDefinition.class).get(0);
    return OperationCost.plan(SCHEMA, document, operation, 10);
  }

  private static long cost(String query) {
    return plan(query).staticCost(Map.of());
  }

  @Test
  void objectsCostOneAndScalarsNothing() {
    assertThat(cost("{ product(id: 1) { id title seller { id name } } }")).isEqualTo(2);
    assertThat(cost("{ __typename product(id: 1) { __typename } }")).isEqualTo(1);
  }

  @Test
  void aConnectionPricesItsEdgesByItsSlicingArgumentOrItsDefault() {
    // 1 connection + 5 x (edge + node)
    assertThat(cost("{ products(first: 5) { edges { node { id } } } }")).isEqualTo(11);
    // the default page size, 20
    assertThat(cost("{ products { edges { node { id } } pageInfo { hasNextPage } } }"))
        .isEqualTo(1 + 20 * 2 + 1);
  }

  @Test
  void nestedPagesMultiply() {
    // 1 + 50 x (edge + node + seller + reviews + 3 x (edge + node + author)): the W1 feed's shape
    assertThat(
            cost(
                "{ products(first: 50) { edges { node { seller { id } reviews(first: 3) { edges {"
                    + " node { author { id } } } } } } } }"))
        .isEqualTo(1 + 50 * (4 + 3 * 3));
  }

  @Test
  void aCycleOfPagesGrowsGeometrically() {
    String level = "reviews(first: 100) { edges { node { product { %s } } } }";
    String two = String.format(level, String.format(level, "id"));
    // product + reviews + 100 x (edge + node + product + reviews + 100 x (edge + node + product))
    assertThat(cost("{ product(id: 1) { " + two + " } }"))
        .isEqualTo(1 + 1 + 100 * (3 + 1 + 100 * 3));
  }

  @Test
  void variablesAndTheirDefaultsSizeThePage() {
    OperationCost.Plan plan =
        plan("query($n: Int = 7) { products(first: $n) { edges { node { id } } } }");
    assertThat(plan.staticCost(Map.of())).isEqualTo(1 + 7 * 2);
    assertThat(plan.staticCost(Map.of("n", 3))).isEqualTo(1 + 3 * 2);
    // a variable without a default, not given: the argument's own default (20)
    assertThat(
            plan("query($n: Int) { products(first: $n) { edges { node { id } } } }")
                .staticCost(Map.of()))
        .isEqualTo(1 + 20 * 2);
  }

  @Test
  void listsUseTheirAssumedSizeElseTheDefault() {
    assertThat(cost("{ product(id: 1) { owners { id } } }")).isEqualTo(1 + 2);
    assertThat(cost("{ sellers { id } }")).isEqualTo(10);
    assertThat(cost("{ tags }")).isZero();
  }

  @Test
  void costDirectivesAndMutationsWeighMore() {
    assertThat(cost("{ expensive }")).isEqualTo(7);
    assertThat(cost("mutation { rename(name: \"x\") { id } }")).isEqualTo(10);
    assertThat(cost("mutation { free { id } }")).isZero();
  }

  @Test
  void fragmentsAndAliasesArePricedWhereTheyAreSpread() {
    assertThat(
            cost(
                "{ a: product(id: 1) { ...P } b: product(id: 2) { ...P } }"
                    + " fragment P on Product { seller { id } }"))
        .isEqualTo(4);
    // the same key selected twice is one field
    assertThat(cost("{ product(id: 1) { seller { id } } product(id: 1) { seller { name } } }"))
        .isEqualTo(2);
  }

  /**
   * One response key may name different fields on different members of a union: each is priced, so
   * the costlier is not hidden behind the cheaper one selected first.
   */
  @Test
  void oneAliasOnTwoMembersOfAUnionIsPricedAtTheCostlier() {
    long cost =
        cost(
            "{ items { ... on Product { x: reviews(first: 1) { edges { node { rating } } } }"
                + " ... on Review { x: similar(first: 100) { edges { node { rating } } } } } }");
    // ten items (the default list size), each the item and the costlier: 100 similar reviews
    assertThat(cost).isEqualTo(10 * (1 + 1 + 100 * 2));
    // also when the union's field is selected twice, each time with one member (the two merge)
    assertThat(
            cost(
                "{ items { ... on Product { x: reviews(first: 1) { edges { node { rating } } } } }"
                    + " items { ... on Review { x: similar(first: 100) { edges { node { rating } } }"
                    + " } } }"))
        .isEqualTo(10 * (1 + 1 + 100 * 2));
    // arguments in another order are the same selection, priced once
    assertThat(
            cost(
                "{ products(first: 2, after: \"a\") { pageInfo { hasNextPage } }"
                    + " products(after: \"a\", first: 2) { pageInfo { hasNextPage } } }"))
        .isEqualTo(2);
  }

  /** Alternatives of one response key: the data under it is read once, by the costlier plan. */
  @Test
  void theActualCostReadsAnAlternativesValueOnce() {
    OperationCost.Plan plan =
        plan(
            "{ items { ... on Product { x: reviews(first: 1) { edges { node { rating } } } }"
                + " ... on Review { x: similar(first: 100) { edges { node { rating } } } } } }");
    Map<String, Object> similar =
        Map.of(
            "edges",
            List.of(Map.of("node", Map.of("rating", 1)), Map.of("node", Map.of("rating", 2))));
    // one item, a review with two similar ones: item 1 + connection 1 + 2 x (edge + node)
    assertThat(plan.actualCost(Map.of("items", List.of(Map.of("x", similar)))))
        .isEqualTo(1 + 1 + 2 * 2);
  }

  /**
   * Fragments that each spread the next one twice: validation accepts them at once, and so must
   * pricing (it spread each at every mention: 2^40 for this document); a document that selects more
   * than a plan holds costs the most.
   */
  @Test
  @Timeout(value = 10, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
  void fragmentsSpreadManyTimesArePricedInLinearTime() {
    StringBuilder chain = new StringBuilder("{ product(id: 1) { ...F0 } }");
    for (int i = 0; i < 40; i++) {
      chain.append(
          " fragment F%d on Product { ...F%d ... on Product { ...F%d } }"
              .formatted(i, i + 1, i + 1));
    }
    chain.append(" fragment F40 on Product { seller { id } }");
    assertThat(cost(chain.toString())).isEqualTo(2);

    // every level selects the next one through three fields: 3^12 selections
    StringBuilder wide = new StringBuilder("{ product(id: 1) { ...L0 } }");
    for (int i = 0; i < 12; i++) {
      wide.append(
          " fragment L%d on Product { seller { id } a: reviews(first: 1) { edges { node { product { ...L%d } } } }"
                  .formatted(i, i + 1)
              + " b: reviews(first: 2) { edges { node { product { ...L%d } } } }".formatted(i + 1)
              + " c: reviews(first: 3) { edges { node { product { ...L%d } } } } }"
                  .formatted(i + 1));
    }
    wide.append(" fragment L12 on Product { id }");
    OperationCost.Plan plan = plan(wide.toString());
    assertThat(plan.oversized()).isTrue();
    assertThat(plan.staticCost(Map.of())).isGreaterThan(1_000_000_000L);
    assertThat(plan.roots()).extracting(OperationCost.Node::field).containsExactly("product");
  }

  @Test
  void theActualCostCountsWhatCameBack() {
    OperationCost.Plan plan =
        plan(
            "{ products(first: 50) { edges { node { seller { id } } } } missing: product(id: 9) { id } }");
    Map<String, Object> data =
        Map.of(
            "products",
            Map.of(
                "edges",
                List.of(
                    Map.of("node", Map.of("seller", Map.of("id", "1"))),
                    Map.of("node", Map.of("seller", Map.of("id", "2"))))),
            "missing",
            java.util.Collections.emptyMap());
    assertThat(plan.staticCost(Map.of())).isEqualTo(1 + 50 * 3 + 1);
    // the connection, 2 x (edge + node + seller), and the product that came back
    assertThat(plan.actualCost(data)).isEqualTo(1 + 2 * 3 + 1);
    assertThat(plan.actualCost(null)).isZero();
  }
}
