package com.dedw3n.platform.budget;

import io.github.bucket4j.BucketConfiguration;
import io.github.bucket4j.ConsumptionProbe;
import java.util.concurrent.CompletableFuture;

/** Where the buckets live: this instance's memory, or Redis for all instances at once. */
interface BucketStore {

  /** Takes {@code tokens} from the bucket at {@code key} if it holds them. */
  CompletableFuture<ConsumptionProbe> take(String key, BucketConfiguration rate, long tokens);

  /** Gives {@code tokens} back (never beyond the bucket's capacity). */
  CompletableFuture<Void> giveBack(String key, BucketConfiguration rate, long tokens);

  /** "memory" or "redis", for health and logs. */
  String name();
}
