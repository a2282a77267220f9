package com.dedw3n.post.internal;

import static org.assertj.core.api.Assertions.assertThat;

import com.dedw3n.ApiTests;
import com.dedw3n.platform.db.PlanningDatabase;
import com.dedw3n.platform.graphql.Page;
import io.r2dbc.pool.ConnectionPool;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;

class PostsTests extends ApiTests {

  @Autowired ConnectionPool pool;

  /**
   * The timeline's statement (W4) is planned once per connection and then reused: with its page's
   * LIMIT a parameter, PostgreSQL costed the plan for any parameters as a scan of the whole table
   * and planned the statement again at every execution, which was 40 % of its time a request.
   */
  @Test
  void theTimelinesStatementIsPlannedOnceAndReused() {
    try (PlanningDatabase planning = PlanningDatabase.open(pool)) {
      Posts posts = new Posts(planning.db());
      Page first = Page.of("first", 20, 20, null);
      for (int i = 0; i < 10; i++) {
        var page = posts.newestWithComments(first, true, 2, true).block(Duration.ofSeconds(10));
        assertThat(page).hasSize(first.fetchSize());
        assertThat(page.get(0).children()).hasSize(2);
      }
      // PostgreSQL plans the first five executions for their values, then compares
      var plans = planning.plans("comment_n");
      assertThat(plans.generic()).as("executions on the plan for any parameters").isEqualTo(5);
      assertThat(plans.custom()).isEqualTo(5);
    }
  }
}
