package com.dedw3n.order.internal;

import com.dedw3n.platform.graphql.Money;
import java.time.OffsetDateTime;

/**
 * An order as one caller may see it: {@code viewerId} is who is looking, which decides the items
 * and the total shown (all of them to the buyer, a seller's own to that seller).
 */
record Order(
    long id, long buyerId, String status, Money total, OffsetDateTime createdAt, long viewerId) {

  boolean viewedByBuyer() {
    return viewerId == buyerId;
  }
}
