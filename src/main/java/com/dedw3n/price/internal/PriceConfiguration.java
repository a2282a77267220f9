package com.dedw3n.price.internal;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.observation.ObservationRegistry;
import java.time.Clock;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.r2dbc.core.DatabaseClient;

/**
 * The price services. Time comes from the application's {@link Clock} bean when there is exactly
 * one (tests provide one they can move), from the system clock otherwise.
 */
@Configuration(proxyBeanMethods = false)
class PriceConfiguration {

  @Bean(destroyMethod = "close")
  CryptoPrices cryptoPrices(
      PriceSettings settings,
      ObjectProvider<Clock> clock,
      MeterRegistry meters,
      ObservationRegistry observations) {
    return new CryptoPrices(settings, clock.getIfUnique(Clock::systemUTC), meters, observations);
  }

  @Bean
  PriceQuotes priceQuotes(DatabaseClient db, ObjectProvider<Clock> clock, PriceSettings settings) {
    return new PriceQuotes(db, clock.getIfUnique(Clock::systemUTC), settings);
  }
}
