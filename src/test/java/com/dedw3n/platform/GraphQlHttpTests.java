package com.dedw3n.platform;

import com.dedw3n.ApiTests;
import org.junit.jupiter.api.Test;
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

  @Test
  void anEmptyBodyIsABadRequest() {
    expectBadRequest("", 400);
  }

  @Test
  void aMutationSentWithGetIsRefused() {
    http()
        .get()
        .uri("/graphql?query={q}", "mutation{signOut}")
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
