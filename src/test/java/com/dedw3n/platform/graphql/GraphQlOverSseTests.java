package com.dedw3n.platform.graphql;

import static org.assertj.core.api.Assertions.assertThat;

import com.dedw3n.ApiTests;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.springframework.core.ParameterizedTypeReference;
import org.springframework.http.MediaType;
import org.springframework.http.codec.ServerSentEvent;
import org.springframework.web.reactive.function.client.WebClient;
import tools.jackson.databind.json.JsonMapper;

/**
 * Every operation over Server-Sent Events, as graphql-sse's client sends them (accepting events
 * only): a query's or mutation's result, or its refusal, is one {@code next} event, then {@code
 * complete}; and a subscription asked for with JSON only is refused, since one JSON response cannot
 * carry a stream.
 */
class GraphQlOverSseTests extends ApiTests {

  private static final JsonMapper json = JsonMapper.builder().build();

  @Test
  void aMutationOverEventsIsAnsweredItsResultOnce() {
    var author = signUp("Streamer");
    List<ServerSentEvent<String>> events =
        events(
            author,
            "mutation($b:String!){createPost(body:$b){body}}",
            Map.of("b", "posted over events"));
    assertThat(events).extracting(ServerSentEvent::event).containsExactly("next", "complete");
    assertThat(json.readValue(events.get(0).data(), Map.class).get("data"))
        .isEqualTo(Map.of("createPost", Map.of("body", "posted over events")));
    assertThat(
            db.sql("SELECT count(*) FROM posts WHERE body = 'posted over events'")
                .map(row -> row.get(0, Long.class))
                .one()
                .block())
        .isEqualTo(1);
  }

  @Test
  void aRefusalOverEventsKeepsItsClassificationAndCode() {
    List<ServerSentEvent<String>> events = events(null, "{ noSuchField }", Map.of());
    assertThat(events).extracting(ServerSentEvent::event).containsExactly("next", "complete");
    Map<?, ?> result = json.readValue(events.get(0).data(), Map.class);
    Map<?, ?> error = (Map<?, ?>) ((List<?>) result.get("errors")).get(0);
    assertThat(error.get("message").toString())
        .contains("noSuchField")
        .doesNotContain("supports only subscriptions");
    assertThat(((Map<?, ?>) error.get("extensions")).get("classification"))
        .isEqualTo("BAD_REQUEST");
  }

  @Test
  void aSubscriptionAskedForWithJsonIsRefused() {
    var client = signUp("Json");
    var answer =
        http()
            .post()
            .uri("/graphql")
            .cookie("SESSION", client.session())
            .contentType(MediaType.APPLICATION_JSON)
            .accept(MediaType.APPLICATION_JSON)
            .bodyValue(Map.of("query", "subscription { inbox { cursor } }"))
            .exchange()
            .expectBody(String.class)
            .returnResult()
            .getResponseBody();
    assertThat(answer).contains("SUBSCRIPTION_NEEDS_A_STREAM").doesNotContain("upstreamPublisher");
  }

  private List<ServerSentEvent<String>> events(
      Client client, String query, Map<String, Object> variables) {
    var request =
        WebClient.create("http://localhost:" + port)
            .post()
            .uri("/graphql")
            .accept(MediaType.TEXT_EVENT_STREAM);
    if (client != null) {
      request = request.cookie("SESSION", client.session());
    }
    return request
        .bodyValue(Map.of("query", query, "variables", variables))
        .retrieve()
        .bodyToFlux(new ParameterizedTypeReference<ServerSentEvent<String>>() {})
        .filter(event -> event.event() != null)
        .collectList()
        .block(Duration.ofSeconds(30));
  }
}
