package com.dedw3n.price.internal;

import org.springframework.modulith.NamedInterface;

/**
 * How much a client may trust a price, by the age of the provider's answer behind it (the limits
 * are settings; these are the defaults).
 */
@NamedInterface("quotes")
public enum PriceFreshness {
  /** Fetched from a provider within the last 5 minutes. */
  FRESH,
  /** 5 to 15 minutes old: a refresh is running or the providers are failing. */
  STALE,
  /** 15 minutes to 1 hour old: every provider has been failing for a while. */
  FALLBACK,
  /** No provider answer within the hour: the static rate from configuration. */
  EMERGENCY
}
