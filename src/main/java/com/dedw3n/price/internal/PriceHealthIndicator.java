package com.dedw3n.price.internal;

import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import java.time.Clock;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.ReactiveHealthIndicator;
import org.springframework.stereotype.Component;
import reactor.core.publisher.Mono;

/**
 * {@code /actuator/health} component {@code prices}: each provider's circuit breaker state (or why
 * it is skipped, or until when a 429 keeps it away) and the age of the oldest cached price. Always
 * UP: with every provider down the API still answers, with older or EMERGENCY prices, so taking the
 * instance out of service would help nobody; {@code degraded} says when no provider is usable.
 */
@Component("prices")
class PriceHealthIndicator implements ReactiveHealthIndicator {

  private final CryptoPrices prices;
  private final Clock clock;

  PriceHealthIndicator(CryptoPrices prices, ObjectProvider<Clock> clock) {
    this.prices = prices;
    this.clock = clock.getIfUnique(Clock::systemUTC);
  }

  @Override
  public Mono<Health> health() {
    return Mono.fromSupplier(
        () -> {
          Instant now = clock.instant();
          Map<String, Object> providers = new LinkedHashMap<>();
          boolean usable = false;
          for (GuardedProvider provider : prices.providers()) {
            Map<String, Object> detail = new LinkedHashMap<>();
            if (provider.disabledReason() != null) {
              detail.put("state", "SKIPPED");
              detail.put("reason", provider.disabledReason());
            } else {
              var state = provider.breaker().getState();
              detail.put("state", state.name());
              // failed calls among the last few the breaker weighs (it opens when all of them are)
              detail.put(
                  "recentFailures", provider.breaker().getMetrics().getNumberOfFailedCalls());
              if (now.isBefore(provider.rateLimitedUntil())) {
                detail.put("rateLimitedUntil", provider.rateLimitedUntil().toString());
              } else if (state != CircuitBreaker.State.OPEN) {
                usable = true;
              }
            }
            providers.put(provider.name(), detail);
          }
          Instant oldest = prices.oldestAsOf();
          return Health.up()
              .withDetail("providers", providers)
              .withDetail("degraded", !usable)
              .withDetail("oldestPriceAsOf", oldest == null ? "none" : oldest.toString())
              .build();
        });
  }
}
