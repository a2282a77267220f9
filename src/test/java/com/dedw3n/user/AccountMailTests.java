package com.dedw3n.user;

import static org.assertj.core.api.Assertions.assertThat;

import com.dedw3n.ApiTests;
import com.dedw3n.Instances;
import com.dedw3n.mail.internal.FakeBrevo;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.http.MediaType;
import org.springframework.r2dbc.core.DatabaseClient;
import org.springframework.test.web.reactive.server.WebTestClient;
import reactor.core.publisher.Mono;

/**
 * E-mail verification and password reset end to end, as a new user with the development defaults
 * follows them: the mails arrive in the local mailbox ({@code GET /dev/mailbox}), and their tokens
 * are used through the API.
 */
class AccountMailTests extends ApiTests {

  private static final Pattern TOKEN = Pattern.compile("token=([A-Za-z0-9_-]{43})");

  @Test
  void aNewUserConfirmsTheirAddressWithTheWelcomeMail() {
    var user = signUp("Newcomer");
    viewerEmailVerified(user, false);
    String token = token(awaitMail(user.email(), "Welcome"));
    verifyEmail(user, token).path("verifyEmail").entity(Boolean.class).isEqualTo(true);
    viewerEmailVerified(user, true);
    // single use
    verifyEmail(user, token)
        .errors()
        .expect(
            e ->
                e.getErrorType().toString().equals("BAD_REQUEST")
                    && "INVALID_TOKEN".equals(e.getExtensions().get("code")))
        .verify();
  }

  /**
   * A confirmation that fails after the token was checked (here a trigger refuses to mark the
   * address) uses nothing up: the same link confirms the address once the failure is gone.
   */
  @Test
  void aConfirmationThatFailsLeavesTheLinkWorking() {
    var user = signUp("Unlucky");
    String token = token(awaitMail(user.email(), "Welcome"));
    db.sql(
            "CREATE FUNCTION test_refuse_verified() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN"
                + " IF NEW.email = '"
                + user.email()
                + "' AND NEW.email_verified_at IS NOT NULL THEN"
                + " RAISE EXCEPTION 'refused for the test'; END IF; RETURN NEW; END $$")
        .then()
        .block();
    db.sql(
            "CREATE TRIGGER test_refuse_verified BEFORE UPDATE ON users"
                + " FOR EACH ROW EXECUTE FUNCTION test_refuse_verified()")
        .then()
        .block();
    try {
      verifyEmail(user, token)
          .errors()
          .expect(e -> e.getErrorType().toString().equals("INTERNAL_ERROR"))
          .verify();
    } finally {
      db.sql("DROP TRIGGER test_refuse_verified ON users").then().block();
      db.sql("DROP FUNCTION test_refuse_verified()").then().block();
    }
    viewerEmailVerified(user, false);
    verifyEmail(user, token).path("verifyEmail").entity(Boolean.class).isEqualTo(true);
    viewerEmailVerified(user, true);
  }

  /**
   * A client, or many, asking for reset links to one address: three an hour reach the mailbox, and
   * an address without an account is refused alike, so RATE_LIMITED tells nobody which has one.
   */
  @Test
  void aMailboxGetsAtMostThreeResetMailsAnHour() {
    var user = signUp("Flooded");
    String unknown = "nobody-" + System.nanoTime() + "@example.com";
    for (String email : new String[] {user.email(), unknown}) {
      for (int i = 0; i < 3; i++) {
        requestPasswordReset(email)
            .path("requestPasswordReset")
            .entity(Boolean.class)
            .isEqualTo(true);
      }
      // RATE_LIMITED: HTTP 429, as nothing else was answered
      var refused =
          postGraphQl(
                  null,
                  "mutation($e:String!){requestPasswordReset(email:$e)}",
                  Map.of("e", email.toUpperCase()))
              .expectBody(String.class)
              .returnResult();
      assertThat(refused.getStatus().value()).isEqualTo(429);
      assertThat(refused.getResponseBody())
          .contains("RATE_LIMITED")
          .contains("password reset mails to this address");
    }
    assertThat(
            db.sql(
                    "SELECT count(*) FROM mail_outbox WHERE recipient = $1"
                        + " AND dedup_key LIKE 'password-reset:%'")
                .bind(0, user.email())
                .map(r -> r.get(0, Long.class))
                .one()
                .block())
        .isEqualTo(3);
  }

  private org.springframework.graphql.test.tester.GraphQlTester.Response requestPasswordReset(
      String email) {
    return anonymous().documentName("requestPasswordReset").variable("email", email).execute();
  }

