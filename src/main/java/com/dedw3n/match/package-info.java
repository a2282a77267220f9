/**
 * Dating: profile likes and matches. No other feature uses matches, so all of it is in internal.
 *
 * <p>A module: its root package is its API, sub-packages are internal, and it may use only the
 * modules named here (ModularityTests fails the build otherwise).
 */
@ApplicationModule(allowedDependencies = {"platform", "user", "mail"})
package com.dedw3n.match;

import org.springframework.modulith.ApplicationModule;
