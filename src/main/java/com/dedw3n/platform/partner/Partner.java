package com.dedw3n.platform.partner;

import com.dedw3n.platform.budget.BudgetSettings;
import com.dedw3n.platform.budget.Payer;
import java.time.Duration;
import java.util.Set;

/**
 * A partner as its requests see it: which registered operations it may call (by id) and its cost
 * budget, charged in the operations' registered prices.
 */
public record Partner(
    long id, String name, Set<String> allowedOperations, BudgetSettings.Rate budget) {

  public Partner {
    allowedOperations = Set.copyOf(allowedOperations);
  }

  Partner(long id, String name, Set<String> allowedOperations, long capacity, long perSecond) {
    this(
        id,
        name,
        allowedOperations,
        new BudgetSettings.Rate(capacity, perSecond, Duration.ofSeconds(1)));
  }

  public boolean mayCall(String operationId) {
    return allowedOperations.contains(operationId);
  }

  /** Who pays for its requests: its own budget. */
  public Payer payer() {
    return new Payer(Payer.Kind.PARTNER, Long.toString(id), budget);
  }
}
