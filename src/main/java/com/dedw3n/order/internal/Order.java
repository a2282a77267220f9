package com.dedw3n.order.internal;

import com.dedw3n.order.OrderView;
import com.dedw3n.platform.graphql.Money;
import java.time.OffsetDateTime;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * An order as one caller may see it: {@code viewerId} is who is looking, which decides the items
 * and the total shown (all of them to the buyer, a seller's own to that seller).
 *
 * @param expiresAt when it is cancelled if still unpaid; null for never
 * @param placedItems its items, when the statement that placed it returned them (so answering
 *     {@code placeOrder} reads nothing back); null when they are to be loaded
 */
record Order(
    long id,
    long buyerId,
    String status,
    Money total,
    OffsetDateTime createdAt,
    @Nullable OffsetDateTime expiresAt,
    long viewerId,
    @Nullable List<OrderItem> placedItems)
    implements OrderView {

  /** This order with its items known. */
  Order withItems(List<OrderItem> items) {
    return new Order(
        id, buyerId, status, total, createdAt, expiresAt, viewerId, List.copyOf(items));
  }

  @Override
  public long id() {
    return id;
  }

  @Override
  public boolean viewedByBuyer() {
    return viewerId == buyerId;
  }
}
