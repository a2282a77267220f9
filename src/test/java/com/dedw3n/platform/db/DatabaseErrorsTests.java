package com.dedw3n.platform.db;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import com.dedw3n.ApiTests;
import com.dedw3n.platform.graphql.ApiException;
import com.dedw3n.platform.graphql.ErrorKind;
import java.time.Duration;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Test;

/**
 * Errors PostgreSQL answers with, raised by PostgreSQL itself and received through the driver and
 * Spring as the server receives them: an outage is UNAVAILABLE (retry shortly), an error of the
 * statement is not, though the driver files most SQLSTATEs as non-transient resource failures.
 * (Here each is an ERROR on a healthy connection; a real shutdown's FATAL and closed socket are
 * {@code DatabaseOutageTests}'.)
 */
class DatabaseErrorsTests extends ApiTests {

  @Test
  void anErrorOfTheStatementIsNotAnOutage() {
    assertThat(classified("P0001")).isNull(); // a trigger's or a function's RAISE
    assertThat(classified("XX000")).isNull(); // internal error
    assertThat(classified("54000")).isNull(); // program limit exceeded
    assertThat(classified("25P02")).isNull(); // a statement in a transaction already failed
    assertThat(classified("53400")).isNull(); // over temp_file_limit: this statement, again
  }

  @Test
  void aDatabaseThatCannotServeNowIsUnavailable() {
    // 25006: a write on the old primary, a standby since the failover
    for (String state :
        new String[] {
          "08006", "57P01", "57P03", "57P05", "53300", "53100", "53200", "58030", "25006"
        }) {
      assertThat(classified(state))
          .as(state)
          .extracting(ApiException::code)
          .isEqualTo("DATABASE_UNAVAILABLE");
    }
  }

  @Test
  void aTransactionRolledBackInAConflictIsToBeSentAgain() {
    for (String state : new String[] {"40P01", "40001"}) { // deadlock, serialization failure
      assertThat(classified(state))
          .as(state)
          .satisfies(
              e -> {
                assertThat(e.code()).isEqualTo("TRANSACTION_CONFLICT");
                assertThat(e.kind()).isEqualTo(ErrorKind.UNAVAILABLE);
                assertThat(e.retryAfterSeconds()).isEqualTo(1);
              });
    }
    // a deferred constraint that failed at commit is rolled back too, but would fail again
    assertThat(classified("40002")).isNull();
  }

  @Test
  void aCancelledStatementAndAnUnstorableStringHaveTheirOwnCodes() {
    assertThat(classified("57014")).extracting(ApiException::code).isEqualTo("EXECUTION_TIMEOUT");
    assertThat(classified("22021")).extracting(ApiException::code).isEqualTo("INVALID_STRING");
    assertThat(classified("22P05")).extracting(ApiException::code).isEqualTo("INVALID_STRING");
  }

  /** What the server makes of PostgreSQL answering with this SQLSTATE. */
  private @Nullable ApiException classified(String sqlState) {
    Throwable failure =
        catchThrowable(
            () ->
                db.sql(
                        "DO $$ BEGIN RAISE EXCEPTION 'raised for the test' USING ERRCODE = '"
                            + sqlState
                            + "'; END $$")
                    .then()
                    .block(Duration.ofSeconds(15)));
    assertThat(failure).as("PostgreSQL raised " + sqlState).isNotNull();
    return DatabaseErrors.classify(failure);
  }
}
