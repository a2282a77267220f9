package com.dedw3n.mail.internal;

import java.net.URI;
import java.time.Duration;
import org.springframework.boot.context.properties.ConfigurationProperties;

/**
 * The mail feature's settings ({@code dedw3n.mail}).
 *
 * @param fromAddress the sender of every mail (a sender Brevo has verified)
 * @param fromName the sender's display name
 * @param appUrl where the links in mails point (the apps' web address)
 * @param pollInterval how often the sender looks for due mail
 * @param batch rows claimed per look
 * @param lease how long a claimed row is hidden from other senders (instances) while it is sent
 * @param maxAttempts attempts before a mail is given up (FAILED, logged as an error)
 * @param backoff the wait after the first failed attempt; it doubles with each, up to {@code
 *     maxBackoff}
 * @param jitter the fraction of each wait drawn at random, so instances do not retry in step
 * @param localMailboxEndpoint whether GET /dev/mailbox lists delivered local mail (development)
 */
@ConfigurationProperties("dedw3n.mail")
record MailSettings(
    String fromAddress,
    String fromName,
    URI appUrl,
    Duration pollInterval,
    int batch,
    Duration lease,
    int maxAttempts,
    Duration backoff,
    Duration maxBackoff,
    double jitter,
    boolean localMailboxEndpoint,
    Brevo brevo) {

  /**
   * Brevo's transactional API.
   *
   * @param apiKey {@code BREVO_API_KEY}; empty: mail goes to the local mailbox in development, and
   *     stays queued in production
   * @param timeout one request, connecting included
   * @param defaultRetryAfter the wait after a 429 that names none
   * @param breakerFailures consecutive failed requests that open the circuit breaker
   * @param breakerOpenFor how long an open breaker lets no request through
   */
  record Brevo(
      String apiKey,
      URI baseUrl,
      Duration timeout,
      Duration defaultRetryAfter,
      int breakerFailures,
      Duration breakerOpenFor) {

    boolean configured() {
      return apiKey != null && !apiKey.isBlank();
    }
  }
}
