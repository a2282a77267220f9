package com.dedw3n.mail.internal;

import java.time.OffsetDateTime;
import java.util.Map;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.r2dbc.core.DatabaseClient;
import org.springframework.web.reactive.function.server.RouterFunction;
import org.springframework.web.reactive.function.server.RouterFunctions;
import org.springframework.web.reactive.function.server.ServerResponse;

/**
 * The development mailbox: {@code GET /dev/mailbox?to=<address>} lists the mail delivered locally
 * (without {@code BREVO_API_KEY}), newest first, so a new user can follow the sign-up, password
 * reset and order mails offline. Only when {@code dedw3n.mail.local-mailbox-endpoint} is on (the
 * development profile), and only to a client on the server's own machine (the peer a loopback
 * address; a proxy's headers are not read): it shows anyone's mail, password-reset links included,
 * and a development server run with {@code SPRING_PROFILES_ACTIVE=dev} on a reachable host would
 * otherwise hand any account to whoever asks for its reset.
 */
@Configuration(proxyBeanMethods = false)
@ConditionalOnProperty(name = "dedw3n.mail.local-mailbox-endpoint", havingValue = "true")
class LocalMailbox {

  @Bean
  RouterFunction<ServerResponse> localMailboxRoute(DatabaseClient db) {
    return RouterFunctions.route()
        .GET(
            "/dev/mailbox",
            request -> {
              if (!request
                  .remoteAddress()
                  .map(peer -> peer.getAddress() != null && peer.getAddress().isLoopbackAddress())
                  .orElse(false)) {
                return ServerResponse.notFound().build();
              }
              String to = request.queryParam("to").orElse("");
              return db.sql(
                      "SELECT id, recipient, subject, body, sent_at FROM mail_outbox"
                          + " WHERE delivered_by = 'local' AND ($1 = '' OR recipient = $1)"
                          + " ORDER BY id DESC LIMIT 100")
                  .bind(0, to)
                  .map(
                      row ->
                          Map.<String, Object>of(
                              "id", row.get("id", Long.class),
                              "to", row.get("recipient", String.class),
                              "subject", row.get("subject", String.class),
                              "body", row.get("body", String.class),
                              "sentAt",
                                  MailSender.utc(row.get("sent_at", OffsetDateTime.class))
                                      .toString()))
                  .all()
                  .collectList()
                  .flatMap(mails -> ServerResponse.ok().bodyValue(mails));
            })
        .build();
  }
}
