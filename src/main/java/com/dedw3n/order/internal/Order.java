package com.dedw3n.order.internal;

import com.dedw3n.order.OrderView;
import com.dedw3n.platform.graphql.Money;
import java.time.OffsetDateTime;
import org.jspecify.annotations.Nullable;

/**
 * An order as one caller may see it: {@code viewerId} is who is looking, which decides the items
 * and the total shown (all of them to the buyer, a seller's own to that seller).
 *
 * @param expiresAt when it is cancelled if still unpaid; null for never
 */
record Order(
    long id,
    long buyerId,
    String status,
    Money total,
    OffsetDateTime createdAt,
    @Nullable OffsetDateTime expiresAt,
    long viewerId)
    implements OrderView {

  @Override
  public long id() {
    return id;
  }

  @Override
  public boolean viewedByBuyer() {
    return viewerId == buyerId;
  }
}
