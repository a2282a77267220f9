package com.dedw3n.platform.security;

import static org.assertj.core.api.Assertions.assertThat;

import com.dedw3n.ApiTests;
import org.junit.jupiter.api.Test;
import org.springframework.graphql.test.tester.GraphQlTester;
import org.springframework.http.HttpHeaders;
import org.springframework.http.MediaType;
import org.springframework.test.web.reactive.server.WebTestClient;

/**
 * What the HTTP security layer gives a request: the security headers on the answer, a GraphQL error
 * included, and the signed-in user of its session, by cookie or by bearer token, for the fields
 * that ask; nobody for a request without one. The filter chain is Spring Security's with fewer
 * filters and no checkpoint per filter (see SecurityConfiguration): these hold either way.
 */
class SecurityConfigurationTests extends ApiTests {

  private static final String VIEWER = "{\"query\":\"{ viewer { id displayName } }\"}";

  @Test
  void everyAnswerCarriesTheSecurityHeaders() {
    Client alice = signUp("Alice");
    assertSecurityHeaders(post(http(), VIEWER), 200);
    assertSecurityHeaders(post(withCookie(alice), VIEWER), 200);
    assertSecurityHeaders(post(http(), "{\"query\":\"{ viewer { nope } }\"}"), 200);
    assertSecurityHeaders(post(http(), "{broken"), 400);
  }

  /**
   * The GraphQL endpoint's own refusals, made before any GraphQL is read (GraphQlHttpGuard), are
   * answers of this server too: a browser must not sniff, frame or cache them either.
   */
  @Test
  void theEndpointsEarlyRefusalsCarryTheSecurityHeaders() {
    assertSecurityHeaders(
        http()
            .post()
            .uri("/graphql")
            .contentType(MediaType.TEXT_PLAIN)
            .bodyValue("{ __typename }")
            .exchange(),
        415);
    assertSecurityHeaders(
        http()
            .put()
            .uri("/graphql")
            .contentType(MediaType.APPLICATION_JSON)
            .bodyValue(VIEWER)
            .exchange(),
        405);
    assertSecurityHeaders(http().get().uri("/graphql").exchange(), 400);
    assertSecurityHeaders(post(http(), ""), 400);
    assertSecurityHeaders(
        post(
            http().mutate().defaultHeader(HttpHeaders.ORIGIN, "https://elsewhere.example").build(),
            VIEWER),
        403);
  }

  @Test
  void theViewerIsTheSessionsUserByCookieOrBearerTokenAndNobodyWithout() {
    Client alice = signUp("Alice");
    Client bob = signUp("Bob");

    viewer(withCookie(alice)).path("viewer.id").entity(String.class).isEqualTo(alice.id());
    var byToken = viewer(withBearer(bob));
    byToken.path("viewer.id").entity(String.class).isEqualTo(bob.id());
    byToken.path("viewer.displayName").entity(String.class).isEqualTo("Bob");
    viewer(http()).path("viewer").valueIsNull();
    viewer(http().mutate().defaultCookie("SESSION", "not-a-session").build())
        .path("viewer")
        .valueIsNull();
  }

  private WebTestClient withCookie(Client client) {
    return http().mutate().defaultCookie("SESSION", client.session()).build();
  }

  private WebTestClient withBearer(Client client) {
    return http()
        .mutate()
        .defaultHeader(HttpHeaders.AUTHORIZATION, "Bearer " + client.session())
        .build();
  }

  private static WebTestClient.ResponseSpec post(WebTestClient client, String body) {
    return client
        .post()
        .uri("/graphql")
        .contentType(MediaType.APPLICATION_JSON)
        .bodyValue(body)
        .exchange();
  }

  /** The viewer query through the project's GraphQL tester, which fails on any error. */
  private GraphQlTester.Response viewer(WebTestClient client) {
    return tester(client).document("{ viewer { id displayName } }").execute();
  }

  private static void assertSecurityHeaders(WebTestClient.ResponseSpec response, int status) {
    response
        .expectStatus()
        .isEqualTo(status)
        .expectHeader()
        .valueEquals("X-Content-Type-Options", "nosniff")
        .expectHeader()
        .valueEquals("X-Frame-Options", "DENY")
        .expectHeader()
        .value(HttpHeaders.CACHE_CONTROL, value -> assertThat(value).contains("no-store"))
        .expectHeader()
        .valueEquals("Referrer-Policy", "no-referrer")
        .expectBody()
        .returnResult(); // read to the end: a body left unread is a buffer never released
  }
}
