package com.dedw3n.platform.db;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.dedw3n.ApiTests;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.transaction.reactive.TransactionalOperator;
import reactor.core.publisher.Mono;

/** What a change tells others is told once it committed, and never when it rolled back. */
class AfterCommitTests extends ApiTests {

  @Autowired TransactionalOperator transaction;

  @Test
  void inATransactionItRunsOnlyOnceTheTransactionCommitted() {
    AtomicInteger told = new AtomicInteger();
    AtomicInteger toldBeforeCommit = new AtomicInteger(-1);
    db.sql("SELECT 1")
        .then()
        .then(AfterCommit.run(told::incrementAndGet))
        // still inside the transaction: nothing told yet
        .then(Mono.fromRunnable(() -> toldBeforeCommit.set(told.get())))
        .as(transaction::transactional)
        .block(Duration.ofSeconds(15));
    assertThat(toldBeforeCommit).hasValue(0);
    assertThat(told).hasValue(1);
  }

  @Test
  void aTransactionThatRollsBackTellsNothing() {
    AtomicInteger told = new AtomicInteger();
    Mono<Void> failing =
        db.sql("SELECT 1")
            .then()
            .then(AfterCommit.run(told::incrementAndGet))
            .then(Mono.<Void>error(new IllegalStateException("the change failed after it")))
            .as(transaction::transactional);
    assertThatThrownBy(() -> failing.block(Duration.ofSeconds(15)))
        .hasMessageContaining("the change failed after it");
    assertThat(told).hasValue(0);
  }

  @Test
  void outsideATransactionItRunsAtOnce() {
    AtomicInteger told = new AtomicInteger();
    AfterCommit.run(told::incrementAndGet).block(Duration.ofSeconds(15));
    assertThat(told).hasValue(1);
  }
}
