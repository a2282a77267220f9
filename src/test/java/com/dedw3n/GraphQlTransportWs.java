package com.dedw3n;

import java.util.Map;
import tools.jackson.databind.json.JsonMapper;

/**
 * graphql-transport-ws frames, as graphql-ws writes them, for tests that speak the raw protocol.
 */
public final class GraphQlTransportWs {

  private static final JsonMapper json = JsonMapper.builder().build();

  private GraphQlTransportWs() {}

  /** The subscribe message for one operation. */
  public static String subscribe(String id, String query, Map<String, Object> variables) {
    return json.writeValueAsString(
        Map.of(
            "id",
            id,
            "type",
            "subscribe",
            "payload",
            Map.of("query", query, "variables", variables)));
  }
}
