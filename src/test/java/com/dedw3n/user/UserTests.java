package com.dedw3n.user;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import com.dedw3n.ApiTests;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;
import org.springframework.http.HttpHeaders;
import org.springframework.test.web.reactive.server.EntityExchangeResult;

class UserTests extends ApiTests {

  @Test
  void signUpSignsTheNewUserIn() {
    // the answer itself shows the new account's email: it is the signed-in user's own
    String email = "answer-" + UUID.randomUUID() + "@example.com";
    anonymous()
        .documentName("signUp")
        .variable("email", email)
        .variable("password", "correct horse battery")
        .variable("displayName", "Answer")
        .execute()
        .path("signUp.email")
        .entity(String.class)
        .isEqualTo(email);
    anonymous()
        .documentName("signIn")
        .variable("email", email)
        .variable("password", "correct horse battery")
        .execute()
        .path("signIn.email")
        .entity(String.class)
        .isEqualTo(email);
    anonymous()
        .document(
            "mutation($e: String!, $p: String!) { signInForToken(email: $e, password: $p)"
                + " { user { email emailVerified } } }")
        .variable("e", email)
        .variable("p", "correct horse battery")
        .execute()
        .path("signInForToken.user.email")
        .entity(String.class)
        .isEqualTo(email)
        .path("signInForToken.user.emailVerified")
        .entity(Boolean.class)
        .isEqualTo(false);
    var alice = signUp("Alice");
    alice
        .graphQl()
        .documentName("viewer")
        .execute()
        .path("viewer.id")
        .entity(String.class)
        .isEqualTo(alice.id())
        .path("viewer.email")
        .entity(String.class)
        .isEqualTo(alice.email());
  }

  /** A name goes into other people's mails: one line, no control characters. */
  @Test
  void aDisplayNameWithALineBreakOrAControlCharacterIsRefused() {
    for (String name :
        List.of(
            "x\n\nYour account is locked",
            "tab\there",
            "bell\u0007",
            "a\u2028b",
            "rtl\u202Eevil")) {
      String email = "name-" + UUID.randomUUID() + "@example.com";
      anonymous()
          .documentName("signUp")
          .variable("email", email)
          .variable("password", "correct horse battery")
          .variable("displayName", name)
          .execute()
          .errors()
          .expect(
              e ->
                  e.getErrorType().toString().equals("BAD_REQUEST")
                      // and, for a control character, what free text refuses everywhere
                      && (e.getMessage().contains("displayName must be one line")
                          || e.getMessage().contains("displayName must not hold control")))
          .verify();
      assertThat(
              db.sql("SELECT count(*) FROM users WHERE email = $1")
                  .bind(0, email)
                  .map(r -> r.get(0, Long.class))
                  .one()
                  .block())
          .isZero();
    }
  }

  @Test
  void anEmailIsVisibleToItsOwnerAlone() {
    var alice = signUp("Alice");
    var bob = signUp("Bob");
    bob.graphQl()
        .documentName("user")
        .variable("id", alice.id())
        .execute()
        .path("user.displayName")
        .entity(String.class)
        .isEqualTo("Alice")
        .path("user.email")
        .valueIsNull();
    anonymous()
        .documentName("user")
        .variable("id", alice.id())
        .execute()
        .path("user.email")
        .valueIsNull();
  }

  @Test
  void refusesASecondAccountWithTheSameEmail() {
    var alice = signUp("Alice");
    anonymous()
        .documentName("signUp")
        .variable("email", alice.email().toUpperCase())
        .variable("password", "another password")
        .variable("displayName", "Impostor")
        .execute()
        .errors()
        .expect(e -> e.getErrorType().toString().equals("CONFLICT"))
        .verify();
    assertThat(countUsersWithEmail(alice.email())).isEqualTo(1);
  }

  /**
   * A pasted address often ends in a no-break or zero-width space: around the address it is
   * stripped like any space, so it is the same account; inside it, the address is refused, since it
   * would be a look-alike of another that reaches nobody.
   */
  @Test
  void invisibleSpacesAroundAnEmailAreStrippedAndInsideItRefused() {
    String email = "paste-" + UUID.randomUUID() + "@example.com";
    anonymous()
        .documentName("signUp")
        .variable("email", "\u00A0" + email + "\u200B\u202F")
        .variable("password", "correct horse battery")
        .variable("displayName", "Paste")
        .execute()
        .path("signUp.email")
        .entity(String.class)
        .isEqualTo(email);
    anonymous()
        .documentName("signUp")
        .variable("email", email + "\uFEFF")
        .variable("password", "another password")
        .variable("displayName", "Twin")
        .execute()
        .errors()
        .expect(e -> e.getErrorType().toString().equals("CONFLICT"))
        .verify();
    anonymous()
        .documentName("signIn")
        .variable("email", email)
        .variable("password", "correct horse battery")
        .execute()
        .path("signIn.email")
        .entity(String.class)
        .isEqualTo(email);
    for (String lookAlike :
        List.of("pa\u200Bste-" + email.substring(6), "paste\u00A0" + email.substring(5))) {
      anonymous()
          .documentName("signUp")
          .variable("email", lookAlike)
          .variable("password", "correct horse battery")
          .variable("displayName", "Look-alike")
          .execute()
          .errors()
          .expect(e -> e.getErrorType().toString().equals("BAD_REQUEST"))
          .verify();
      assertThat(countUsersWithEmail(lookAlike)).isZero();
    }
  }