  @Test
  void aForgottenPasswordIsResetThroughTheMailedLinkOnce() {
    var user = signUp("Forgetful");
    anonymous()
        .documentName("requestPasswordReset")
        .variable("email", user.email().toUpperCase())
        .execute()
        .path("requestPasswordReset")
        .entity(Boolean.class)
        .isEqualTo(true);
    String token = token(awaitMail(user.email(), "Reset"));

    // sent with the user's own session, which ends as well: every session of the user does
    user.graphQl()
        .documentName("resetPassword")
        .variable("token", token)
        .variable("newPassword", "a brand new secret")
        .execute()
        .path("resetPassword")
        .entity(Boolean.class)
        .isEqualTo(true);
    // the old session ended, the old password is gone, the new one works
    user.graphQl().documentName("viewer").execute().path("viewer").valueIsNull();
    signIn(user.email(), "correct horse battery")
        .errors()
        .expect(e -> e.getErrorType().toString().equals("UNAUTHORIZED"))
        .verify();
    signIn(user.email(), "a brand new secret")
        .path("signIn.id")
        .entity(String.class)
        .isEqualTo(user.id());
    // used once only
    anonymous()
        .documentName("resetPassword")
        .variable("token", token)
        .variable("newPassword", "yet another secret")
        .execute()
        .errors()
        .expect(e -> "INVALID_TOKEN".equals(e.getExtensions().get("code")))
        .verify();
    signIn(user.email(), "a brand new secret")
        .path("signIn.id")
        .entity(String.class)
        .isEqualTo(user.id());
  }

  /**
   * A reset link asked for before the password was changed (by whoever could read the mailbox then)
   * cannot undo the change: changing the password retires it, as a reset retires the others.
   */
  @Test
  void changingThePasswordRetiresTheResetLinksAskedForBefore() {
    var user = signUp("Changer");
    requestPasswordReset(user.email())
        .path("requestPasswordReset")
        .entity(Boolean.class)
        .isEqualTo(true);
    String token = token(awaitMail(user.email(), "Reset"));
    user.graphQl()
        .document(
            "mutation($c:String!,$n:String!){changePassword(currentPassword:$c,newPassword:$n)}")
        .variable("c", "correct horse battery")
        .variable("n", "the owner's new secret")
        .execute()
        .path("changePassword")
        .entity(Boolean.class)
        .isEqualTo(true);
    anonymous()
        .documentName("resetPassword")
        .variable("token", token)
        .variable("newPassword", "the intruder's secret")
        .execute()
        .errors()
        .expect(e -> "INVALID_TOKEN".equals(e.getExtensions().get("code")))
        .verify();
    signIn(user.email(), "the owner's new secret")
        .path("signIn.id")
        .entity(String.class)
        .isEqualTo(user.id());
  }

  /**
   * With Brevo configured, the tokens go to Brevo and nowhere else: once the mails are delivered,
   * no column of mail_outbox holds them (the bodies are blanked, the keys name the token's hash),
   * and the mailed link still works. An instance of its own, on a database of its own, so that the
   * shared server's sender (the development mailbox, which keeps bodies) never takes its mail.
   */
  @Test
  void onceHandedToBrevoNoTokenStaysInTheOutbox() throws Exception {
    try (FakeBrevo brevo = new FakeBrevo();
        EmbeddedPostgres postgres = EmbeddedPostgres.builder().start();
        ConfigurableApplicationContext server =
            Instances.builder()
                .run(
                    "--server.port=0",
                    "--spring.r2dbc.url=r2dbc:postgresql://localhost:"
                        + postgres.getPort()
                        + "/postgres",
                    "--spring.r2dbc.username=postgres",
                    "--spring.r2dbc.password=",
                    "--dedw3n.demo-data.enabled=false",
                    "--dedw3n.mail.local-mailbox-endpoint=false",
                    "--dedw3n.mail.brevo.api-key=" + FakeBrevo.API_KEY,
                    "--dedw3n.mail.brevo.base-url=" + brevo.baseUrl())) {
      WebTestClient api =
          WebTestClient.bindToServer()
              .baseUrl(
                  "http://localhost:" + server.getEnvironment().getProperty("local.server.port"))
              .responseTimeout(Duration.ofSeconds(30))
              .build();
      DatabaseClient theirDb = server.getBean(DatabaseClient.class);
      String email = "brevo-" + UUID.randomUUID() + "@example.com";
      graphQl(
          api,
          "mutation($e:String!){signUp(email:$e,password:\"correct horse battery\","
              + "displayName:\"Brevo\"){id}}",
          Map.of("e", email));
      graphQl(api, "mutation($e:String!){requestPasswordReset(email:$e)}", Map.of("e", email));
      String welcome = token(awaitBrevo(brevo, email, "Welcome").body());
      String reset = token(awaitBrevo(brevo, email, "Reset").body());

      awaitSent(theirDb, email, 2);
      for (String token : List.of(welcome, reset)) {
        assertThat(
                theirDb
                    .sql("SELECT count(*) FROM mail_outbox m WHERE strpos(m::text, $1) > 0")
                    .bind(0, token)
                    .map(r -> r.get(0, Long.class))
                    .one()
                    .block())
            .as("outbox rows holding the token")
            .isZero();
      }
      assertThat(
              graphQl(
                  api,
                  "mutation($t:String!){resetPassword(token:$t,newPassword:\"a brand new one\")}",
                  Map.of("t", reset)))
          .contains("resetPassword=true");
    }
  }

