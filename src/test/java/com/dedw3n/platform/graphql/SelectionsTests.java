package com.dedw3n.platform.graphql;

import static org.assertj.core.api.Assertions.assertThat;

import graphql.execution.MergedField;
import graphql.language.Document;
import graphql.language.Field;
import graphql.language.FragmentDefinition;
import graphql.language.OperationDefinition;
import graphql.parser.Parser;
import graphql.schema.DataFetchingEnvironment;
import graphql.schema.DataFetchingEnvironmentImpl;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * The look-ahead that decides whether a page's statement joins the users its items point to: a
 * field counts as selected by its name (not its alias), through inline fragments and fragment
 * spreads; a field named alike elsewhere, or at another depth, does not.
 */
class SelectionsTests {

  /** The environment of the operation's first root field, as graphql-java would build it. */
  private static DataFetchingEnvironment root(String document) {
    return root(document, Map.of());
  }

  /** The same, with the request's (coerced) variables. */
  private static DataFetchingEnvironment root(String document, Map<String, Object> variables) {
    Document parsed = Parser.parse(document);
    OperationDefinition operation =
        parsed.getFirstDefinitionOfType(OperationDefinition.class).orElseThrow();
    Field field = (Field) operation.getSelectionSet().getSelections().get(0);
    Map<String, FragmentDefinition> fragments =
        parsed.getDefinitionsOfType(FragmentDefinition.class).stream()
            .collect(Collectors.toMap(FragmentDefinition::getName, f -> f));
    return DataFetchingEnvironmentImpl.newDataFetchingEnvironment()
        .mergedField(MergedField.newMergedField(field).build())
        .fragmentsByName(fragments)
        .variables(variables)
        .build();
  }

  private static boolean selectsAuthor(String document) {
    return Selections.selects(root(document), "edges", "node", "author");
  }

  @Test
  void aFieldOnThePathIsSelectedUnderAnyAlias() {
    assertThat(selectsAuthor("{ reviews { edges { node { author { id } } } } }")).isTrue();
    assertThat(selectsAuthor("{ reviews { e: edges { n: node { by: author { id } } } } }"))
        .isTrue();
  }

  @Test
  void throughInlineFragmentsAndFragmentSpreads() {
    assertThat(
            selectsAuthor("{ reviews { edges { ... on ReviewEdge { node { author { id } } } } } }"))
        .isTrue();
    assertThat(
            selectsAuthor(
                "{ reviews { ...page } } fragment page on ReviewConnection { edges { ...node } }"
                    + " fragment node on ReviewEdge { node { author { id } } }"))
        .isTrue();
  }

  @Test
  void notWhenAbsentOrElsewhere() {
    assertThat(selectsAuthor("{ reviews { edges { node { id body } } } }")).isFalse();
    // an author, but not the nodes'
    assertThat(selectsAuthor("{ reviews { author { id } edges { node { id } } } }")).isFalse();
    assertThat(selectsAuthor("{ reviews { edges { author { id } } } }")).isFalse();
    // a fragment that is defined but not spread here
    assertThat(
            selectsAuthor(
                "{ reviews { edges { node { id } } } }"
                    + " fragment unused on ReviewEdge { node { author { id } } }"))
        .isFalse();
  }

  @Test
  void aOneStepPathLooksAtTheFieldsOwnSelection() {
    assertThat(Selections.selects(root("{ product { seller { id } } }"), "seller")).isTrue();
    assertThat(Selections.selects(root("{ product { title } }"), "seller")).isFalse();
    assertThat(Selections.selects(root("{ product }"), "seller")).isFalse();
  }

  // --- reading a nested list's first page ahead ---------------------------------------------

  private static NestedPages.Ahead reviewsAhead(String document, Map<String, Object> variables) {
    return NestedPages.Ahead.of(
        root(document, variables), "reviews", "first", "after", 10, "author", "hasNextPage");
  }

