package com.dedw3n.price.internal;

import java.time.Duration;
import org.jspecify.annotations.Nullable;

/**
 * A provider answered 429 Too Many Requests (or its equivalent): it is not asked again, not even
 * retried, until {@link #retryAfter()} has passed. Not a failure for its circuit breaker: the
 * provider works, we asked too often.
 */
class ProviderRateLimited extends RuntimeException {

  private final @Nullable Duration retryAfter;

  /**
   * @param retryAfter what the provider's Retry-After said, or null when it said nothing
   */
  ProviderRateLimited(String provider, @Nullable Duration retryAfter) {
    super(
        provider
            + ": rate limited"
            + (retryAfter == null ? "" : ", retry after " + retryAfter.toSeconds() + " s"),
        null,
        false,
        false);
    this.retryAfter = retryAfter;
  }

  @Nullable Duration retryAfter() {
    return retryAfter;
  }
}
