package com.dedw3n.platform.budget;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.Expiry;
import io.github.bucket4j.Bandwidth;
import io.github.bucket4j.Bucket;
import io.github.bucket4j.BucketConfiguration;
import io.github.bucket4j.ConsumptionProbe;
import io.github.bucket4j.TimeMeter;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;

/**
 * Buckets in this instance's memory: the store without Redis, and the fallback while Redis cannot
 * be reached. Bounded: a client that rotates through many addresses evicts old buckets (which only
 * makes the budget more lenient for them), it cannot grow the heap. A bucket left alone is
 * forgotten once it would be full again, and not before: forgotten after an hour, as they were, a
 * budget of 100 profile likes per 12 hours gave 100 more every hour.
 */
final class LocalBuckets implements BucketStore {

  private final Cache<String, Held> buckets;
  private final TimeMeter time;

  /** A bucket, and how long it may be left alone before it is full again. */
  private record Held(Bucket bucket, long refilledAfterNanos) {}

  LocalBuckets(TimeMeter time, long maxBuckets) {
    this.time = time;
    this.buckets =
        Caffeine.newBuilder()
            .maximumSize(maxBuckets)
            // the buckets' own time, which tests move
            .ticker(time::currentTimeNanos)
            .expireAfter(
                Expiry.<String, Held>accessing(
                    (key, held) -> Duration.ofNanos(held.refilledAfterNanos())))
            .build();
  }

  @Override
  public CompletableFuture<ConsumptionProbe> take(
      String key, BucketConfiguration rate, long tokens) {
    return CompletableFuture.completedFuture(takeNow(key, rate, tokens));
  }

  /** {@link #take}, without a future: memory answers at once. */
  ConsumptionProbe takeNow(String key, BucketConfiguration rate, long tokens) {
    return bucket(key, rate).tryConsumeAndReturnRemaining(tokens);
  }

  @Override
  public CompletableFuture<Void> giveBack(String key, BucketConfiguration rate, long tokens) {
    bucket(key, rate).addTokens(tokens);
    return CompletableFuture.completedFuture(null);
  }

  /** The buckets held now (those forgotten are dropped first). */
  long size() {
    buckets.cleanUp();
    return buckets.estimatedSize();
  }

  @Override
  public String name() {
    return "memory";
  }

  private Bucket bucket(String key, BucketConfiguration rate) {
    Held known = buckets.getIfPresent(key); // the common case, without computeIfAbsent's locking
    if (known != null) {
      return known.bucket();
    }
    return buckets
        .get(
            key,
            k -> {
              var builder = Bucket.builder().withCustomTimePrecision(time);
              long refilledAfter = 0;
              for (var bandwidth : rate.getBandwidths()) {
                builder.addLimit(bandwidth);
                refilledAfter = Math.max(refilledAfter, refilledAfterNanos(bandwidth));
              }
              return new Held(builder.build(), refilledAfter);
            })
        .bucket();
  }

  /** How long an empty bucket of this bandwidth takes to be full again, in nanoseconds. */
  static long refilledAfterNanos(Bandwidth bandwidth) {
    long refills =
        (bandwidth.getCapacity() + bandwidth.getRefillTokens() - 1) / bandwidth.getRefillTokens();
    long period = bandwidth.getRefillPeriodNanos();
    return refills > Long.MAX_VALUE / period ? Long.MAX_VALUE : refills * period;
  }
}
