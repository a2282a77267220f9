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

  @Test
  void anOperationNamedTwiceIsAllowedOnce() {
    String name = "twice-" + UUID.randomUUID();
    var created =
        run(
            "partners",
            "create",
            name,
            "--operations=productFeed,productFeed",
            "--operations=productDetail,productFeed");
    assertThat(created.exitCode()).isZero();
    String key = created.output().lines().reduce((a, b) -> b).orElseThrow();
    assertThat(partners.byKey(key).block().allowedOperations()).hasSize(2);

    var allowed = run("partners", "allow", name, "--operations=productDetail,productDetail");
    assertThat(allowed.exitCode()).as(allowed.output()).isZero();
    assertThat(allowed.output()).contains("may call [productDetail]");
    assertThat(partners.byKey(key).block().allowedOperations()).hasSize(1);
    assertThat(run("partners", "list").output()).contains(name);

    // a record that holds an id twice (stored before duplicates were dropped) is still read
    db.sql(
            "UPDATE partners SET allowed_operations = allowed_operations || allowed_operations"
                + " WHERE name = $1")
        .bind(0, name)
        .then()
        .block();
    assertThat(run("partners", "list").exitCode()).isZero();
    run("partners", "allow", name, "--operations=productDetail"); // drops the cached lookup
    assertThat(partners.byKey(key).block().allowedOperations()).hasSize(1);
  }

  @Test
  void anOperationPricedOverTheCostLimitIsNotAllowed() {
    String name = "costly-" + UUID.randomUUID();
    assertThat(run("partners", "create", name, "--operations=productFeed").exitCode()).isZero();
    TrustedDocuments.Trusted myOrders =
        manifest.all().stream().filter(o -> o.name().equals("myOrders")).findFirst().orElseThrow();
    assertThat(myOrders.price()).isGreaterThan(manifest.maxCost());

    var refused = run("partners", "allow", name, "--operations=productDetail,myOrders");
    assertThat(refused.exitCode()).isEqualTo(2);
    assertThat(refused.output())
        .contains("Operation myOrders costs " + myOrders.price() + " points")
        .contains("over the cost limit of " + manifest.maxCost());
    assertThat(run("partners", "list").output()).contains(name + "  ").contains("[productFeed]");
    // what a partner may be allowed, it can call
    assertThat(
            manifest.all().stream()
                .filter(manifest::affordable)
                .map(TrustedDocuments.Trusted::name)
                .toList())
        .contains("productFeed", "productDetail", "cryptoPrice", "persistedOperations");
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
