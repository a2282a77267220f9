package com.dedw3n.platform.db;

import static org.assertj.core.api.Assertions.assertThat;

import com.dedw3n.ApiTests;
import io.r2dbc.pool.ConnectionPool;
import io.r2dbc.spi.Connection;
import io.r2dbc.spi.Result;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.Status;
import org.springframework.boot.r2dbc.autoconfigure.R2dbcProperties;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/** The database's health: DOWN when it does not answer, UP when it is only busy. */
class DatabaseHealthIndicatorTests extends ApiTests {

  @Autowired R2dbcProperties settings;

  /**
   * Every connection in use and the check gets none in its second: UP (saturated) while PostgreSQL
   * answers them, DOWN once it has not for a while. It was DOWN at once, and under load readiness
   * failed on every instance together.
   */
  @Test
  void aPoolBusyWithADatabaseThatAnswersIsUpAndOneThatDoesNotIsDown() {
    StatementDurations durations = PoolsOfOne.durations(settings);
    ConnectionPool pool = PoolsOfOne.pool(settings, 0, durations);
    // a short check, and a window no pause of a loaded machine outlasts; and one already past
    DatabaseHealthIndicator health =
        new DatabaseHealthIndicator(pool, durations, Duration.ofMillis(300), Duration.ofMinutes(5));
    DatabaseHealthIndicator longAgo =
        new DatabaseHealthIndicator(pool, durations, Duration.ofMillis(300), Duration.ZERO);
    try {
      Connection held = pool.create().block(Duration.ofSeconds(30));
      try {
        // read to its end: a read its reader stops early does not tell that PostgreSQL answered
        Flux.from(held.createStatement("SELECT 1").execute())
            .concatMap(Result::getRowsUpdated)
            .blockLast(Duration.ofSeconds(30));
        Health busy = health.health().block(Duration.ofSeconds(5));
        assertThat(busy.getStatus()).isEqualTo(Status.UP);
        assertThat(busy.getDetails()).containsEntry("saturated", true).containsEntry("acquired", 1);
        assertThat(longAgo.health().block(Duration.ofSeconds(5)).getStatus())
            .as("nothing answered within its window")
            .isEqualTo(Status.DOWN);
      } finally {
        Mono.from(held.close()).block(Duration.ofSeconds(30));
      }
      // the connection free again: a check that gets it (with time to spare on a busy machine)
      Health free =
          new DatabaseHealthIndicator(
                  pool, durations, Duration.ofSeconds(10), Duration.ofMinutes(5))
              .health()
              .block(Duration.ofSeconds(15));
      assertThat(free.getStatus()).isEqualTo(Status.UP);
      assertThat(free.getDetails()).doesNotContainKey("saturated");
    } finally {
      pool.dispose();
    }
  }
}
