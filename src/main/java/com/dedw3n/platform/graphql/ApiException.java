package com.dedw3n.platform.graphql;

/**
 * An expected failure that a client can act on, reported as a GraphQL error with its {@link
 * ErrorKind} and this message (which is shown to client developers, so it names the argument and
 * the rule, never SQL or class names).
 */
public class ApiException extends RuntimeException {

  private final ErrorKind kind;

  public ApiException(ErrorKind kind, String message) {
    super(message, null, false, false);
    this.kind = kind;
  }

  public ErrorKind kind() {
    return kind;
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
}