  @Test
  void aheadIsTheFirstPageTheFieldWillAskFor() {
    assertThat(reviewsAhead("{ product { reviews { edges { node { id } } } } }", Map.of()))
        .as("the default size, no join")
        .isEqualTo(new NestedPages.Ahead(new Page(10, null).peeking(false), false));
    assertThat(
            reviewsAhead(
                "{ product { r: reviews(first: 3) { edges { node { author { id } } } } } }",
                Map.of()))
        .as("a literal size, under an alias, joined")
        .isEqualTo(new NestedPages.Ahead(new Page(3, null).peeking(false), true));
    assertThat(
            reviewsAhead(
                "query($n: Int, $a: String) { product { ...p } }"
                    + " fragment p on Product { reviews(first: $n, after: $a) { ...e } }"
                    + " fragment e on ReviewConnection { edges { node { author { id } } } }",
                Map.of("n", 4)))
        .as("variables, an absent cursor, through fragments")
        .isEqualTo(new NestedPages.Ahead(new Page(4, null).peeking(false), true));
    assertThat(
            reviewsAhead(
                "{ product { a: reviews(first: 2) { edges { node { id } } }"
                    + " b: reviews(first: 2) { edges { node { author { id } } } } } }",
                Map.of()))
        .as("twice with one size: joined if either joins")
        .isEqualTo(new NestedPages.Ahead(new Page(2, null).peeking(false), true));
  }

  @Test
  void aheadReadsTheRowAfterThePageOnlyWhenTheQueryReadsHasNextPage() {
    assertThat(
            reviewsAhead(
                "{ product { reviews(first: 3) { edges { node { id } } pageInfo { hasNextPage } } } }",
                Map.of()))
        .as("hasNextPage selected")
        .isEqualTo(new NestedPages.Ahead(new Page(3, null), false));
    assertThat(
            reviewsAhead(
                "{ product { reviews(first: 3) { ...more } } }"
                    + " fragment more on ReviewConnection { pageInfo { more: hasNextPage } }",
                Map.of()))
        .as("through a fragment, under an alias")
        .isEqualTo(new NestedPages.Ahead(new Page(3, null), false));
    assertThat(
            reviewsAhead(
                "{ product { a: reviews(first: 2) { edges { node { id } } }"
                    + " b: reviews(first: 2) { pageInfo { hasNextPage } } } }",
                Map.of()))
        .as("twice with one size: read ahead if either reads hasNextPage")
        .isEqualTo(new NestedPages.Ahead(new Page(2, null), false));
    assertThat(
            reviewsAhead(
                "{ product { reviews(first: 3) { pageInfo { endCursor hasPreviousPage } } } }",
                Map.of()))
        .as("other pageInfo fields need no row after the page")
        .isEqualTo(new NestedPages.Ahead(new Page(3, null).peeking(false), false));
  }

  @Test
  void noAheadForLaterPagesOtherSizesOrSizesTheFieldRefuses() {
    assertThat(reviewsAhead("{ product { title } }", Map.of())).as("not selected").isNull();
    assertThat(
            reviewsAhead(
                "query($a: String) { product { reviews(after: $a) { edges { node { id } } } } }",
                Map.of("a", "cursor")))
        .as("a later page")
        .isNull();
    assertThat(
            reviewsAhead(
                "{ product { a: reviews(first: 2) { edges { node { id } } }"
                    + " b: reviews(first: 3) { edges { node { id } } } } }",
                Map.of()))
        .as("two sizes")
        .isNull();
    for (String size : List.of("0", "101", "99999999999")) {
      assertThat(
              reviewsAhead(
                  "{ product { reviews(first: " + size + ") { edges { node { id } } } } }",
                  Map.of()))
          .as("first: %s, which the field refuses itself", size)
          .isNull();
    }
    assertThat(reviewsAhead("{ product { reviews { edges { node { id } } } } }", Map.of()))
        .isNotNull();
  }
}
