package com.dedw3n.platform;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;

/**
 * A log that writes the stack trace of a failure at most once a minute per kind of failure (its
 * class and where it was thrown); in between, one line each. Warnings (expected trouble, such as
 * the database being down) never get a stack trace. One broken dependency under load would
 * otherwise write a stack trace per request: megabytes a minute that hide everything else.
 */
public final class ThrottledLog {

  private static final long PERIOD_NANOS = TimeUnit.MINUTES.toNanos(1);

  private final Log log;
  private final Map<String, Window> windows = new ConcurrentHashMap<>();

  public ThrottledLog(Class<?> owner) {
    this.log = LogFactory.getLog(owner);
  }

  /** An unexpected failure: its stack trace once a minute per kind, one line otherwise. */
  public void error(String message, Throwable failure) {
    Window window = window("E" + kind(failure));
    long suppressed = window.open();
    if (suppressed >= 0) {
      log.error(
          message + (suppressed > 0 ? " (" + suppressed + " more like it in the last minute)" : ""),
          failure);
    } else {
      log.error(message + ": " + failure + " (stack trace logged in the last minute)");
    }
  }

  /** An expected failure: one line, at most once a second per kind, with a count of the rest. */
  public void warn(String message, Throwable failure) {
    Window window = window("W" + kind(failure));
    long suppressed = window.openEvery(TimeUnit.SECONDS.toNanos(1));
    if (suppressed >= 0) {
      log.warn(message + ": " + failure + (suppressed > 0 ? " (and " + suppressed + " more)" : ""));
    }
  }

  private Window window(String key) {
    if (windows.size() > 1_000) {
      windows.clear(); // many kinds of failure at once: forget the old windows rather than grow
    }
    return windows.computeIfAbsent(key, k -> new Window());
  }

  private static String kind(Throwable failure) {
    StackTraceElement[] stack = failure.getStackTrace();
    return failure.getClass().getName() + (stack.length > 0 ? "@" + stack[0] : "");
  }

  /** When this kind was last written in full, and how many were left out since. */
  private static final class Window {
    private final AtomicLong openedAt = new AtomicLong(System.nanoTime() - PERIOD_NANOS - 1);
    private final AtomicLong suppressed = new AtomicLong();

    long open() {
      return openEvery(PERIOD_NANOS);
    }

    /** The count left out since the last write when it is time to write again, else -1. */
    long openEvery(long periodNanos) {
      long now = System.nanoTime();
      long last = openedAt.get();
      if (now - last >= periodNanos && openedAt.compareAndSet(last, now)) {
        return suppressed.getAndSet(0);
      }
      suppressed.incrementAndGet();
      return -1;
    }
  }
}
