package com.dedw3n.platform.graphql;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;

/**
 * GraphQL {@code ID}s of this API are the decimal row ids. Anything else is a BAD_REQUEST naming
 * the argument, so a client sees its mistake rather than a NOT_FOUND.
 */
public final class Ids {

  private Ids() {}

  public static long parse(String argument, String id) {
    if (id == null || id.isEmpty() || id.length() > 18) {
      throw ApiException.badRequest(argument + " is not a valid id: '" + id + "'");
    }
    for (int i = 0; i < id.length(); i++) {
      char c = id.charAt(i);
      // ASCII only: Character.isDigit and Long.parseLong also take other scripts' digits
      if (c < '0' || c > '9') {
        throw ApiException.badRequest(argument + " is not a valid id: '" + id + "'");
      }
    }
    long value = Long.parseLong(id);
    if (value <= 0) {
      throw ApiException.badRequest(argument + " is not a valid id: '" + id + "'");
    }
    return value;
  }

  public static List<Long> parseAll(String argument, Collection<String> ids) {
    List<Long> parsed = new ArrayList<>(ids.size());
    for (String id : ids) {
      parsed.add(parse(argument, id));
    }
    return parsed;
  }
}
