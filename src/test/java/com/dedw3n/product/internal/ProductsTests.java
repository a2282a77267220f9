package com.dedw3n.product.internal;

import static org.assertj.core.api.Assertions.assertThat;

import com.dedw3n.ApiTests;
import com.dedw3n.platform.db.PlanningDatabase;
import com.dedw3n.platform.graphql.Page;
import io.r2dbc.pool.ConnectionPool;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;

class ProductsTests extends ApiTests {

  @Autowired ConnectionPool pool;

  /**
   * The feed's statement (W1: a category's newest products with their sellers and their newest
   * reviews) is planned once per connection and then reused, as the timeline's is (PostsTests).
   */
  @Test
  void theFeedsStatementIsPlannedOnceAndReused() {
    try (PlanningDatabase planning = PlanningDatabase.open(pool)) {
      Products products = new Products(planning.db());
      Page first = Page.of("first", 50, 50, null);
      for (int i = 0; i < 10; i++) {
        var page =
            products
                .newestWithReviews("category 3", first, true, 3, true)
                .block(Duration.ofSeconds(10));
        assertThat(page).hasSize(first.fetchSize());
        assertThat(page).allSatisfy(p -> assertThat(p.parent().category()).isEqualTo("category 3"));
      }
      var plans = planning.plans("review_n");
      assertThat(plans.generic()).as("executions on the plan for any parameters").isEqualTo(5);
      assertThat(plans.custom()).isEqualTo(5);
    }
  }
}
