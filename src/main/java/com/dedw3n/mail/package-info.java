/**
 * Transactional e-mail: an outbox written in the transaction of what causes a mail, and a sender
 * that delivers it through Brevo (or, without {@code BREVO_API_KEY}, to the local development
 * mailbox) with retries. API: {@link com.dedw3n.mail.Outbox}; the sender, Brevo's client and the
 * mailbox are internal.
 *
 * <p>A module: its root package is its API, sub-packages are internal, and it may use only the
 * modules named here (ModularityTests fails the build otherwise).
 */
@ApplicationModule(allowedDependencies = {"platform"})
package com.dedw3n.mail;

import org.springframework.modulith.ApplicationModule;
