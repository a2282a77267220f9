package com.dedw3n.payment.internal;

import java.time.Duration;
import org.springframework.boot.context.properties.ConfigurationProperties;

/**
 * The payment feature's settings ({@code dedw3n.payment}).
 *
 * @param webhookTolerance how old a webhook's signed timestamp may be (Stripe's default, 300 s)
 * @param webhookFutureSkew how far in the future a webhook's timestamp may be (clock skew)
 * @param expirySweep how often unpaid orders past their expiry are cancelled
 * @param refundCheck how often Stripe is asked about refunds in flight too long
 * @param refundCheckAfter how long a refund may be in flight before Stripe is asked about it
 * @param fakeStripe without a {@code STRIPE_SECRET_KEY}, start a fake Stripe on loopback and pay
 *     against it (the development profile); without either, checkout is UNAVAILABLE
 */
@ConfigurationProperties("dedw3n.payment")
record PaymentSettings(
    Stripe stripe,
    Duration webhookTolerance,
    Duration webhookFutureSkew,
    Duration expirySweep,
    Duration refundCheck,
    Duration refundCheckAfter,
    boolean fakeStripe) {

  /**
   * Stripe's keys and API.
   *
   * @param secretKey {@code STRIPE_SECRET_KEY}; empty: payments are not configured
   * @param publishableKey {@code STRIPE_PUBLISHABLE_KEY}, handed to the apps with each checkout
   * @param webhookSecret {@code STRIPE_WEBHOOK_SECRET}, the endpoint's signing secret (whsec_...)
   * @param apiBase Stripe's API; tests point it at a fake
   * @param connectTimeout connecting to Stripe
   * @param readTimeout one answer from Stripe
   * @param maxNetworkRetries stripe-java's own retries of a failed request (same idempotency key)
   */
  record Stripe(
      String secretKey,
      String publishableKey,
      String webhookSecret,
      String apiBase,
      Duration connectTimeout,
      Duration readTimeout,
      int maxNetworkRetries) {}
}
