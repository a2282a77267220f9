/**
 * Accounts, sign-in and sessions' users. API: User, Users (reads by id).
 *
 * <p>A module: its root package is its API, sub-packages are internal, and it may use only the
 * modules named here (ModularityTests fails the build otherwise).
 */
@ApplicationModule(allowedDependencies = {"platform"})
package com.dedw3n.user;

import org.springframework.modulith.ApplicationModule;
