package com.dedw3n.platform.graphql;

import java.util.regex.Pattern;

/**
 * Checks of client input made in code rather than declared on the argument (with Bean Validation,
 * such as {@link Text}); each failure is a BAD_REQUEST naming the argument.
 */
public final class Inputs {

  private Inputs() {}

  /** A control character other than tab, line feed and carriage return. */
  static final Pattern CONTROL = Pattern.compile("[\\p{Cc}&&[^\\t\\n\\r]]");

  /**
   * The text as it is checked and stored: without the white space around it, the no-break and
   * zero-width kinds too ({@link #around}). A loop, not a pattern: a pattern for trailing white
   * space tries every position of a long run of spaces inside a text, quadratic in its length, and
   * the validator sees arguments of any length.
   */
  public static String strip(String value) {
    int start = 0;
    int end = value.length();
    while (start < end && around(value.codePointAt(start))) {
      start += Character.charCount(value.codePointAt(start));
    }
    while (end > start && around(value.codePointBefore(end))) {
      end -= Character.charCount(value.codePointBefore(end));
    }
    return value.substring(start, end);
  }

  /**
   * White space as {@link #strip} removes it: Java's ({@code String.strip()}'s), the Unicode space
   * separators (no-break spaces) and the invisible spaces among the format characters (zero-width
   * space, word joiner, byte order mark, Mongolian vowel separator). Not the other format
   * characters: the tags that end the flags of England, Scotland and Wales, and the direction marks
   * that end right-to-left text, are part of the text.
   */
  static boolean around(int codePoint) {
    return Character.isWhitespace(codePoint)
        || Character.isSpaceChar(codePoint)
        || codePoint == 0x200B
        || codePoint == 0x2060
        || codePoint == 0xFEFF
        || codePoint == 0x180E;
  }

  /**
   * Whether the text has a character that shows: one that is not white space, a control or a format
   * character (a body of direction marks alone is as empty as one of spaces).
   */
  static boolean visible(String text) {
    return text.codePoints()
        .anyMatch(
            c ->
                !around(c)
                    && Character.getType(c) != Character.FORMAT
                    && Character.getType(c) != Character.CONTROL);
  }

  /** A trimmed text of {@code min..max} characters. */
  public static String text(String argument, String value, int min, int max) {
    String trimmed = value == null ? "" : strip(value);
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
