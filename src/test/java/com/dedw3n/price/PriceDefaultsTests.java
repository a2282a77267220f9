package com.dedw3n.price;

import static org.assertj.core.api.Assertions.assertThat;

import com.dedw3n.ApiTests;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;

/**
 * The server as a new user runs it: no API keys and no provider reachable (the tests point every
 * provider at a closed loopback port). Prices still answer, as EMERGENCY, and quickly.
 */
class PriceDefaultsTests extends ApiTests {

  @Autowired MeterRegistry meters;

  @Test
  void withNoProviderReachableCryptoPriceAnswersEmergencyRatesQuickly() {
    double refreshes = refreshes();
    long start = System.nanoTime();
    for (int i = 0; i < 20; i++) {
      anonymous()
          .documentName("cryptoPrice")
          .variable("symbol", "BTC")
          .variable("currency", "USD")
          .execute()
          .path("cryptoPrice.freshness")
          .entity(String.class)
          .isEqualTo("EMERGENCY")
          .path("cryptoPrice.source")
          .entity(String.class)
          .isEqualTo("emergency")
          .path("cryptoPrice.price")
          .entity(String.class)
          .isEqualTo("90000");
    }
    // the first read tried the providers; the others did not wait for them again
    assertThat(refreshes()).isLessThanOrEqualTo(refreshes + 1);
    assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(10));
  }

  private double refreshes() {
    return meters.find("dedw3n.price.refreshes").counters().stream()
        .mapToDouble(c -> c.count())
        .sum();
  }

  @Test
  void theHealthEndpointNamesTheProvidersSkippedForWantOfAKey() {
    http()
        .get()
        .uri("/actuator/health")
        .exchange()
        .expectStatus()
        .isOk()
        .expectBody()
        .jsonPath("$.components.prices.status")
        .isEqualTo("UP")
        .jsonPath("$.components.prices.details.providers.coinmarketcap.state")
        .isEqualTo("SKIPPED")
        .jsonPath("$.components.prices.details.providers.coinmarketcap.reason")
        .isEqualTo("no COINMARKETCAP_API_KEY");
  }
}
