package com.dedw3n.price.internal;

import io.github.resilience4j.circuitbreaker.CallNotPermittedException;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.github.resilience4j.reactor.circuitbreaker.operator.CircuitBreakerOperator;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Set;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import org.jspecify.annotations.Nullable;
import reactor.core.publisher.Mono;
import reactor.util.retry.Retry;

/**
 * A provider behind its guards, outermost first: skipped while a 429's Retry-After runs; its
 * circuit breaker (one outcome per call, retries included); a jittered retry of transient failures
 * only; a timeout per attempt. Records the metrics {@code dedw3n.price.provider.calls} (a timer
 * tagged with the outcome: success, failure, rate_limited, not_permitted) and {@code
 * dedw3n.price.provider.rejected} (prices refused, by reason).
 */
final class GuardedProvider {

  private static final Log log = LogFactory.getLog(GuardedProvider.class);

  private final PriceProvider provider;
  private final CircuitBreaker breaker;
  private final PriceSettings.Upstream upstream;
  private final Clock clock;
  private final MeterRegistry meters;
  private volatile Instant rateLimitedUntil = Instant.MIN;

  GuardedProvider(
      PriceProvider provider,
      CircuitBreaker breaker,
      PriceSettings.Upstream upstream,
      Clock clock,
      MeterRegistry meters) {
    this.provider = provider;
    this.breaker = breaker;
    this.upstream = upstream;
    this.clock = clock;
    this.meters = meters;
    breaker
        .getEventPublisher()
        .onStateTransition(
            event ->
                log.warn(
                    "Price provider "
                        + provider.name()
                        + ": circuit breaker "
                        + event.getStateTransition()));
  }

  String name() {
    return provider.name();
  }

  @Nullable String disabledReason() {
    return provider.disabledReason();
  }

  CircuitBreaker breaker() {
    return breaker;
  }

  /** Until when a 429 keeps this provider skipped; in the past when it is not. */
  Instant rateLimitedUntil() {
    return rateLimitedUntil;
  }

  /** Configured, and not waiting out a Retry-After. (An open breaker refuses on its own.) */
  boolean mayBeAsked() {
    return provider.disabledReason() == null && !clock.instant().isBefore(rateLimitedUntil);
  }

  /** Back to a closed breaker and no Retry-After; for tests. */
  void forget() {
    breaker.reset();
    rateLimitedUntil = Instant.MIN;
  }

  /** The provider's answer, or an error once every guard has had its say. */
  Mono<ProviderAnswer> fetch(Set<PricePair> pairs) {
    // a timeout for each request the fetch makes, one after the other: three of CoinMarketCap's
    // free plan (a currency each), on new connections after minutes idle, must not share one
    // request's 2 s (the total, not each request, is bounded: one slow request may use the others')
    Duration timeout = upstream.timeout().multipliedBy(Math.max(1, provider.requests(pairs)));
    Mono<ProviderAnswer> attempt =
        Mono.defer(() -> provider.fetch(pairs))
            .timeout(
                timeout,
                Mono.error(
                    () ->
                        ProviderFailed.permanently(
                            name(), "no answer within " + timeout.toMillis() + " ms")));
    return Mono.defer(
        () -> {
          Timer.Sample sample = Timer.start(meters);
          return attempt
              .retryWhen(
                  Retry.backoff(Math.max(0, upstream.maxAttempts() - 1), upstream.backoff())
                      .jitter(0.5)
                      .filter(e -> e instanceof ProviderFailed failed && failed.isTransient())
                      .onRetryExhaustedThrow((spec, signal) -> signal.failure()))
              .flatMap(
                  answer ->
                      answer.prices().isEmpty()
                          ? Mono.error(
                              ProviderFailed.permanently(
                                  name(), "no usable price in the answer " + answer.rejected()))
                          : Mono.just(answer))
              .transformDeferred(CircuitBreakerOperator.of(breaker))
              .doOnNext(
                  answer -> {
                    sample.stop(timer("success"));
                    if (!answer.rejected().isEmpty()) {
                      answer.rejected().values().forEach(reason -> rejected(reason).increment());
                      log.warn(
                          "Price provider "
                              + name()
                              + ": "
                              + answer.rejected().size()
                              + " prices unusable "
                              + answer.rejected());
                    }
                  })
              .doOnError(e -> failed(e, sample));
        });
  }

  private void failed(Throwable error, Timer.Sample sample) {
    if (error instanceof ProviderRateLimited limited) {
      Duration wait =
          limited.retryAfter() == null ? upstream.defaultRetryAfter() : limited.retryAfter();
      rateLimitedUntil = clock.instant().plus(wait);
      sample.stop(timer("rate_limited"));
      log.warn(error.getMessage() + "; skipped until " + rateLimitedUntil);
    } else if (error instanceof CallNotPermittedException) {
      sample.stop(timer("not_permitted"));
      log.debug("Price provider " + name() + ": circuit breaker open, not asked");
    } else {
      sample.stop(timer("failure"));
      log.warn("Price provider call failed: " + error.getMessage());
    }
  }

  private Timer timer(String outcome) {
    return Timer.builder("dedw3n.price.provider.calls")
        .description("Calls to a crypto price provider, by outcome")
        .tag("provider", name())
        .tag("outcome", outcome)
        .register(meters);
  }

  Counter rejected(String reason) {
    return Counter.builder("dedw3n.price.provider.rejected")
        .description("Prices a provider sent that were not used: missing, invalid, outlier")
        .tag("provider", name())
        .tag("reason", reason)
        .register(meters);
  }
}