  /**
   * An address the pattern refuses is refused at once, whatever its length: the pattern was
   * quadratic in the dots of the domain, and "a@" and 100,000 dots held a server thread (an event
   * loop) for minutes, for anyone, signed in or not.
   */
  @Test
  void aLongRefusedAddressIsRefusedAtOnce() {
    String dots = "a@" + ".".repeat(100_000) + "@";
    assertTimeoutPreemptively(
        Duration.ofSeconds(20),
        () -> {
          for (String document : List.of("signIn", "requestPasswordReset")) {
            var request = anonymous().documentName(document).variable("email", dots);
            if (document.equals("signIn")) {
              request = request.variable("password", "correct horse battery");
            }
            request
                .execute()
                .errors()
                .expect(e -> e.getErrorType().toString().equals("BAD_REQUEST"))
                .verify();
          }
        });
    for (String malformed : List.of("a@b..com", "a@.b.com", "a@b.com.", "a@bcom")) {
      anonymous()
          .documentName("signUp")
          .variable("email", malformed)
          .variable("password", "correct horse battery")
          .variable("displayName", "Dots")
          .execute()
          .errors()
          .expect(e -> e.getErrorType().toString().equals("BAD_REQUEST"))
          .verify();
    }
  }

  /**
   * Sign-up takes a domain of dot-separated labels, none empty, since 2026-12-07; an account whose
   * address an earlier sign-up took with an empty label still signs in.
   */
  @Test
  void anAccountOfAnAddressSignUpNoLongerTakesStillSignsIn() {
    var user = signUp("Legacy");
    String legacy = "legacy-" + UUID.randomUUID() + "@gmail..com";
    db.sql("UPDATE users SET email = $1 WHERE id = $2")
        .bind(0, legacy)
        .bind(1, Long.parseLong(user.id()))
        .then()
        .block();
    anonymous()
        .documentName("signIn")
        .variable("email", legacy)
        .variable("password", "correct horse battery")
        .execute()
        .path("signIn.email")
        .entity(String.class)
        .isEqualTo(legacy);
  }

  @Test
  void rejectsBadSignUpInput() {
    for (String[] input :
        new String[][] {
          {"not-an-email", "long enough password", "Name"},
          {"ok@example.com", "short", "Name"},
          {"ok2@example.com", "long enough password", "  "},
        }) {
      anonymous()
          .documentName("signUp")
          .variable("email", input[0])
          .variable("password", input[1])
          .variable("displayName", input[2])
          .execute()
          .errors()
          .expect(e -> e.getErrorType().toString().equals("BAD_REQUEST"))
          .verify();
    }
    assertThat(countUsersWithEmail("ok@example.com") + countUsersWithEmail("ok2@example.com"))
        .isZero();
  }

  /**
   * BCrypt reads 72 bytes of a password, and Spring Security's encoder refuses more: a longer one
   * is a BAD_REQUEST saying so, not an INTERNAL_ERROR, and a password of exactly 72 bytes works.
   */
  @Test
  void aPasswordOfUpTo72BytesInUtf8IsTakenALongerOneIsABadRequest() {
    for (String tooLong : new String[] {"x".repeat(73), "é".repeat(37), "🔑".repeat(19)}) {
      String email = "long-" + System.nanoTime() + "@example.com";
      anonymous()
          .documentName("signUp")
          .variable("email", email)
          .variable("password", tooLong)
          .variable("displayName", "Long")
          .execute()
          .errors()
          .expect(
              e ->
                  e.getErrorType().toString().equals("BAD_REQUEST")
                      && e.getMessage().contains("at most 72 bytes in UTF-8"))
          .verify();
      assertThat(countUsersWithEmail(email)).isZero();
    }
    for (String longest : new String[] {"x".repeat(72), "é".repeat(36), "🔑".repeat(18)}) {
      String email = "longest-" + System.nanoTime() + "@example.com";
      anonymous()
          .documentName("signUp")
          .variable("email", email)
          .variable("password", longest)
          .variable("displayName", "Longest")
          .execute()
          .path("signUp.id")
          .hasValue();
      anonymous()
          .documentName("signIn")
          .variable("email", email)
          .variable("password", longest)
          .execute()
          .path("signIn.id")
          .hasValue();
    }
  }

