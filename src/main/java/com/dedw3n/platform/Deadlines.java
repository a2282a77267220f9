package com.dedw3n.platform;

import io.netty.util.HashedWheelTimer;
import io.netty.util.Timeout;
import io.netty.util.concurrent.DefaultThreadFactory;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import reactor.core.publisher.Mono;

/**
 * Deadlines for every request, on a hashed wheel timer (Netty's): adding and cancelling one is a
 * constant-time enqueue that wakes no thread. Reactor's own {@code timeout(Duration)} schedules on
 * a {@code ScheduledThreadPoolExecutor}, whose locked queue wakes its worker whenever a new task
 * becomes its head: with two deadlines per request that cost a measured share of a light query's
 * CPU (context switches and lock hand-offs). Deadlines here are seconds long, so the wheel's 50 ms
 * resolution is plenty.
 */
public final class Deadlines {

  private static final HashedWheelTimer WHEEL =
      new HashedWheelTimer(
          new DefaultThreadFactory("dedw3n-deadlines", true), 50, TimeUnit.MILLISECONDS, 512);

  private Deadlines() {}

  /**
   * {@code work}, unless it has not finished within {@code deadline}: then it is cancelled and
   * {@code late} answers instead.
   */
  public static <T> Mono<T> within(Mono<T> work, Duration deadline, Supplier<Mono<T>> late) {
    return work.timeout(after(deadline), Mono.defer(late));
  }

  /**
   * {@code work}, unless it has not finished within {@code deadline}: then {@code atDeadline} runs,
   * before {@code work} is cancelled, and {@code late} answers instead.
   */
  public static <T> Mono<T> within(
      Mono<T> work, Duration deadline, Runnable atDeadline, Supplier<Mono<T>> late) {
    return work.timeout(after(deadline).doOnNext(tick -> atDeadline.run()), Mono.defer(late));
  }

  /** A signal after {@code delay}, on the wheel; cancelling it frees its slot at once. */
  static Mono<Long> after(Duration delay) {
    return Mono.create(
        sink -> {
          Timeout timeout =
              WHEEL.newTimeout(t -> sink.success(0L), delay.toNanos(), TimeUnit.NANOSECONDS);
          sink.onCancel(timeout::cancel);
        });
  }
}
