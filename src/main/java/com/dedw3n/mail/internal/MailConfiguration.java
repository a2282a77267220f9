package com.dedw3n.mail.internal;

import com.dedw3n.mail.Outbox;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Clock;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.r2dbc.core.DatabaseClient;
import org.springframework.web.reactive.function.client.WebClient;

/**
 * The sender, with Brevo's client when {@code BREVO_API_KEY} is set and the local mailbox
 * otherwise. Time comes from the application's {@link Clock} when there is exactly one (tests move
 * theirs).
 */
@Configuration(proxyBeanMethods = false)
class MailConfiguration {

  @Bean
  MailSender mailSender(
      DatabaseClient db,
      MailSettings settings,
      ObjectProvider<Clock> clock,
      MeterRegistry meters,
      Outbox outbox) {
    Clock time = clock.getIfUnique(Clock::systemUTC);
    BrevoApi brevo =
        settings.brevo().configured()
            ? new BrevoApi(settings, WebClient.builder(), time, meters)
            : null;
    return new MailSender(db, settings, brevo, time, meters, outbox.queued()).start();
  }
}
