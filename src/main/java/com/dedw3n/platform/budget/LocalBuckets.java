package com.dedw3n.platform.budget;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import io.github.bucket4j.Bucket;
import io.github.bucket4j.BucketConfiguration;
import io.github.bucket4j.ConsumptionProbe;
import io.github.bucket4j.TimeMeter;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;

/**
 * Buckets in this instance's memory: the store without Redis, and the fallback while Redis cannot
 * be reached. Bounded: a client that rotates through many addresses evicts old buckets (which only
 * makes the budget more lenient for them), it cannot grow the heap.
 */
final class LocalBuckets implements BucketStore {

  private final Cache<String, Bucket> buckets;
  private final TimeMeter time;

  LocalBuckets(TimeMeter time, long maxBuckets) {
    this.time = time;
    this.buckets =
        Caffeine.newBuilder()
            .maximumSize(maxBuckets)
            .expireAfterAccess(Duration.ofHours(1))
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

  @Override
  public String name() {
    return "memory";
  }

  private Bucket bucket(String key, BucketConfiguration rate) {
    Bucket known = buckets.getIfPresent(key); // the common case, without computeIfAbsent's locking
    if (known != null) {
      return known;
    }
    return buckets.get(
        key,
        k -> {
          var builder = Bucket.builder().withCustomTimePrecision(time);
          for (var bandwidth : rate.getBandwidths()) {
            builder.addLimit(bandwidth);
          }
          return builder.build();
        });
  }
}
