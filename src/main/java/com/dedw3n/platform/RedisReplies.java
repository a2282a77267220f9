package com.dedw3n.platform;

import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;

/**
 * Where a request goes on after Redis has answered it.
 *
 * <p>Lettuce completes a command's future on the I/O thread of its connection, and one connection
 * has one such thread. A request that reads its session or takes its budget from Redis would run
 * everything that follows (validation, the guard, the first resolvers, the JSON of an answer
 * without SQL) on that one thread, and every other Redis reply of the instance would queue behind
 * it: under a burst of work (the W6 driver's sign-ins and subscriptions on both cores) session
 * reads waited there past their 500 ms timeout and failed closed, although Redis had answered in
 * well under a millisecond. So the request hops to Reactor's parallel threads, one per core, as
 * soon as the reply is in.
 */
public final class RedisReplies {

  private RedisReplies() {}

  /** The reply, delivered on Reactor's parallel threads instead of Lettuce's I/O thread. */
  public static <T> Mono<T> offIoThread(Mono<T> reply) {
    return reply.publishOn(Schedulers.parallel());
  }

  /** The replies, delivered on Reactor's parallel threads instead of Lettuce's I/O thread. */
  public static <T> Flux<T> offIoThread(Flux<T> replies) {
    return replies.publishOn(Schedulers.parallel());
  }
}
