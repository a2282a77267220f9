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
}
