/**
 * Orders: placing one takes stock in the same statement, through the parts of it that the product
 * feature's Stock gives (Stock also gives stock back). API for the payment feature: the state
 * machine ({@link com.dedw3n.order.OrderStatus}, {@link com.dedw3n.order.OrderLifecycle}) and what
 * it may know of an order ({@link com.dedw3n.order.OrderSummary}, {@link
 * com.dedw3n.order.OrderView}); the rest is internal.
 *
 * <p>A module: its root package is its API, sub-packages are internal, and it may use only the
 * modules named here (ModularityTests fails the build otherwise).
 */
@ApplicationModule(allowedDependencies = {"platform", "product", "user", "mail"})
package com.dedw3n.order;

import org.springframework.modulith.ApplicationModule;