  @Test
  void signInWithTheRightPasswordOnly() {
    var alice = signUp("Alice");
    anonymous()
        .documentName("signIn")
        .variable("email", alice.email())
        .variable("password", "wrong password")
        .execute()
        .errors()
        .expect(e -> e.getErrorType().toString().equals("UNAUTHORIZED"))
        .verify();

    var response = signInOverHttp(alice, headers -> {});
    assertThat(response.getResponseBody()).contains(alice.id());
    assertThat(response.getResponseCookies().getFirst("SESSION")).isNotNull();
  }

  /**
   * signIn answers with the session cookie whatever else the request carries: an app that sends its
   * old bearer token along gets a session it can use (and its old one ends), not a session whose
   * token went nowhere.
   */
  @Test
  void signInWithABearerTokenAlongStillSetsTheCookie() {
    var alice = signUp("Alice");
    String old =
        anonymous()
            .document(
                "mutation{signInForToken(email:\""
                    + alice.email()
                    + "\",password:\"correct horse battery\"){token}}")
            .execute()
            .path("signInForToken.token")
            .entity(String.class)
            .get();
    var signIn = signInOverHttp(alice, headers -> headers.setBearerAuth(old));
    var cookie = signIn.getResponseCookies().getFirst("SESSION");
    assertThat(cookie).as("the new session's cookie").isNotNull();
    http()
        .post()
        .uri("/graphql")
        .cookie("SESSION", cookie.getValue())
        .bodyValue(java.util.Map.of("query", "{viewer{id}}"))
        .exchange()
        .expectBody(String.class)
        .value(body -> assertThat(body).contains(alice.id()));
    http()
        .post()
        .uri("/graphql")
        .header("Authorization", "Bearer " + old)
        .bodyValue(java.util.Map.of("query", "{viewer{id}}"))
        .exchange()
        .expectBody(String.class)
        .value(body -> assertThat(body).contains("\"viewer\":null"));
  }

  @Test
  void signInReissuesTheSessionId() {
    var alice = signUp("Alice");
    // a session that exists before sign-in (as a planted one would)
    var anonymousSession =
        http()
            .post()
            .uri("/graphql")
            .bodyValue(java.util.Map.of("query", "{viewer{id}}"))
            .exchange()
            .expectBody()
            .returnResult();
    var before = anonymousSession.getResponseCookies().getFirst("SESSION");
    var signIn =
        signInOverHttp(
            alice,
            headers -> {
              if (before != null) headers.add("Cookie", "SESSION=" + before.getValue());
            });
    var after = signIn.getResponseCookies().getFirst("SESSION");
    assertThat(after).isNotNull();
    if (before != null) {
      assertThat(after.getValue()).isNotEqualTo(before.getValue());
    }
  }

  /** signIn with the right password as a raw HTTP request, with these headers; answered 200. */
  private EntityExchangeResult<String> signInOverHttp(Client user, Consumer<HttpHeaders> headers) {
    return http()
        .post()
        .uri("/graphql")
        .headers(headers)
        .bodyValue(
            java.util.Map.of(
                "query",
                "mutation{signIn(email:\""
                    + user.email()
                    + "\",password:\"correct horse battery\"){id}}"))
        .exchange()
        .expectStatus()
        .isOk()
        .expectBody(String.class)
        .returnResult();
  }

  @Test
  void signOutEndsTheSession() {
    var alice = signUp("Alice");
    alice
        .graphQl()
        .documentName("signOut")
        .execute()
        .path("signOut")
        .entity(Boolean.class)
        .isEqualTo(true);
    alice.graphQl().documentName("viewer").execute().path("viewer").valueIsNull();
  }

  /**
   * urql sends every query and mutation with text/event-stream among its Accept types (it is
   * answered with JSON): its sign-out is answered, clears the cookie and ends the session. It was
   * cut off by the end of its own session, as a subscription over Server-Sent Events is: an empty
   * 200 with no cookie cleared.
   */
  @Test
  void urqlsSignOutIsAnsweredAndClearsTheCookie() {
    String accept =
        "application/graphql-response+json, application/graphql+json, application/json,"
            + " text/event-stream, multipart/mixed";
    var alice = signUp("Alice");
    var answer =
        http()
            .post()
            .uri("/graphql")
            .header(HttpHeaders.ACCEPT, accept)
            .cookie("SESSION", alice.session())
            .bodyValue(java.util.Map.of("query", "mutation { signOut }"))
            .exchange()
            .expectStatus()
            .isOk()
            .expectBody(String.class)
            .returnResult();
    assertThat(answer.getResponseBody()).contains("\"signOut\":true");
    assertThat(answer.getResponseHeaders().get(HttpHeaders.SET_COOKIE))
        .anyMatch(cookie -> cookie.startsWith("SESSION=;") || cookie.contains("Max-Age=0"));
    alice.graphQl().documentName("viewer").execute().path("viewer").valueIsNull();
  }

  private long countUsersWithEmail(String email) {
    return db.sql("SELECT count(*) FROM users WHERE email = $1")
        .bind(0, email.toLowerCase())
        .map(row -> row.get(0, Long.class))
        .one()
        .block();
  }
}
