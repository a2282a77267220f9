package com.dedw3n.platform.budget;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.bucket4j.BucketConfiguration;
import io.github.bucket4j.TimeMeter;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class LocalBucketsTests {

  /** Time that only the test moves. */
  static final class TestTime implements TimeMeter {
    final AtomicLong nanos = new AtomicLong(Duration.ofDays(1000).toNanos());

    void advance(Duration by) {
      nanos.addAndGet(by.toNanos());
    }

    @Override
    public long currentTimeNanos() {
      return nanos.get();
    }

    @Override
    public boolean isWallClockBased() {
      return false;
    }
  }

  /**
   * A spent bucket of a slow budget (profile likes: so many per 12 hours) stays spent while it
   * refills, however long it is left alone, and is forgotten once it would be full again.
   */
  @Test
  void aBucketLeftAloneIsKeptUntilItWouldBeFullAgain() {
    var time = new TestTime();
    var buckets = new LocalBuckets(time, 1000);
    var twoPerTwelveHours =
        BucketConfiguration.builder()
            .addLimit(limit -> limit.capacity(2).refillGreedy(2, Duration.ofHours(12)))
            .build();
    assertThat(buckets.takeNow("likes:user:1", twoPerTwelveHours, 2).isConsumed()).isTrue();

    time.advance(Duration.ofMinutes(61));
    assertThat(buckets.takeNow("likes:user:1", twoPerTwelveHours, 1).isConsumed())
        .as("an hour later: not a fresh bucket")
        .isFalse();

    time.advance(Duration.ofHours(12).plusMinutes(1));
    assertThat(buckets.size()).as("left alone until full again: forgotten").isZero();
    assertThat(buckets.takeNow("likes:user:1", twoPerTwelveHours, 2).isConsumed()).isTrue();
  }
}
