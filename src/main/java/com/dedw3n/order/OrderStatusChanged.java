package com.dedw3n.order;

/** An order moved from one status to another; announced once its transaction has committed. */
public record OrderStatusChanged(long orderId, long buyerId, OrderStatus from, OrderStatus to) {}
