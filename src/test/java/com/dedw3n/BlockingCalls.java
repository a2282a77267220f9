package com.dedw3n;

import reactor.core.scheduler.Scheduler;
import reactor.core.scheduler.Schedulers;

/**
 * Threads for a test's own blocking calls run in parallel (WebTestClient, GraphQlTester, anything
 * that waits for an answer). Never Reactor's shared {@code boundedElastic}: spring-graphql's tester
 * loads each document there ({@code ResourceDocumentSource} subscribes on it), and the server under
 * test uses it too (Stripe calls, connecting to Redis). Once its 10 threads a core are all taken, a
 * new task queues behind a busy one, so a test call blocked on loading its document could wait
 * behind another of the test's blocked calls until it timed out (OrderTests did, after 5 s).
 */
public final class BlockingCalls {

  /** More threads than any test runs calls at once, so a call never queues behind another. */
  public static final Scheduler SCHEDULER =
      Schedulers.newBoundedElastic(64, Integer.MAX_VALUE, "test-blocking-calls", 60, true);

  private BlockingCalls() {}
}
