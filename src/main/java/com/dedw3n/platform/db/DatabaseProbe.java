package com.dedw3n.platform.db;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.r2dbc.pool.ConnectionPool;
import java.time.Duration;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import org.springframework.context.SmartLifecycle;
import org.springframework.stereotype.Component;
import reactor.core.Disposable;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * The production guide's database probe: every {@code dedw3n.db.probe-interval} (a minute), a timed
 * {@code SELECT 1} through the pool, whether requests come or not. Its latency is the timer {@code
 * dedw3n.db.probe} (a database that slows down shows before requests do), a probe over a second is
 * a warning, and a failed one counts in {@code dedw3n.db.probe.failures} and is logged.
 */
@Component
class DatabaseProbe implements SmartLifecycle {

  private static final Log log = LogFactory.getLog(DatabaseProbe.class);
  private static final Duration SLOW = Duration.ofSeconds(1);
  private static final Duration GIVE_UP = Duration.ofSeconds(10);

  private final ConnectionPool pool;
  private final Duration interval;
  private final Timer latency;
  private final Counter failures;
  private volatile Disposable probing;

  DatabaseProbe(ConnectionPool pool, DatabaseLimits limits, MeterRegistry meters) {
    this.pool = pool;
    this.interval = limits.probeInterval();
    this.latency =
        Timer.builder("dedw3n.db.probe")
            .description("The periodic SELECT 1 through the pool, from acquiring to its answer")
            .register(meters);
    this.failures =
        Counter.builder("dedw3n.db.probe.failures")
            .description("Periodic database probes that failed or took over 10 s")
            .register(meters);
  }

  /** One probe: its duration, recorded and logged when slow; empty when it failed. */
  Mono<Duration> probe() {
    return Mono.defer(
        () -> {
          long started = System.nanoTime();
          return Mono.usingWhen(
                  pool.create(),
                  connection ->
                      Mono.from(connection.createStatement("SELECT 1").execute())
                          .flatMap(result -> Mono.from(result.getRowsUpdated())),
                  connection -> connection.close())
              .timeout(GIVE_UP)
              .then(Mono.fromSupplier(() -> Duration.ofNanos(System.nanoTime() - started)))
              .doOnNext(
                  took -> {
                    latency.record(took);
                    if (took.compareTo(SLOW) > 0) {
                      log.warn("Database probe: SELECT 1 took " + took.toMillis() + " ms");
                    }
                  })
              .onErrorResume(
                  e -> {
                    failures.increment();
                    log.warn("Database probe failed: " + e);
                    return Mono.empty();
                  });
        });
  }

  @Override
  public void start() {
    probing =
        Flux.interval(interval, interval)
            .onBackpressureDrop()
            .concatMap(tick -> probe())
            .subscribe();
  }

  @Override
  public void stop() {
    Disposable running = probing;
    if (running != null) {
      running.dispose();
    }
    probing = null;
  }

  @Override
  public boolean isRunning() {
    return probing != null;
  }
}
