/**
 * Payments with Stripe: checkout (a PaymentIntent per order attempt), the webhook that records what
 * Stripe says happened, refunds, and the expiry of unpaid orders. It moves orders through the order
 * feature's {@code OrderLifecycle}, honours locked crypto quotes through the price feature's {@code
 * quotes} interface, and queues the mails it causes in the mail feature's {@code Outbox}. No other
 * feature uses payments, so all of it is in internal.
 *
 * <p>A module: its root package is its API, sub-packages are internal, and it may use only the
 * modules named here (ModularityTests fails the build otherwise).
 */
@ApplicationModule(allowedDependencies = {"platform", "order", "price::quotes", "mail", "user"})
package com.dedw3n.payment;

import org.springframework.modulith.ApplicationModule;
