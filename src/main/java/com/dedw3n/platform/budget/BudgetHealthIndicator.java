package com.dedw3n.platform.budget;

import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.HealthIndicator;
import org.springframework.stereotype.Component;

/**
 * {@code /actuator/health} component {@code budgets}: where the buckets are kept (Redis, or this
 * instance's memory and why). Always UP: without Redis the budgets still hold, only per instance.
 */
@Component("budgetsHealthIndicator")
class BudgetHealthIndicator implements HealthIndicator {

  private final Budgets budgets;

  BudgetHealthIndicator(Budgets budgets) {
    this.budgets = budgets;
  }

  @Override
  public Health health() {
    return Health.up().withDetails(budgets.health()).build();
  }
}
