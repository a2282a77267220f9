/**
 * Accounts, sign-in and sessions' users. API: User (and the name of its DataLoader), Users (reads
 * by id); accounts, credentials, the controller and the loader are in internal.
 *
 * <p>A module: its root package is its API, sub-packages are internal, and it may use only the
 * modules named here (ModularityTests fails the build otherwise).
 */
@ApplicationModule(allowedDependencies = {"platform", "mail"})
package com.dedw3n.user;

import org.springframework.modulith.ApplicationModule;
