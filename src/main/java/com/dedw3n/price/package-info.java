/**
 * Crypto prices: providers, consensus, locked quotes, and products' prices in a coin. No other
 * feature uses prices, so all of it is in internal.
 *
 * <p>A module: its root package is its API, sub-packages are internal, and it may use only the
 * modules named here (ModularityTests fails the build otherwise).
 */
@ApplicationModule(allowedDependencies = {"platform", "product"})
package com.dedw3n.price;

import org.springframework.modulith.ApplicationModule;
