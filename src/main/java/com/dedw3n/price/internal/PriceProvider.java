package com.dedw3n.price.internal;

import java.util.Set;
import org.jspecify.annotations.Nullable;
import reactor.core.publisher.Mono;

/**
 * One upstream price API, spoken as its documentation says. Three implementations, one per
 * provider; {@link GuardedProvider} adds the timeout, retry, circuit breaker and metrics.
 */
interface PriceProvider {

  /** Lower case; the {@code source} of the quotes it brings and the breaker's name. */
  String name();

  /** Null when it may be asked; otherwise why it is skipped (no API key, disabled). */
  @Nullable String disabledReason();

  /**
   * Prices for the given pairs in one request (CoinMarketCap on a free plan: one per currency).
   * Fails with {@link ProviderRateLimited} on a 429, {@link ProviderFailed} on any other failure,
   * including an answer that is not the documented JSON; a pair the answer lacks or prices at zero
   * is reported in {@link ProviderAnswer#rejected()}.
   */
  Mono<ProviderAnswer> fetch(Set<PricePair> pairs);

  /**
   * How many HTTP requests, one after the other, {@link #fetch} makes for these pairs: a fetch of
   * several has as many timeouts in all.
   */
  default int requests(Set<PricePair> pairs) {
    return 1;
  }
}
