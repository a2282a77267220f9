package com.dedw3n.payment.internal;

import com.dedw3n.order.OrderLifecycle;
import java.time.Clock;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import org.jspecify.annotations.Nullable;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.context.event.ApplicationReadyEvent;
import org.springframework.context.ApplicationListener;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.transaction.reactive.TransactionalOperator;
import org.springframework.web.reactive.function.server.RouterFunction;
import org.springframework.web.reactive.function.server.RouterFunctions;
import org.springframework.web.reactive.function.server.ServerResponse;

/**
 * Which Stripe the payments talk to: the real one with {@code STRIPE_SECRET_KEY}; without it, in
 * the development profile ({@code dedw3n.payment.fake-stripe}), a {@link FakeStripe} started here
 * on loopback, whose confirmations call this server's webhook; otherwise none, and checkout is
 * UNAVAILABLE ({@code PAYMENTS_NOT_CONFIGURED}).
 */
@Configuration(proxyBeanMethods = false)
class PaymentConfiguration {

  private static final Log log = LogFactory.getLog(PaymentConfiguration.class);

  @Bean(destroyMethod = "close")
  @Nullable FakeStripe fakeStripe(PaymentSettings settings) {
    if (!settings.fakeStripe() || !settings.stripe().secretKey().isBlank()) {
      return null;
    }
    FakeStripe fake = new FakeStripe();
    log.info("No STRIPE_SECRET_KEY: payments go to a fake Stripe at " + fake.baseUrl());
    return fake;
  }

  @Bean
  StripeGateway stripeGateway(PaymentSettings settings, ObjectProvider<FakeStripe> fake) {
    PaymentSettings.Stripe stripe = settings.stripe();
    FakeStripe local = fake.getIfAvailable();
    StripeGateway.Access access;
    if (!stripe.secretKey().isBlank()) {
      access =
          new StripeGateway.Access(
              stripe.apiBase(),
              stripe.secretKey(),
              stripe.publishableKey(),
              stripe.webhookSecret());
      if (stripe.webhookSecret().isBlank()) {
        log.warn(
            "STRIPE_WEBHOOK_SECRET is not set: payments are never confirmed (README, Payments)");
      }
    } else if (local != null) {
      access =
          new StripeGateway.Access(
              local.baseUrl(),
              FakeStripe.SECRET_KEY,
              FakeStripe.PUBLISHABLE_KEY,
              FakeStripe.WEBHOOK_SECRET);
    } else {
      log.info("No STRIPE_SECRET_KEY: checkout answers UNAVAILABLE (PAYMENTS_NOT_CONFIGURED)");
      access = null;
    }
    return new StripeGateway(access, stripe);
  }

  /** Once the server listens, the fake Stripe sends its webhook events to it. */
  @Bean
  ApplicationListener<ApplicationReadyEvent> fakeStripeWebhooks(ObjectProvider<FakeStripe> fake) {
    return ready -> {
      FakeStripe local = fake.getIfAvailable();
      String port = ready.getApplicationContext().getEnvironment().getProperty("local.server.port");
      if (local != null && port != null) {
        local.webhookUrl("http://127.0.0.1:" + port + "/webhooks/stripe");
      }
    };
  }

  @Bean
  StripeWebhook stripeWebhook(
      StripeGateway stripe,
      Payments payments,
      OrderLifecycle orders,
      PaymentProgress progress,
      TransactionalOperator transaction,
      PaymentSettings settings,
      ObjectProvider<Clock> clock) {
    return new StripeWebhook(
        stripe,
        payments,
        orders,
        progress,
        transaction,
        settings,
        clock.getIfUnique(Clock::systemUTC));
  }

  @Bean
  RouterFunction<ServerResponse> stripeWebhookRoute(StripeWebhook webhook) {
    return RouterFunctions.route().POST("/webhooks/stripe", webhook::receive).build();
  }
}