  @Test
  void theAnswerNeverTellsWhetherAnAddressHasAnAccount() {
    String nobody = "nobody-" + System.nanoTime() + "@example.com";
    anonymous()
        .documentName("requestPasswordReset")
        .variable("email", nobody)
        .execute()
        .path("requestPasswordReset")
        .entity(Boolean.class)
        .isEqualTo(true);
    anonymous()
        .documentName("resetPassword")
        .variable("token", "x".repeat(43))
        .variable("newPassword", "whatever it is")
        .execute()
        .errors()
        .expect(e -> "INVALID_TOKEN".equals(e.getExtensions().get("code")))
        .verify();
    assertThat(
            db.sql("SELECT count(*) FROM mail_outbox WHERE recipient = $1")
                .bind(0, nobody)
                .map(r -> r.get(0, Long.class))
                .one()
                .block())
        .isZero();
  }

  @Test
  void anExpiredResetLinkChangesNothing() {
    var user = signUp("Late");
    anonymous().documentName("requestPasswordReset").variable("email", user.email()).execute();
    String token = token(awaitMail(user.email(), "Reset"));
    db.sql(
            "UPDATE account_tokens SET expires_at = now() - interval '1 second'"
                + " WHERE user_id = $1 AND purpose = 'RESET_PASSWORD'")
        .bind(0, Long.parseLong(user.id()))
        .then()
        .block();
    anonymous()
        .documentName("resetPassword")
        .variable("token", token)
        .variable("newPassword", "too late for this")
        .execute()
        .errors()
        .expect(e -> "INVALID_TOKEN".equals(e.getExtensions().get("code")))
        .verify();
    signIn(user.email(), "correct horse battery")
        .path("signIn.id")
        .entity(String.class)
        .isEqualTo(user.id());
  }

  private static org.springframework.graphql.test.tester.GraphQlTester.Response verifyEmail(
      Client user, String token) {
    return user.graphQl().documentName("verifyEmail").variable("token", token).execute();
  }

  private org.springframework.graphql.test.tester.GraphQlTester.Response signIn(
      String email, String password) {
    return anonymous()
        .documentName("signIn")
        .variable("email", email)
        .variable("password", password)
        .execute();
  }

  private void viewerEmailVerified(Client user, boolean verified) {
    user.graphQl()
        .document("{ viewer { emailVerified } }")
        .execute()
        .path("viewer.emailVerified")
        .entity(Boolean.class)
        .isEqualTo(verified);
  }

  private static String graphQl(WebTestClient api, String query, Map<String, Object> variables) {
    return String.valueOf(
        api.post()
            .uri("/graphql")
            .contentType(MediaType.APPLICATION_JSON)
            .bodyValue(Map.of("query", query, "variables", variables))
            .exchange()
            .expectStatus()
            .isOk()
            .expectBody(Map.class)
            .returnResult()
            .getResponseBody());
  }

  private static FakeBrevo.Mail awaitBrevo(FakeBrevo brevo, String to, String subject) {
    long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
    while (System.nanoTime() < deadline) {
      for (FakeBrevo.Mail mail : brevo.mailsTo(to)) {
        if (mail.subject().contains(subject)) {
          return mail;
        }
      }
      Mono.delay(Duration.ofMillis(100)).block();
    }
    throw new AssertionError("Brevo got no mail '" + subject + "' to " + to + " within 20 s");
  }

  /** Waits until the sender has recorded the address's mails as sent. */
  private static void awaitSent(DatabaseClient db, String to, long mails) {
    long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
    while (System.nanoTime() < deadline) {
      long sent =
          db.sql("SELECT count(*) FROM mail_outbox WHERE recipient = $1 AND status = 'SENT'")
              .bind(0, to)
              .map(r -> r.get(0, Long.class))
              .one()
              .block();
      if (sent == mails) {
        return;
      }
      Mono.delay(Duration.ofMillis(100)).block();
    }
    throw new AssertionError(mails + " mails to " + to + " not recorded as sent within 20 s");
  }

  private static String token(String body) {
    Matcher m = TOKEN.matcher(body);
    assertThat(m.find()).as("a token link in: %s", body).isTrue();
    return m.group(1);
  }

  /** The body of the newest mail to the address whose subject holds the text, once delivered. */
  @SuppressWarnings("unchecked")
  private String awaitMail(String to, String subject) {
    long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
    while (System.nanoTime() < deadline) {
      List<Map<String, Object>> box =
          http()
              .get()
              .uri(b -> b.path("/dev/mailbox").queryParam("to", to).build())
              .exchange()
              .expectStatus()
              .isOk()
              .expectBody(List.class)
              .returnResult()
              .getResponseBody();
      for (Map<String, Object> mail : box) {
        if (((String) mail.get("subject")).contains(subject)) {
          return (String) mail.get("body");
        }
      }
      Mono.delay(Duration.ofMillis(100)).block();
    }
    throw new AssertionError("no mail '" + subject + "' to " + to + " within 20 s");
  }
}
