package com.dedw3n.platform.graphql;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.dedw3n.ApiTests;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.graphql.execution.GraphQlSource;

/** The registered operations as the server loads them: each validated and priced, or no start. */
class TrustedDocumentsTests extends ApiTests {

  @Autowired DocumentCache documents;
  @Autowired GraphQlSource graphQl;
  @Autowired OperationLimits limits;

  @Test
  void aManifestOperationThatDoesNotValidateStopsTheServerNamingIt() {
    String valid = "query fine { __typename }";
    String invalid = "query staleFeed { products(category: \"books\", first: 1) { noSuchField } }";
    var manifest =
        new PersistedQueryManifest(
            List.of(
                new PersistedQueryManifest.Operation(
                    PersistedQueryManifest.sha256(valid), "fine", "query", valid),
                new PersistedQueryManifest.Operation(
                    PersistedQueryManifest.sha256(invalid), "staleFeed", "query", invalid)));

    assertThatThrownBy(() -> new TrustedDocuments(manifest, documents, graphQl, limits))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("operation staleFeed does not validate against the schema")
        .hasMessageContaining("noSuchField");
  }

  @Test
  void aValidManifestOperationIsPricedWithItsPagesAtTheirLargest() {
    String feed =
        "query feed($first: Int!) { products(category: \"books\", first: $first) {"
            + " edges { node { id } } } }";
    var trusted =
        new TrustedDocuments(
            new PersistedQueryManifest(
                List.of(
                    new PersistedQueryManifest.Operation(
                        PersistedQueryManifest.sha256(feed), "feed", "query", feed))),
            documents,
            graphQl,
            limits);
    var operation = trusted.byId(PersistedQueryManifest.sha256(feed));
    assertThat(operation).isNotNull();
    assertThat(operation.kind().name()).isEqualTo("QUERY");
    assertThat(operation.price()).isGreaterThanOrEqualTo(Page.MAX_SIZE);
  }
}
