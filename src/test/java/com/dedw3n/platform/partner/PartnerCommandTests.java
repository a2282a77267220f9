package com.dedw3n.platform.partner;

import static org.assertj.core.api.Assertions.assertThat;

import com.dedw3n.ApiTests;
import com.dedw3n.platform.graphql.TrustedDocuments;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.DefaultApplicationArguments;

/** The operator's partner command, against the real partners table. */
class PartnerCommandTests extends ApiTests {

  @Autowired Partners partners;
  @Autowired TrustedDocuments manifest;

  @Test
  void createsListsRotatesAndRevokesAPartnersKeys() {
    String name = "acme-" + UUID.randomUUID();
    var created =
        run(
            "partners",
            "create",
            name,
            "--operations=productFeed,productDetail",
            "--capacity=5000");
    assertThat(created.exitCode()).isZero();
    String key = created.output().lines().reduce((a, b) -> b).orElseThrow();
    assertThat(key).startsWith(Partners.KEY_PREFIX).hasSize(Partners.KEY_PREFIX.length() + 43);
    var partner = partners.byKey(key).block();
    assertThat(partner.name()).isEqualTo(name);
    assertThat(partner.budget().capacity()).isEqualTo(5000);
    assertThat(partner.allowedOperations()).hasSize(2);

    var listed = run("partners", "list");
    assertThat(listed.output())
        .contains(name)
        .contains(key.substring(0, 12))
        .contains("[productDetail, productFeed]");

    var rotated = run("partners", "rotate", name);
    String second = rotated.output().lines().reduce((a, b) -> b).orElseThrow();
    assertThat(partners.byKey(key).block()).isNotNull();
    assertThat(partners.byKey(second).block()).isNotNull();

    assertThat(run("partners", "revoke", name, key.substring(0, 12)).exitCode()).isZero();
    assertThat(partners.byKey(key).block()).isNull();
    assertThat(partners.byKey(second).block()).isNotNull();

    assertThat(run("partners", "allow", name, "--operations=cryptoPrice").output())
        .contains("may call [cryptoPrice]");
  }

  @Test
  void badInputIsAClearErrorAndChangesNothing() {
    String name = "nobody-" + UUID.randomUUID();
    var unknownOperation = run("partners", "create", name, "--operations=productFeed,noSuchThing");
    assertThat(unknownOperation.exitCode()).isEqualTo(2);
    assertThat(unknownOperation.output()).contains("No registered operation named noSuchThing");
    assertThat(run("partners", "list").output()).doesNotContain(name);

    assertThat(run("partners", "create", name).output()).contains("--operations=");
    assertThat(
            run("partners", "create", name, "--operations=productFeed", "--capacity=-1").output())
        .contains("--capacity must be a positive whole number");
    assertThat(run("partners", "rotate", name).output()).contains("No partner named " + name);
    assertThat(run("partners", "frobnicate").exitCode()).isEqualTo(2);
  }

  record Run(int exitCode, String output) {}

  private Run run(String... args) {
    var bytes = new ByteArrayOutputStream();
    var command =
        new PartnerCommand(
            partners, manifest, new PrintStream(bytes, true, StandardCharsets.UTF_8));
    command.run(new DefaultApplicationArguments(args));
    return new Run(command.getExitCode(), bytes.toString(StandardCharsets.UTF_8));
  }
}
