package com.dedw3n.platform.graphql;

import org.jspecify.annotations.Nullable;

/**
 * An expected failure that a client can act on, reported as a GraphQL error with its {@link
 * ErrorKind} and this message (which is shown to client developers, so it names the argument and
 * the rule, never SQL or class names). A refusal with its own reason also carries a {@code code}
 * (for example {@code QUERY_TOO_DEEP}) in {@code extensions.code}, and one the client should retry
 * later the seconds to wait in {@code extensions.retryAfter}.
 */
public class ApiException extends RuntimeException {

  private final ErrorKind kind;
  private final @Nullable String code;
  private final long retryAfterSeconds;

  public ApiException(ErrorKind kind, String message) {
    this(kind, null, message, 0);
  }

  public ApiException(
      ErrorKind kind, @Nullable String code, String message, long retryAfterSeconds) {
    super(message, null, false, false);
    this.kind = kind;
    this.code = code;
    this.retryAfterSeconds = retryAfterSeconds;
  }

  public ErrorKind kind() {
    return kind;
  }

  /** The specific reason, for refusals that have one; null otherwise. */
  public @Nullable String code() {
    return code;
  }

  /** Seconds the client should wait before retrying; 0 when retrying at once is fine or futile. */
  public long retryAfterSeconds() {
    return retryAfterSeconds;
  }

  public static ApiException badRequest(String message) {
    return new ApiException(ErrorKind.BAD_REQUEST, message);
  }

  public static ApiException unauthorized() {
    return new ApiException(ErrorKind.UNAUTHORIZED, "Sign in first.");
  }

  public static ApiException forbidden(String message) {
    return new ApiException(ErrorKind.FORBIDDEN, message);
  }

  public static ApiException notFound(String what, Object id) {
    return new ApiException(ErrorKind.NOT_FOUND, what + " " + id + " does not exist.");
  }

  public static ApiException conflict(String message) {
    return new ApiException(ErrorKind.CONFLICT, message);
  }

  /** A budget is spent: RATE_LIMITED, to retry after the given seconds (at least 1). */
  public static ApiException rateLimited(String message, long retryAfterSeconds) {
    return new ApiException(
        ErrorKind.RATE_LIMITED, "RATE_LIMITED", message, Math.max(1, retryAfterSeconds));
  }

  /** A dependency or the server itself cannot answer now: UNAVAILABLE, retry after 1 s or more. */
  public static ApiException unavailable(String code, String message, long retryAfterSeconds) {
    return new ApiException(ErrorKind.UNAVAILABLE, code, message, Math.max(1, retryAfterSeconds));
  }
}
