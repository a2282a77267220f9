package com.dedw3n.order;

import com.dedw3n.platform.graphql.Money;
import java.time.OffsetDateTime;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * What another feature may know of an order: who bought it, from whom, for how much, and where it
 * is in its life.
 *
 * @param total the whole order's total (the amount to charge)
 * @param sellerIds the sellers of its items
 * @param expiresAt when it is cancelled if still unpaid; null for never
 */
public record OrderSummary(
    long id,
    long buyerId,
    Set<Long> sellerIds,
    OrderStatus status,
    Money total,
    @Nullable OffsetDateTime expiresAt) {}
