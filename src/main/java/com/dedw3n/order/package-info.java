/**
 * Orders: placing them takes stock through the product feature's Stock. No other feature uses
 * orders, so all of it is in internal.
 *
 * <p>A module: its root package is its API, sub-packages are internal, and it may use only the
 * modules named here (ModularityTests fails the build otherwise).
 */
@ApplicationModule(allowedDependencies = {"platform", "product", "user"})
package com.dedw3n.order;

import org.springframework.modulith.ApplicationModule;
