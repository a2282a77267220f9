package com.dedw3n.platform.graphql;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import reactor.core.Disposable;
import reactor.core.publisher.Mono;
import reactor.core.publisher.Sinks;
import reactor.test.StepVerifier;

class ExecutionLimitTests {

  private final ExecutionLimit limit = new ExecutionLimit(2, 1, Duration.ofSeconds(30));

  @Test
  void beyondTheLimitRequestsWaitTheirTurnAndBeyondTheQueueAreTurnedAway() {
    Sinks.One<String> first = Sinks.one();
    Sinks.One<String> second = Sinks.one();
    AtomicReference<String> firstResult = new AtomicReference<>();
    limit.run(first::asMono).subscribe(firstResult::set);
    limit.run(second::asMono).subscribe();

    AtomicBoolean thirdStarted = new AtomicBoolean();
    AtomicReference<String> thirdResult = new AtomicReference<>();
    limit
        .run(
            () -> {
              thirdStarted.set(true);
              return Mono.just("third");
            })
        .subscribe(thirdResult::set);
    AtomicReference<Throwable> fourth = new AtomicReference<>();
    limit.run(() -> Mono.just("fourth")).subscribe(v -> {}, fourth::set);

    assertThat(limit.executing()).isEqualTo(2);
    assertThat(limit.queued()).isEqualTo(1);
    assertThat(thirdStarted).isFalse();
    assertThat(fourth.get()).isInstanceOf(ExecutionLimit.Saturated.class);

    first.tryEmitValue("first");

    assertThat(firstResult).hasValue("first");
    assertThat(thirdResult).hasValue("third");
    assertThat(limit.queued()).isZero();
    assertThat(limit.executing()).isEqualTo(1);
  }

  @Test
  void aRequestThatWaitsLongerThanTheQueueTimeoutIsTurnedAwayAndLeavesTheQueue() {
    ExecutionLimit busy = new ExecutionLimit(1, 10, Duration.ofMillis(100));
    busy.run(() -> Sinks.<String>one().asMono()).subscribe(); // holds the only permit

    StepVerifier.create(busy.run(() -> Mono.just("never")))
        .expectErrorSatisfies(
            e ->
                assertThat(e)
                    .isInstanceOf(ExecutionLimit.Saturated.class)
                    .hasMessageContaining("within 100 ms"))
        .verify(Duration.ofSeconds(5));
    assertThat(busy.queued()).isZero();
    assertThat(busy.executing()).isEqualTo(1);
  }

  @Test
  void aCancelledOrFailedRequestGivesItsPermitBack() {
    Disposable cancelled = limit.run(() -> Sinks.<String>one().asMono()).subscribe();
    limit
        .run(() -> Mono.<String>error(new IllegalStateException("boom")))
        .subscribe(v -> {}, e -> {});
    assertThat(limit.executing()).isEqualTo(1);

    cancelled.dispose();

    assertThat(limit.executing()).isZero();
    assertThat(limit.run(() -> Mono.just("next")).block()).isEqualTo("next");
  }
}
