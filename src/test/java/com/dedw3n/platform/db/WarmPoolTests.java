package com.dedw3n.platform.db;

import static org.assertj.core.api.Assertions.assertThat;

import com.dedw3n.ApiTests;
import io.r2dbc.pool.ConnectionPool;
import io.r2dbc.spi.Connection;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.r2dbc.autoconfigure.R2dbcProperties;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * The production guide's "2 warm": the pool's minimum is open from the start and stays open on a
 * quiet server, in fresh connections, since idle ones are still retired after the idle timeout.
 */
class WarmPoolTests extends ApiTests {

  private static final Duration IDLE = Duration.ofMillis(600);

  @Autowired R2dbcProperties settings;

  @Test
  void theMinimumIsOpenFromTheStartAndReopenedAfterIdleConnectionsAreRetired() throws Exception {
    ConnectionPool pool = PoolsOfOne.pool(settings, 2, 4, IDLE, 0, PoolsOfOne.durations(settings));
    try {
      awaitOpen(pool, 2);
      Set<Integer> first = backendsOfAll(pool, 2);

      // quiet for five idle timeouts: the sweep retires both, more than once
      Thread.sleep(IDLE.multipliedBy(5).toMillis());

      awaitOpen(pool, 2);
      Set<Integer> later = backendsOfAll(pool, 2);
      assertThat(later)
          .as("fresh connections, not the first two kept idle")
          .doesNotContainAnyElementsOf(first);
      assertThat(allocated(pool)).as("no more than the minimum opened while quiet").isEqualTo(2);
    } finally {
      pool.dispose();
    }
  }

  @Test
  void aPoolWithoutAMinimumOpensNothingUntilAsked() throws Exception {
    ConnectionPool pool = PoolsOfOne.pool(settings, 0, 4, IDLE, 0, PoolsOfOne.durations(settings));
    try {
      Thread.sleep(IDLE.toMillis());
      assertThat(allocated(pool)).isZero();
    } finally {
      pool.dispose();
    }
  }

  private static int allocated(ConnectionPool pool) {
    return pool.getMetrics().orElseThrow().allocatedSize();
  }

  private static void awaitOpen(ConnectionPool pool, int connections) throws InterruptedException {
    long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
    while (pool.getMetrics().orElseThrow().idleSize() != connections) {
      assertThat(System.nanoTime())
          .as("%d idle connections in time (open: %d)", connections, allocated(pool))
          .isLessThan(deadline);
      Thread.sleep(10);
    }
  }

  /** The backend process ids of {@code n} connections held at once: each a different one. */
  private static Set<Integer> backendsOfAll(ConnectionPool pool, int n) {
    List<Integer> pids =
        Flux.range(0, n)
            .flatMap(i -> pool.create())
            .collectList()
            .flatMap(
                held ->
                    Flux.fromIterable(held)
                        .concatMap(WarmPoolTests::backend)
                        .collectList()
                        .flatMap(
                            found ->
                                Flux.fromIterable(held)
                                    .concatMap(Connection::close)
                                    .then(Mono.just(found))))
            .block(Duration.ofSeconds(30));
    assertThat(new HashSet<>(pids)).hasSize(n);
    return new HashSet<>(pids);
  }

  private static Mono<Integer> backend(Connection connection) {
    return Mono.from(connection.createStatement("SELECT pg_backend_pid()").execute())
        .flatMap(result -> Mono.from(result.map((row, meta) -> row.get(0, Integer.class))));
  }
}
