package com.dedw3n.order.internal;

import com.dedw3n.platform.graphql.Money;

/** One product line of an order, at the price it had when the order was placed. */
record OrderItem(long orderId, long productId, long sellerId, int quantity, Money unitPrice) {}
