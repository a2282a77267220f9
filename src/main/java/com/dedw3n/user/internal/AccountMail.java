package com.dedw3n.user.internal;

import com.dedw3n.mail.Outbox;
import java.net.URI;
import java.time.Duration;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.stereotype.Component;
import reactor.core.publisher.Mono;

/**
 * The account mails: welcome with e-mail verification, and password reset. Each issues its token
 * and queues its mail in the caller's transaction, so a mail exists exactly when its token does.
 */
@Component
class AccountMail {

  static final Duration VERIFY_FOR = Duration.ofDays(3);
  static final Duration RESET_FOR = Duration.ofHours(1);

  private final AccountTokens tokens;
  private final Outbox outbox;
  private final URI appUrl;

  AccountMail(AccountTokens tokens, Outbox outbox, @Value("${dedw3n.mail.app-url}") URI appUrl) {
    this.tokens = tokens;
    this.outbox = outbox;
    this.appUrl = appUrl;
  }

  Mono<Void> welcome(long userId, String email, String displayName) {
    return tokens
        .issue(userId, AccountTokens.Purpose.VERIFY_EMAIL, VERIFY_FOR)
        .flatMap(
            token ->
                outbox.enqueueWithSecret(
                    "welcome:" + userId,
                    email,
                    "Welcome to Dedw3n: confirm your e-mail address",
                    "Hello "
                        + displayName
                        + ",\n\nwelcome to Dedw3n. Confirm your e-mail address by opening\n"
                        + link("verify-email", token)
                        + "\n\nor by sending the mutation verifyEmail(token: \""
                        + token
                        + "\"). The link works for 3 days, once."));
  }

  Mono<Void> passwordReset(long userId, String email) {
    return tokens
        .issue(userId, AccountTokens.Purpose.RESET_PASSWORD, RESET_FOR)
        .flatMap(
            token ->
                outbox.enqueueWithSecret(
                    // one mail per token (each request sends a fresh link), named by the token's
                    // hash: the key stays in the outbox after the body is blanked
                    "password-reset:" + AccountTokens.hashHex(token),
                    email,
                    "Reset your Dedw3n password",
                    "Someone asked to reset the password of your Dedw3n account. If it was you,"
                        + " open\n"
                        + link("reset-password", token)
                        + "\n\nor send resetPassword(token: \""
                        + token
                        + "\", newPassword: ...). The link works for an hour, once. If it was not"
                        + " you, ignore this mail: your password stays as it is."));
  }

  private String link(String page, String token) {
    return appUrl.resolve("/" + page + "?token=" + token).toString();
  }
}
