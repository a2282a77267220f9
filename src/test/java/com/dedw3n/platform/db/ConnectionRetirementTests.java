package com.dedw3n.platform.db;

import static org.assertj.core.api.Assertions.assertThat;

import com.dedw3n.ApiTests;
import io.r2dbc.pool.ConnectionPool;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.r2dbc.autoconfigure.R2dbcProperties;
import org.springframework.r2dbc.core.DatabaseClient;
import reactor.core.publisher.Mono;
import reactor.pool.PooledRefMetadata;
import reactor.test.StepVerifier;

/**
 * Pooled connections are retired after {@code dedw3n.db.max-uses} uses, after a cancel request was
 * sent for one of their statements, and still by idle time and age as r2dbc-pool's own settings
 * say.
 */
class ConnectionRetirementTests extends ApiTests {

  @Autowired R2dbcProperties settings;

  @Test
  void aConnectionIsReplacedAfterItsMaximumNumberOfUses() {
    ConnectionPool connections = poolOfOne(3);
    try {
      DatabaseClient client = DatabaseClient.create(connections);
      List<Integer> backends = new ArrayList<>();
      for (int i = 0; i < 7; i++) {
        backends.add(backend(client));
      }
      // three statements a backend: the fourth and the seventh are each on a new one
      assertThat(backends.subList(0, 3)).containsOnly(backends.get(0));
      assertThat(backends.subList(3, 6)).containsOnly(backends.get(3));
      assertThat(backends.get(3)).isNotEqualTo(backends.get(0));
      assertThat(backends.get(6)).isNotIn(backends.get(0), backends.get(3));
    } finally {
      connections.dispose();
    }
  }

  /**
   * A stopped request's cancel request could reach PostgreSQL after its statement had ended, and
   * cancel whatever the connection ran next for another request: the connection is never reused.
   */
  @Test
  void aConnectionWhoseStatementWasCancelledIsNotHandedOutAgain() {
    ConnectionPool connections = poolOfOne(0);
    try {
      DatabaseClient client = DatabaseClient.create(connections);
      int before = backend(client);
      assertThat(backend(client)).as("the one connection, reused").isEqualTo(before);

      RequestStatements request = new RequestStatements("sleeper");
      Mono<Void> sleeping =
          client
              .sql("SELECT pg_sleep(30)")
              .then()
              .contextWrite(context -> context.put(RequestStatements.KEY, request));
      StepVerifier.create(sleeping)
          .then(() -> await(() -> request.running() == 1))
          .then(request::cancel)
          .expectErrorSatisfies(
              e -> assertThat(e).hasMessageContaining("canceling statement due to user request"))
          .verify(Duration.ofSeconds(20));

      int after = backend(client);
      assertThat(after).as("a new connection, not the cancelled one").isNotEqualTo(before);
      assertThat(backend(client)).as("which is reused as usual").isEqualTo(after);
    } finally {
      connections.dispose();
    }
  }

  /**
   * Background work has no request to stop it: bounded, a statement that does not answer (here
   * pg_sleep; in production a connection the network stopped carrying) is given up at the deadline
   * and its connection not handed out again. Whether PostgreSQL stops it at once depends on when
   * the cancel request lands (one that comes before the statement starts is ignored);
   * statement_timeout stops it in any case, so that is not asserted.
   */
  @Test
  void backgroundWorkPastItsDeadlineIsStoppedAndItsConnectionRetired() {
    ConnectionPool connections = poolOfOne(0);
    try {
      DatabaseClient client = DatabaseClient.create(connections);
      int before = backend(client);
      long started = System.nanoTime();
      StepVerifier.create(
              RequestStatements.bounded(
                  "sleeper", Duration.ofMillis(500), client.sql("SELECT pg_sleep(30)").then()))
          .expectErrorSatisfies(
              e ->
                  assertThat(e)
                      .isInstanceOf(TimeoutException.class)
                      .hasMessage("sleeper took more than 500 ms"))
          .verify(Duration.ofSeconds(20));
      assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofSeconds(5));
      int after = backend(client);
      assertThat(after).as("a new connection, not the stopped one").isNotEqualTo(before);
    } finally {
      connections.dispose();
    }
  }

  /**
   * Boot leaves max-life-time unset (null), which r2dbc-pool reads as no limit: the retirement rule
   * read it as a duration, failed on each release, and the connection was never given back.
   */
  @Test
  void aPoolWithoutAMaximumLifetimeTakesItsConnectionsBack() {
    ConnectionPool connections =
        PoolsOfOne.pool(
            settings,
            0,
            1,
            settings.getPool().getMaxIdleTime(),
            null,
            0,
            PoolsOfOne.durations(settings));
    try {
      DatabaseClient client = DatabaseClient.create(connections);
      int first = backend(client);
      assertThat(backend(client)).as("the one connection, given back and reused").isEqualTo(first);
    } finally {
      connections.dispose();
    }
  }

  private static int backend(DatabaseClient client) {
    return client
        .sql("SELECT pg_backend_pid()")
        .map(row -> row.get(0, Integer.class))
        .one()
        .block(Duration.ofSeconds(30));
  }

  private static void await(java.util.function.BooleanSupplier condition) {
    long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
    while (!condition.getAsBoolean()) {
      assertThat(System.nanoTime()).as("in time").isLessThan(deadline);
      Thread.onSpinWait();
    }
  }

  private ConnectionPool poolOfOne(int maxUses) {
    return PoolsOfOne.pool(settings, maxUses, PoolsOfOne.durations(settings));
  }

  @Test
  void idleTimeAndAgeStillRetireConnectionsAsR2dbcPoolWould() {
    var rule = new ConnectionRetirement(Duration.ofSeconds(30), Duration.ofMinutes(30), 7500);
    assertThat(rule.test(null, used(0, 1_000, 1))).isFalse();
    assertThat(rule.test(null, used(30_000, 40_000, 1))).as("idle 30 s").isTrue();
    assertThat(rule.test(null, used(0, 30 * 60_000, 1))).as("open 30 min").isTrue();
    assertThat(rule.test(null, used(0, 1_000, 7499))).isFalse();
    assertThat(rule.test(null, used(0, 1_000, 7500))).as("7,500 uses").isTrue();
    // r2dbc-pool's meanings of zero (evict at once) and negative (no limit)
    assertThat(
            new ConnectionRetirement(Duration.ZERO, Duration.ofMinutes(1), 0)
                .test(null, used(0, 0, 1)))
        .isTrue();
    assertThat(
            new ConnectionRetirement(Duration.ofMillis(-1), Duration.ofMillis(-1), 0)
                .test(null, used(Long.MAX_VALUE / 2, Long.MAX_VALUE / 2, Integer.MAX_VALUE)))
        .as("no limits")
        .isFalse();
  }

  private static PooledRefMetadata used(long idleMillis, long lifeMillis, int uses) {
    return new PooledRefMetadata() {
      @Override
      public int acquireCount() {
        return uses;
      }

      @Override
      public long idleTime() {
        return idleMillis;
      }

      @Override
      public long lifeTime() {
        return lifeMillis;
      }

      @Override
      public long releaseTimestamp() {
        return 0;
      }

      @Override
      public long allocationTimestamp() {
        return 0;
      }
    };
  }
}
