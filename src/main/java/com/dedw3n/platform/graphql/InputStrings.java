package com.dedw3n.platform.graphql;

import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * Strings no argument of this API accepts, whatever the field: a NUL character (PostgreSQL cannot
 * store it in text, and would answer with an error naming the statement) and half of a UTF-16
 * surrogate pair (not a character at all; JSON lets a client send one as {@code "\ud800"}).
 * Requests carrying one are refused as BAD_REQUEST before anything executes.
 */
final class InputStrings {

  private InputStrings() {}

  /** What is wrong with the string ("holds a NUL character"), or null when nothing is. */
  static @Nullable String problem(String text) {
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      if (c == '\0') {
        return "holds a NUL character (\\u0000)";
      }
      if (Character.isHighSurrogate(c)) {
        if (i + 1 < text.length() && Character.isLowSurrogate(text.charAt(i + 1))) {
          i++;
          continue;
        }
        return "holds half of a UTF-16 surrogate pair";
      }
      if (Character.isLowSurrogate(c)) {
        return "holds half of a UTF-16 surrogate pair";
      }
    }
    return null;
  }

  /** The first problem in any string of the request's variables, named by its path, or null. */
  static @Nullable String problemIn(@Nullable Map<String, Object> variables) {
    return variables == null ? null : problemIn("$", variables);
  }

  private static @Nullable String problemIn(String path, @Nullable Object value) {
    if (value instanceof String text) {
      String problem = problem(text);
      return problem == null ? null : "The variable " + path + " " + problem + ".";
    }
    if (value instanceof Map<?, ?> map) {
      for (var entry : map.entrySet()) {
        String key = String.valueOf(entry.getKey());
        String keyProblem = problem(key);
        if (keyProblem != null) {
          return "A variable name " + keyProblem + ".";
        }
        String found = problemIn(path.equals("$") ? "$" + key : path + "." + key, entry.getValue());
        if (found != null) {
          return found;
        }
      }
    } else if (value instanceof List<?> list) {
      for (int i = 0; i < list.size(); i++) {
        String found = problemIn(path + "[" + i + "]", list.get(i));
        if (found != null) {
          return found;
        }
      }
    }
    return null;
  }
}
