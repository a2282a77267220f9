package com.dedw3n.user.internal;

import static org.assertj.core.api.Assertions.assertThat;

import com.dedw3n.ApiTests;
import java.sql.Connection;
import java.util.UUID;
import org.flywaydb.core.Flyway;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;

/**
 * The accounts that sign-ups before 2026-12-07 stored with a no-break or zero-width space around
 * the address can be signed in to once migration 40 ran.
 */
class EmailsStrippedMigrationTests extends ApiTests {

  @Autowired Flyway flyway;

  @Test
  void flywayRanItAsVersion40() {
    assertThat(
            db.sql("SELECT description FROM flyway_schema_history WHERE version = '40' AND success")
                .map(row -> row.get(0, String.class))
                .one()
                .block())
        .isEqualTo("emails stripped of invisible spaces");
  }

  @Test
  void legacyAddressesAreStrippedAndTheirOwnersSignIn() throws Exception {
    String tag = UUID.randomUUID().toString();
    String legacy = "legacy-" + tag + "@example.com";
    long legacyId = storedAs(signUp("Legacy").id(), "\u200B" + legacy + "\u00A0");
    // its twin signed up with the clean address since: it keeps it, and the legacy one its own
    String twin = "twin-" + tag + "@example.com";
    var clean = signUp("Twin");
    db.sql("UPDATE users SET email = $1 WHERE id = $2")
        .bind(0, twin)
        .bind(1, Long.parseLong(clean.id()))
        .then()
        .block();
    long twinLegacyId = storedAs(signUp("TwinLegacy").id(), twin + "\u202F");
    // two legacy accounts of one clean address: the older one gets it
    String pair = "pair-" + tag + "@example.com";
    long olderId = storedAs(signUp("Older").id(), pair + "\u00A0");
    long newerId = storedAs(signUp("Newer").id(), pair + "\uFEFF");
    // an invisible character inside stays refused stripped: left as it is
    String inside = "in\u200Bside-" + tag + "@example.com\u00A0";
    long insideId = storedAs(signUp("Inside").id(), inside);

    assertThat(signIn(legacy)).as("before the migration").isFalse();

    EmailsStrippedMigration.Outcome outcome;
    try (Connection connection = flyway.getConfiguration().getDataSource().getConnection()) {
      outcome = EmailsStrippedMigration.strip(connection);
    }

    assertThat(emailOf(legacyId)).isEqualTo(legacy);
    assertThat(signIn(legacy)).isTrue();
    assertThat(emailOf(Long.parseLong(clean.id()))).isEqualTo(twin);
    assertThat(emailOf(twinLegacyId)).isEqualTo(twin + "\u202F");
    assertThat(emailOf(olderId)).isEqualTo(pair);
    assertThat(emailOf(newerId)).isEqualTo(pair + "\uFEFF");
    assertThat(emailOf(insideId)).isEqualTo(inside);
    assertThat(outcome.kept()).contains(twinLegacyId, newerId).doesNotContain(insideId);
    assertThat(outcome.stripped()).isGreaterThanOrEqualTo(2);

    // a second run finds nothing more to do for these accounts
    try (Connection connection = flyway.getConfiguration().getDataSource().getConnection()) {
      assertThat(EmailsStrippedMigration.strip(connection).kept())
          .contains(twinLegacyId, newerId)
          .doesNotContain(legacyId, olderId);
    }
  }

  /** Stores an account's address as a sign-up before 2026-12-07 did; answers its id. */
  private long storedAs(String id, String email) {
    db.sql("UPDATE users SET email = $1 WHERE id = $2")
        .bind(0, email)
        .bind(1, Long.parseLong(id))
        .then()
        .block();
    return Long.parseLong(id);
  }

  private String emailOf(long id) {
    return db.sql("SELECT email FROM users WHERE id = $1")
        .bind(0, id)
        .map(row -> row.get(0, String.class))
        .one()
        .block();
  }

  private boolean signIn(String email) {
    var response =
        anonymous()
            .documentName("signIn")
            .variable("email", email)
            .variable("password", "correct horse battery")
            .execute();
    return response.returnResponse().getErrors().isEmpty();
  }
}
