package com.dedw3n.order;

import static com.dedw3n.order.OrderStatus.CANCELLED;
import static com.dedw3n.order.OrderStatus.FULFILLED;
import static com.dedw3n.order.OrderStatus.PAID;
import static com.dedw3n.order.OrderStatus.PARTIALLY_REFUNDED;
import static com.dedw3n.order.OrderStatus.PAYMENT_FAILED;
import static com.dedw3n.order.OrderStatus.PENDING_PAYMENT;
import static com.dedw3n.order.OrderStatus.REFUNDED;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.EnumSet;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Every pair of statuses: the transitions the issue names are allowed, every other is refused. */
class OrderStatusTests {

  private static final Map<OrderStatus, Set<OrderStatus>> ALLOWED =
      Map.of(
          PENDING_PAYMENT, EnumSet.of(PAID, PAYMENT_FAILED, CANCELLED),
          PAYMENT_FAILED, EnumSet.of(PAID, CANCELLED),
          PAID, EnumSet.of(FULFILLED, PARTIALLY_REFUNDED, REFUNDED),
          FULFILLED, EnumSet.of(PARTIALLY_REFUNDED, REFUNDED),
          PARTIALLY_REFUNDED, EnumSet.of(REFUNDED),
          REFUNDED, EnumSet.noneOf(OrderStatus.class),
          CANCELLED, EnumSet.noneOf(OrderStatus.class));

  @Test
  void everyTransitionIsAllowedOrRefusedAsDrawn() {
    for (OrderStatus from : OrderStatus.values()) {
      for (OrderStatus to : OrderStatus.values()) {
        assertThat(from.mayBecome(to))
            .as("%s -> %s", from, to)
            .isEqualTo(ALLOWED.get(from).contains(to));
      }
    }
  }

  @Test
  void onlyRefundedAndCancelledAreFinalAndOnlyTheUnpaidWaitForMoney() {
    assertThat(EnumSet.allOf(OrderStatus.class).stream().filter(OrderStatus::isFinal))
        .containsExactlyInAnyOrder(REFUNDED, CANCELLED);
    assertThat(EnumSet.allOf(OrderStatus.class).stream().filter(OrderStatus::isUnpaid))
        .containsExactlyInAnyOrder(PENDING_PAYMENT, PAYMENT_FAILED);
  }
}
