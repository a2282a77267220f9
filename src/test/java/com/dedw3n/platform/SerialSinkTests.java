package com.dedw3n.platform;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.reactivestreams.Subscriber;
import org.reactivestreams.Subscription;
import reactor.core.Disposable;

class SerialSinkTests {

  private final ExecutorService threads = Executors.newFixedThreadPool(8);

  @AfterEach
  void stop() {
    threads.shutdownNow();
  }

  /**
   * The defect it replaces: with Reactor's sinks the second thread either spun until the first left
   * its subscribers (busyLooping, holding a database event loop) or had its value refused.
   */
  @Test
  void anEmitterReturnsAtOnceWhileAnotherThreadIsDeliveringAndItsValueFollows() throws Exception {
    SerialSink<Integer> sink = SerialSink.multicast();
    CountDownLatch insideFirst = new CountDownLatch(1);
    CountDownLatch releaseFirst = new CountDownLatch(1);
    List<String> received = Collections.synchronizedList(new ArrayList<>());
    Disposable subscriber =
        sink.asFlux()
            .subscribe(
                value -> {
                  received.add(value + " on " + Thread.currentThread().getName());
                  if (value == 1) {
                    insideFirst.countDown();
                    await(releaseFirst);
                  }
                });

    Future<?> first = threads.submit(() -> sink.emit(1));
    assertThat(insideFirst.await(10, TimeUnit.SECONDS)).isTrue();
    String firstThread = received.get(0).substring("1 on ".length());

    // the second emitter must not wait for the first one's subscriber, which waits for it here
    Future<?> second = threads.submit(() -> sink.emit(2));
    second.get(10, TimeUnit.SECONDS);
    assertThat(received).hasSize(1);

    releaseFirst.countDown();
    first.get(10, TimeUnit.SECONDS);
    // delivered by the thread that was delivering, after the first value
    assertThat(received).containsExactly("1 on " + firstThread, "2 on " + firstThread);
    subscriber.dispose();
  }

  @Test
  void everyValueOfManyConcurrentEmittersArrivesOnceAndInEachEmittersOrder() throws Exception {
    SerialSink<long[]> sink = SerialSink.multicast();
    int emitters = 6;
    int each = 20_000;
    Map<Long, List<Long>> byEmitter = new ConcurrentHashMap<>();
    // a subscriber that is called from several threads in turn: unsynchronised state is safe
    // only if the sink never calls it from two at once
    int[] inside = {0};
    List<String> overlaps = Collections.synchronizedList(new ArrayList<>());
    Disposable subscriber =
        sink.asFlux()
            .subscribe(
                value -> {
                  if (inside[0]++ != 0) {
                    overlaps.add("two deliveries at once");
                  }
                  byEmitter.computeIfAbsent(value[0], k -> new ArrayList<>()).add(value[1]);
                  inside[0]--;
                });
    CyclicBarrier start = new CyclicBarrier(emitters);
    List<Future<?>> running = new ArrayList<>();
    for (long e = 0; e < emitters; e++) {
      long emitter = e;
      running.add(
          threads.submit(
              () -> {
                start.await();
                for (long i = 0; i < each; i++) {
                  sink.emit(new long[] {emitter, i});
                }
                return null;
              }));
    }
    for (Future<?> f : running) {
      f.get(60, TimeUnit.SECONDS);
    }

    assertThat(overlaps).isEmpty();
    assertThat(byEmitter).hasSize(emitters);
    for (List<Long> values : byEmitter.values()) {
      assertThat(values).hasSize(each);
      for (int i = 0; i < each; i++) {
        assertThat(values.get(i)).isEqualTo(i);
      }
    }
    subscriber.dispose();
  }

  @Test
  void aValueEmittedFromInsideASubscriberIsDeliveredAfterTheCurrentOne() {
    SerialSink<Integer> sink = SerialSink.multicast();
    List<String> events = new ArrayList<>();
    Disposable subscriber =
        sink.asFlux()
            .subscribe(
                value -> {
                  events.add("start " + value);
                  if (value < 3) {
                    sink.emit(value + 1);
                  }
                  events.add("end " + value);
                });

    sink.emit(1);

    assertThat(events).containsExactly("start 1", "end 1", "start 2", "end 2", "start 3", "end 3");
    subscriber.dispose();
  }

  /**
   * A subscriber that throws (Reactor's own never do) costs the subscribers after it that one value
   * (the wrapped sink stops its loop there), but not the stream: the emitter does not see the
   * failure, and the next values are delivered.
   */
  @Test
  void aSubscriberThatThrowsDoesNotStopTheStream() {
    SerialSink<Integer> sink = SerialSink.multicast();
    // a raw subscriber: Reactor's own catch what their consumers throw, this one lets it escape
    sink.asFlux()
        .subscribe(
            new Subscriber<Integer>() {
              @Override
              public void onSubscribe(Subscription s) {
                s.request(Long.MAX_VALUE);
              }

              @Override
              public void onNext(Integer value) {
                throw new IllegalStateException("subscriber bug on " + value);
              }

              @Override
              public void onError(Throwable t) {}

              @Override
              public void onComplete() {}
            });
    List<Integer> received = new ArrayList<>();
    Disposable other = sink.asFlux().subscribe(received::add);

    sink.emit(1);
    sink.emit(2);
    sink.emit(3);

    assertThat(received).endsWith(2, 3);
    other.dispose();
  }

  @Test
  void theUnicastSinkBuffersUntilItsSubscriberAsks() {
    SerialSink<Integer> sink = SerialSink.unicast();
    sink.emit(1);
    sink.emit(2);

    assertThat(sink.asFlux().take(2).collectList().block(Duration.ofSeconds(10)))
        .containsExactly(1, 2);
  }

  private static void await(CountDownLatch latch) {
    try {
      if (!latch.await(10, TimeUnit.SECONDS)) {
        throw new IllegalStateException("never released");
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }
}
