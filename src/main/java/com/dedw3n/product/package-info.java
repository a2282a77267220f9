/**
 * Products, reviews and their stock. API: Product (and the name of its DataLoader, for order
 * items), Stock (for orders); the rest is in internal.
 *
 * <p>A module: its root package is its API, sub-packages are internal, and it may use only the
 * modules named here (ModularityTests fails the build otherwise).
 */
@ApplicationModule(allowedDependencies = {"platform", "user"})
package com.dedw3n.product;

import org.springframework.modulith.ApplicationModule;
