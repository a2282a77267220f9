package com.dedw3n.platform.graphql;

import graphql.ErrorClassification;

/**
 * The seven classifications every error of this API carries in {@code extensions.classification}.
 * Clients switch on these names, so they are part of the contract.
 */
public enum ErrorKind implements ErrorClassification {
  /** The request itself is wrong: malformed id, out-of-range argument, invalid document. */
  BAD_REQUEST,
  /** Signing in is required. */
  UNAUTHORIZED,
  /** Signed in, but not allowed. */
  FORBIDDEN,
  /** No such thing (or nothing the caller may know exists). */
  NOT_FOUND,
  /** The request is valid but conflicts with the current state: out of stock, already taken. */
  CONFLICT,
  /** Our fault; the message carries a reference for the logs and nothing else. */
  INTERNAL_ERROR,
  /**
   * The server cannot answer now (saturated, a dependency down, out of time): retry after the
   * response's Retry-After seconds. HTTP 503 when nothing of the response could be answered.
   */
  UNAVAILABLE,
  /**
   * The caller spent its budget (query cost, sign-in attempts, messages per minute...): retry after
   * {@code extensions.retryAfter} seconds. HTTP 429 with Retry-After when nothing was answered.
   */
  RATE_LIMITED
}
