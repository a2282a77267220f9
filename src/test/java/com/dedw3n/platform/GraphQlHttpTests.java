package com.dedw3n.platform;

import static org.assertj.core.api.Assertions.assertThat;

import com.dedw3n.ApiTests;
import java.net.URI;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.springframework.http.MediaType;

/** What a client gets for requests that are not GraphQL: a 4xx and a JSON error, never a 500. */
class GraphQlHttpTests extends ApiTests {

  @Test
  void brokenJsonIsABadRequest() {
    expectBadRequest("{broken", 400);
  }

  @Test
  void aBodyWithoutQueryIsABadRequest() {
    expectBadRequest("{\"variables\":{}}", 400);
  }

  /** Whatever the client accepts, GraphQL over SSE included (graphql-http's audit checks it). */
  @ParameterizedTest
  @ValueSource(
      strings = {
        "application/json",
        "application/graphql-response+json",
        "text/event-stream",
        "*/*",
        "text/html",
        // unreadable: a 4xx all the same, not a 500 (a client retries a 5xx)
        "json",
        "application/json;q=abc"
      })
  void aBodyWithoutQueryIsA4xxWhateverItsAcceptHeader(String accept) {
    var status =
        http()
            .post()
            .uri("/graphql")
            .contentType(MediaType.APPLICATION_JSON)
            .header("Accept", accept)
            .bodyValue("{\"variables\":{}}")
            .exchange()
            .expectBody()
            .returnResult()
            .getStatus();
    assertThat(status.is4xxClientError()).as("status %s for Accept %s", status, accept).isTrue();
  }

  /**
   * A client that stops sending its body halfway: the server closes the connection once no byte has
   * come for the read timeout (2 s in the tests, 10 s in production), instead of holding what came
   * for as long as the client keeps the connection open.
   */
  @Test
  @org.junit.jupiter.api.extension.ExtendWith(
      org.springframework.boot.test.system.OutputCaptureExtension.class)
  void aBodyThatStopsArrivingHasItsConnectionClosed(
      org.springframework.boot.test.system.CapturedOutput output) throws Exception {
    int logBefore = output.getOut().length();
    try (var socket = new java.net.Socket("127.0.0.1", port)) {
      socket.setSoTimeout(20_000);
      var out = socket.getOutputStream();
      out.write(
          ("POST /graphql HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
                  + "Content-Length: 100000\r\n\r\n{\"query\":\"{ viewer { id } }\", \"x\":\"")
              .getBytes(java.nio.charset.StandardCharsets.US_ASCII));
      out.write(new byte[50_000]);
      out.flush();
      long started = System.nanoTime();
      var in = socket.getInputStream();
      // whatever is answered first (Reactor Netty may write a status), the connection ends
      while (in.read() >= 0) {
        // drain
      }
      assertThat(java.time.Duration.ofNanos(System.nanoTime() - started))
          .isLessThan(java.time.Duration.ofSeconds(15));
    }
    // the client's doing: no 500 and no ERROR line for it (let a late log line land first)
    Thread.sleep(500);
    assertThat(output.getOut().substring(logBefore)).doesNotContain(" ERROR ");
  }

  @Test
  void anEmptyBodyIsABadRequest() {
    expectBadRequest("", 400);
  }

  /** Whatever spelling of the endpoint's path: a percent-encoded one reaches the same handler. */
  @ParameterizedTest
  @ValueSource(strings = {"/graphql", "/%67raphql"})
  void aMutationSentWithGetIsRefused(String path) {
    http()
        .get()
        // a URI as it is, not a template to encode again
        .uri(URI.create("http://localhost:" + port + path + "?query=mutation%7BsignOut%7D"))
        .exchange()
        .expectStatus()
        .isEqualTo(405)
        .expectHeader()
        .valueEquals("Allow", "POST")
        .expectBody()
        .jsonPath("$.errors[0].extensions.classification")
        .isEqualTo("BAD_REQUEST");
  }

  @Test
  void aBodyThatIsNotJsonIsRefused() {
    http()
        .post()
        .uri("/graphql")
        .contentType(MediaType.TEXT_PLAIN)
        .bodyValue("{viewer{id}}")
        .exchange()
        .expectStatus()
        .isEqualTo(415)
        .expectBody()
        .jsonPath("$.errors[0].message")
        .exists();
  }

  @Test
  void anInvalidDocumentIsABadRequestError() {
    http()
        .post()
        .uri("/graphql")
        .contentType(MediaType.APPLICATION_JSON)
        .bodyValue("{\"query\":\"{ noSuchField }\"}")
        .exchange()
        .expectStatus()
        .isOk()
        .expectBody()
        .jsonPath("$.errors[0].extensions.classification")
        .isEqualTo("BAD_REQUEST");
  }

  /** The guard's bodies are GraphQL errors: a message and extensions, no locations or path. */
  @Test
  void theGuardsRefusalsAreExactlyAnErrorsBody() {
    Map<?, ?> notAPost =
        http()
            .put()
            .uri("/graphql")
            .contentType(MediaType.APPLICATION_JSON)
            .bodyValue("{\"query\":\"{ viewer { id } }\"}")
            .exchange()
            .expectStatus()
            .isEqualTo(405)
            .expectBody(Map.class)
            .returnResult()
            .getResponseBody();
    // the trace id every error carries: any, but there
    Map<?, ?> error = (Map<?, ?>) ((List<?>) notAPost.get("errors")).get(0);
    assertThat(((Map<?, ?>) error.get("extensions")).remove("traceId"))
        .asString()
        .matches("[0-9a-f]{32}");
    assertThat(notAPost)
        .isEqualTo(
            Map.of(
                "errors",
                List.of(
                    Map.of(
                        "message",
                        "Send GraphQL operations as a POST with a JSON body, or queries as a GET.",
                        "extensions",
                        Map.of("classification", "BAD_REQUEST")))));
    Map<?, ?> foreign =
        http()
            .post()
            .uri("/graphql")
            .header("Origin", "https://elsewhere.example")
            .contentType(MediaType.APPLICATION_JSON)
            .bodyValue("{\"query\":\"{ viewer { id } }\"}")
            .exchange()
            .expectStatus()
            .isEqualTo(403)
            .expectBody(Map.class)
            .returnResult()
            .getResponseBody();
    ((Map<?, ?>) ((Map<?, ?>) ((List<?>) foreign.get("errors")).get(0)).get("extensions"))
        .remove("traceId");
    assertThat(foreign)
        .isEqualTo(
            Map.of(
                "errors",
                List.of(
                    Map.of(
                        "message",
                        "Requests from this origin are refused (see ALLOWED_ORIGINS).",
                        "extensions",
                        Map.of("classification", "FORBIDDEN", "code", "ORIGIN_NOT_ALLOWED")))));
  }

  private void expectBadRequest(String body, int status) {
    http()
        .post()
        .uri("/graphql")
        .contentType(MediaType.APPLICATION_JSON)
        .bodyValue(body)
        .exchange()
        .expectStatus()
        .isEqualTo(status)
        .expectHeader()
        .contentTypeCompatibleWith(MediaType.APPLICATION_JSON)
        .expectBody()
        .jsonPath("$.errors[0].extensions.classification")
        .isEqualTo("BAD_REQUEST")
        .jsonPath("$.errors[0].message")
        .exists();
  }
}
