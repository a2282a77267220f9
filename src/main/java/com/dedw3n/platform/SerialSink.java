package com.dedw3n.platform;

import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Sinks;

/**
 * A hot stream that any thread may emit into without waiting for another.
 *
 * <p>Reactor's thread-safe sinks refuse an emission while another thread is inside one ({@code
 * FAIL_NON_SERIALIZED}), and the usual answer, {@code EmitFailureHandler.busyLooping}, spins the
 * caller until the other is done. An emission runs the subscribers' whole chain on the emitting
 * thread (a chat event: every feed it concerns, then each subscription's execution), and the
 * emitters here are the database driver's event loops committing sends. Under W6's load two of them
 * met in the chat bus for 6 % of the server's CPU samples, each spin holding an event loop that
 * other connections' answers waited on.
 *
 * <p>Here an emitter queues its value and returns at once when another thread is emitting: the
 * thread in progress delivers what was queued before it leaves (the queue-drain of Reactor's own
 * serialized subscribers). Values are delivered one at a time, in the order they were queued; a
 * value emitted from inside a subscriber (reentrant) is delivered after the current one, not within
 * it. What the sink does with a value (drop it for a subscriber without demand, buffer it) is that
 * of the unsafe sink it wraps.
 *
 * @param <T> the values
 */
public final class SerialSink<T> {

  private static final ThrottledLog log = new ThrottledLog(SerialSink.class);

  private final Sinks.Many<T> sink;
  private final Queue<T> queued = new ConcurrentLinkedQueue<>();
  private final AtomicInteger pending = new AtomicInteger();

  private SerialSink(Sinks.Many<T> sink) {
    this.sink = sink;
  }

  /**
   * Every subscriber gets what is emitted after it subscribed, as long as it has demand: a
   * subscriber that has none misses the value, and nobody waits for it. Subscribers that must not
   * miss anything buffer for themselves ({@code onBackpressureBuffer}).
   */
  public static <T> SerialSink<T> multicast() {
    return new SerialSink<>(Sinks.unsafe().many().multicast().directBestEffort());
  }

  /** One subscriber, which gets every value, buffered without bound until it requests it. */
  public static <T> SerialSink<T> unicast() {
    return new SerialSink<>(Sinks.unsafe().many().unicast().onBackpressureBuffer());
  }

  /**
   * Delivers {@code value} to the subscribers, on this thread, or on the thread emitting already
   * before that one returns. Never blocks, never throws.
   */
  public void emit(T value) {
    queued.offer(value);
    if (pending.getAndIncrement() != 0) {
      return;
    }
    int missed = 1;
    do {
      for (T next; (next = queued.poll()) != null; ) {
        try {
          // refused only when nobody can take it: no subscriber, or the stream has ended
          sink.tryEmitNext(next);
        } catch (RuntimeException e) {
          // a subscriber that throws (Reactor's own never do) costs the ones after it this value,
          // not the stream: leaving here would leave the queue with nobody to deliver it
          log.error("A subscriber failed on a value; the stream goes on", e);
        }
      }
      missed = pending.addAndGet(-missed);
    } while (missed != 0);
  }

  /** The values from now on (for {@link #unicast()}: all of them, to its one subscriber). */
  public Flux<T> asFlux() {
    return sink.asFlux();
  }
}
