package com.dedw3n.price.internal;

/**
 * A provider call brought no usable answer: connection refused, timeout, 5xx, a refused key, a
 * malformed body. Only {@link #isTransient() transient} failures are worth another attempt.
 */
class ProviderFailed extends RuntimeException {

  private final String provider;
  private final boolean transientFailure;

  ProviderFailed(String provider, String reason, boolean transientFailure) {
    super(provider + ": " + reason, null, false, false);
    this.provider = provider;
    this.transientFailure = transientFailure;
  }

  static ProviderFailed temporarily(String provider, String reason) {
    return new ProviderFailed(provider, reason, true);
  }

  static ProviderFailed permanently(String provider, String reason) {
    return new ProviderFailed(provider, reason, false);
  }

  String provider() {
    return provider;
  }

  boolean isTransient() {
    return transientFailure;
  }
}
