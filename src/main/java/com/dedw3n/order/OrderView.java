package com.dedw3n.order;

/**
 * An order as a GraphQL field of another feature sees its parent (the payment feature's {@code
 * Order.payment}): its id, and whether the caller looking at it is its buyer.
 */
public interface OrderView {

  long id();

  boolean viewedByBuyer();
}
