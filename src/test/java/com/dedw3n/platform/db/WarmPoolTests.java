package com.dedw3n.platform.db;

import static org.assertj.core.api.Assertions.assertThat;

import com.dedw3n.ApiTests;
import com.dedw3n.TcpProxy;
import io.r2dbc.pool.ConnectionPool;
import io.r2dbc.spi.Connection;
import io.r2dbc.spi.ConnectionFactoryOptions;
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
    ConnectionPool pool = pool(settings, 2, 4);
    try {
      awaitIdle(pool, 2);
      Set<Integer> first = backendsOfAll(pool, 2);

      // quiet for five idle timeouts: the sweep (every second) retires the first two, and the
      // pool opens two others in their place
      Thread.sleep(IDLE.multipliedBy(5).toMillis());
      assertThat(stillConnected(first)).as("the first two backends, retired").isZero();
      awaitIdle(pool, 2);
      assertThat(allocated(pool))
          .as("no more than the minimum opened while quiet")
          .isLessThanOrEqualTo(2);
      assertThat(backendsOfAll(pool, 2)).doesNotContainAnyElementsOf(first);
    } finally {
      pool.dispose();
    }
  }

  /**
   * A database that is not there yet (or down on a quiet server) fails the pool's attempts to open
   * its minimum; when it is back, the whole pool serves, the minimum open again: no failed attempt
   * keeps a place of the pool for good.
   */
  @Test
  void afterTheDatabaseWasDownTheMinimumIsOpenAndThePoolWhole() throws Exception {
    ConnectionFactoryOptions options = ConnectionFactoryOptions.parse(settings.getUrl());
    String address =
        options.getRequiredValue(ConnectionFactoryOptions.HOST)
            + ":"
            + options.getRequiredValue(ConnectionFactoryOptions.PORT);
    assertThat(settings.getUrl()).contains("//" + address + "/");
    try (TcpProxy network =
        TcpProxy.to(
            options.getRequiredValue(ConnectionFactoryOptions.HOST).toString(),
            (Integer) options.getRequiredValue(ConnectionFactoryOptions.PORT))) {
      network.crusher().close();
      R2dbcProperties behind = new R2dbcProperties();
      behind.setUrl(
          settings.getUrl().replace("//" + address + "/", "//127.0.0.1:" + network.port() + "/"));
      behind.setUsername(settings.getUsername());
      behind.setPassword(settings.getPassword());
      behind.getProperties().putAll(settings.getProperties());
      behind.getPool().setMaxAcquireTime(settings.getPool().getMaxAcquireTime());
      // the minimum is the whole pool: a place lost would leave a request nothing to take
      ConnectionPool pool = pool(behind, 2, 2);
      try {
        // attempts to open the minimum fail, refused, for two refills
        Thread.sleep(1_200);
        network.crusher().open();
        awaitIdle(pool, 2);
        long started = System.nanoTime();
        assertThat(backendsOfAll(pool, 2)).hasSize(2);
        assertThat(Duration.ofNanos(System.nanoTime() - started))
            .as("both taken at once, without waiting for the acquire timeout")
            .isLessThan(Duration.ofSeconds(2));
      } finally {
        pool.dispose();
      }
    }
  }

  @Test
  void aPoolWithoutAMinimumOpensNothingUntilAsked() throws Exception {
    ConnectionPool pool = pool(settings, 0, 4);
    try {
      Thread.sleep(IDLE.toMillis());
      assertThat(allocated(pool)).isZero();
    } finally {
      pool.dispose();
    }
  }

  private static ConnectionPool pool(R2dbcProperties settings, int min, int max) {
    return PoolsOfOne.pool(
        settings, min, max, IDLE, Duration.ofMinutes(30), 0, PoolsOfOne.durations(settings));
  }

  private static int allocated(ConnectionPool pool) {
    return pool.getMetrics().orElseThrow().allocatedSize();
  }

  private static void awaitIdle(ConnectionPool pool, int connections) throws InterruptedException {
    long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
    while (pool.getMetrics().orElseThrow().idleSize() != connections) {
      assertThat(System.nanoTime())
          .as("%d idle connections in time (open: %d)", connections, allocated(pool))
          .isLessThan(deadline);
      Thread.sleep(10);
    }
  }

  /** How many of these backends PostgreSQL still has, seen from the server's own pool. */
  private long stillConnected(Set<Integer> backends) {
    return db.sql("SELECT count(*) FROM pg_stat_activity WHERE pid = ANY($1)")
        .bind(0, backends.toArray(Integer[]::new))
        .map(row -> row.get(0, Long.class))
        .one()
        .block(Duration.ofSeconds(30));
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
