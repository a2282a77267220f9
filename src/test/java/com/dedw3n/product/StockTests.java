package com.dedw3n.product;

import static org.assertj.core.api.Assertions.assertThat;

import com.dedw3n.ApiTests;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.transaction.reactive.TransactionalOperator;
import reactor.core.publisher.Mono;

class StockTests extends ApiTests {

  @Autowired Stock stock;
  @Autowired TransactionalOperator transaction;

  /**
   * An order locks its products in id order; a cancellation that gives back the same products,
   * named in the other order, must wait for the order's locks instead of holding one of them: else
   * each waits for the other and PostgreSQL aborts one with "deadlock detected".
   */
  @Test
  void givingStockBackWaitsForAnOrderHoldingTheSameProductsInsteadOfDeadlocking() {
    var seller = signUp("StockSeller");
    long first = product(seller);
    long second = product(seller);
    assertThat(first).isLessThan(second);

    // the order: the first product locked, then (once the give-back has started) the second
    Mono<Void> order =
        lock(first)
            .then(Mono.delay(Duration.ofMillis(800)))
            .then(lock(second))
            .as(transaction::transactional);
    // the cancellation, started while the order holds the first product only, with the plan
    // PostgreSQL picks on a production-sized table (the products visited in the order the
    // statement names them, by index): on the few rows of the test database it would scan the
    // table in id order and never show the deadlock
    Mono<Void> cancellation =
        Mono.delay(Duration.ofMillis(300))
            .then(
                db.sql("SET LOCAL enable_hashjoin = off")
                    .then()
                    .then(db.sql("SET LOCAL enable_mergejoin = off").then())
                    .then(db.sql("SET LOCAL enable_seqscan = off").then())
                    .then(stock.giveBack(List.of(second, first), List.of(2, 3)))
                    .as(transaction::transactional));

    Mono.when(order, cancellation).block(Duration.ofSeconds(30));

    assertThat(stockOf(first)).isEqualTo(5 + 3);
    assertThat(stockOf(second)).isEqualTo(5 + 2);
  }

  private Mono<Void> lock(long product) {
    return db.sql("SELECT id FROM products WHERE id = $1 FOR NO KEY UPDATE")
        .bind(0, product)
        .fetch()
        .rowsUpdated()
        .then();
  }

  private long product(Client seller) {
    return db.sql(
            "INSERT INTO products (seller_id, category, title, price_amount, price_currency, stock)"
                + " VALUES ($1, 'stock', 'Locked', 100, 'USD', 5) RETURNING id")
        .bind(0, Long.parseLong(seller.id()))
        .map(row -> row.get(0, Long.class))
        .one()
        .block();
  }

  private int stockOf(long product) {
    return db.sql("SELECT stock FROM products WHERE id = $1")
        .bind(0, product)
        .map(row -> row.get(0, Integer.class))
        .one()
        .block();
  }
}
