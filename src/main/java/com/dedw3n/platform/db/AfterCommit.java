package com.dedw3n.platform.db;

import org.springframework.transaction.NoTransactionException;
import org.springframework.transaction.reactive.TransactionSynchronization;
import org.springframework.transaction.reactive.TransactionSynchronizationManager;
import reactor.core.publisher.Mono;

/**
 * What a change tells others (a signal to a sender, an event to subscribers, a metric, an error
 * log) once the change is there for them to see: after the current transaction commits, never when
 * it rolls back. Said at commit, a change that then rolled back would be announced without being
 * made, and counted again when its caller (Stripe redelivering a webhook, say) tries once more.
 */
public final class AfterCommit {

  private AfterCommit() {}

  /**
   * Runs {@code action} after the reactive transaction of the subscriber's context commits; outside
   * a transaction, at once (each statement before it has committed on its own). The action runs on
   * the committing thread, so it must not block.
   */
  public static Mono<Void> run(Runnable action) {
    return TransactionSynchronizationManager.forCurrentTransaction()
        .doOnNext(
            tx ->
                tx.registerSynchronization(
                    new TransactionSynchronization() {
                      @Override
                      public Mono<Void> afterCommit() {
                        return Mono.fromRunnable(action);
                      }
                    }))
        .then()
        .onErrorResume(NoTransactionException.class, e -> Mono.fromRunnable(action));
  }
}
