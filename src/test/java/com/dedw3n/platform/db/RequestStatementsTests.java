package com.dedw3n.platform.db;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Mono;
import reactor.test.StepVerifier;

/** The repeated cancel requests of a stopped request's statements, on virtual time. */
class RequestStatementsTests {

  @Test
  void anAttemptSlowerThanTheIntervalSkipsTicksAndTheAttemptsGoOn() {
    AtomicInteger started = new AtomicInteger();
    AtomicInteger running = new AtomicInteger();
    AtomicInteger mostAtOnce = new AtomicInteger();
    StepVerifier.withVirtualTime(
            () ->
                RequestStatements.attempts(
                    Duration.ofMillis(250),
                    10,
                    () -> true,
                    () ->
                        Mono.delay(Duration.ofMillis(600))
                            .doOnSubscribe(
                                s -> {
                                  started.incrementAndGet();
                                  mostAtOnce.accumulateAndGet(running.incrementAndGet(), Math::max);
                                })
                            .doFinally(s -> running.decrementAndGet())
                            .then()))
        .thenAwait(Duration.ofSeconds(30))
        // it failed here with "Could not emit tick 1 due to lack of requests"
        .verifyComplete();
    assertThat(started).hasValue(10);
    assertThat(mostAtOnce).hasValue(1);
  }

  /**
   * The first attempt is made even when the statement has been unregistered by then: a subscriber
   * that cancels it does so right after the cancel was decided, and PostgreSQL still runs it.
   */
  @Test
  void theFirstAttemptIsMadeWhateverHappenedSince() {
    AtomicInteger started = new AtomicInteger();
    StepVerifier.withVirtualTime(
            () ->
                RequestStatements.attempts(
                    Duration.ofMillis(250),
                    10,
                    () -> false,
                    () -> Mono.fromRunnable(started::incrementAndGet)))
        .thenAwait(Duration.ofSeconds(30))
        .verifyComplete();
    assertThat(started).hasValue(1);
  }

  @Test
  void theAttemptsStopOnceTheStatementHasEnded() {
    AtomicInteger started = new AtomicInteger();
    StepVerifier.withVirtualTime(
            () ->
                RequestStatements.attempts(
                    Duration.ofMillis(250),
                    10,
                    () -> started.get() < 3,
                    () -> Mono.fromRunnable(started::incrementAndGet)))
        .thenAwait(Duration.ofSeconds(30))
        .verifyComplete();
    assertThat(started).hasValue(3);
  }
}
