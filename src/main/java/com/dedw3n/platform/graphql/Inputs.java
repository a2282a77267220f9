package com.dedw3n.platform.graphql;

/**
 * Checks of client input made in code rather than declared on the argument (with Bean Validation,
 * such as {@link Text}); each failure is a BAD_REQUEST naming the argument.
 */
public final class Inputs {

  private Inputs() {}

  /** A trimmed text of {@code min..max} characters. */
  public static String text(String argument, String value, int min, int max) {
    String trimmed = value == null ? "" : value.strip();
    if (trimmed.length() < min || trimmed.length() > max) {
      throw ApiException.badRequest(
          argument
              + " must be "
              + min
              + " to "
              + max
              + " characters long, not "
              + trimmed.length());
    }
    return trimmed;
  }
}
