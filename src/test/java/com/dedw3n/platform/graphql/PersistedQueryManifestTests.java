package com.dedw3n.platform.graphql;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The build's manifest step: what it writes, and the operation files it refuses. */
class PersistedQueryManifestTests {

  @TempDir Path api;

  @Test
  void eachFileBecomesOneOperationIdentifiedByTheHashOfItsPrintedBody() throws Exception {
    Files.writeString(api.resolve("b.graphql"), "# a comment\nquery b { __typename }\n");
    Files.writeString(api.resolve("a.graphql"), "mutation a { __typename }");
    var manifest = PersistedQueryManifest.of(api);
    assertThat(manifest.operations())
        .extracting(PersistedQueryManifest.Operation::name)
        .containsExactly("a", "b");
    var b = manifest.operations().get(1);
    assertThat(b.type()).isEqualTo("query");
    assertThat(b.body()).doesNotContain("comment");
    assertThat(b.id()).isEqualTo(PersistedQueryManifest.sha256(b.body())).hasSize(64);
    // what the build writes reads back the same, byte for byte when written again
    var json = manifest.toJson();
    assertThat(json).contains("\"format\" : \"apollo-persisted-query-manifest\"");
    assertThat(
            PersistedQueryManifest.read(
                new ByteArrayInputStream(json.getBytes(StandardCharsets.UTF_8))))
        .isEqualTo(manifest);
  }

  @Test
  void theBuildFailsOnFilesThatAreNotOneNamedOperationOrRepeatAnother() throws Exception {
    Files.writeString(
        api.resolve("two.graphql"), "query one { __typename } query two { __typename }");
    assertThatThrownBy(() -> PersistedQueryManifest.of(api))
        .hasMessageContaining("exactly one named operation");
    Files.delete(api.resolve("two.graphql"));

    Files.writeString(api.resolve("anonymous.graphql"), "{ __typename }");
    assertThatThrownBy(() -> PersistedQueryManifest.of(api))
        .hasMessageContaining("exactly one named operation");
    Files.delete(api.resolve("anonymous.graphql"));

    Files.writeString(api.resolve("broken.graphql"), "query broken { ");
    assertThatThrownBy(() -> PersistedQueryManifest.of(api)).hasMessageContaining("broken.graphql");
    Files.delete(api.resolve("broken.graphql"));

    Files.writeString(api.resolve("x.graphql"), "query same { __typename }");
    Files.writeString(
        api.resolve("y.graphql"), "# the same document again\nquery same { __typename }");
    assertThatThrownBy(() -> PersistedQueryManifest.of(api)).hasMessageContaining("same body");
    Files.writeString(api.resolve("y.graphql"), "query same { __schema { queryType { name } } }");
    assertThatThrownBy(() -> PersistedQueryManifest.of(api))
        .hasMessageContaining("Two operations are named same");
  }

  @Test
  void aManifestWhoseIdsAreNotItsBodiesHashesIsRefused() {
    String json =
        "{\"format\":\"apollo-persisted-query-manifest\",\"version\":1,\"operations\":[{\"id\":\""
            + "0".repeat(64)
            + "\",\"name\":\"q\",\"type\":\"query\",\"body\":\"query q { __typename }\"}]}";
    assertThatThrownBy(
            () ->
                PersistedQueryManifest.read(
                    new ByteArrayInputStream(json.getBytes(StandardCharsets.UTF_8))))
        .hasMessageContaining("not the SHA-256 of its body");
    assertThatThrownBy(
            () ->
                PersistedQueryManifest.read(
                    new ByteArrayInputStream(
                        "{\"format\":\"other\",\"version\":1}".getBytes(StandardCharsets.UTF_8))))
        .hasMessageContaining("version 1");
    assertThat(new PersistedQueryManifest(List.of()).operations()).isEmpty();
  }
}
