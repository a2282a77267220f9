package com.dedw3n.platform.budget;

import io.github.bucket4j.BucketConfiguration;
import io.github.bucket4j.ConsumptionProbe;
import io.github.bucket4j.TimeMeter;
import io.github.bucket4j.distributed.ExpirationAfterWriteStrategy;
import io.github.bucket4j.distributed.proxy.AsyncProxyManager;
import io.github.bucket4j.redis.lettuce.Bucket4jLettuce;
import io.lettuce.core.ClientOptions;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisURI;
import io.lettuce.core.SocketOptions;
import io.lettuce.core.TimeoutOptions;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.codec.ByteArrayCodec;
import io.lettuce.core.codec.RedisCodec;
import io.lettuce.core.codec.StringCodec;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import org.jspecify.annotations.Nullable;

/**
 * Buckets in Redis, shared by every instance (Bucket4j's compare-and-swap on one key per bucket),
 * over a connection of their own. The connection never makes a request wait: commands are rejected
 * at once while it is down instead of being held for later, each has a short timeout, and it is
 * opened in the background (an instance started while Redis is down connects once Redis is back).
 */
final class RedisBuckets implements BucketStore, AutoCloseable {

  private static final Log log = LogFactory.getLog(RedisBuckets.class);

  private final RedisClient client;
  private final RedisURI uri;
  private final String prefix;
  private final TimeMeter time;
  private final Duration retry;
  private volatile @Nullable StatefulRedisConnection<String, byte[]> connection;
  private volatile @Nullable AsyncProxyManager<String> buckets;
  private @Nullable CompletableFuture<AsyncProxyManager<String>> connecting;
  private long nextAttemptNanos;

  RedisBuckets(String url, String prefix, Duration timeout, Duration retry, TimeMeter time) {
    this.uri = RedisURI.create(url);
    this.uri.setTimeout(timeout);
    this.prefix = prefix;
    this.time = time;
    this.retry = retry;
    this.client = RedisClient.create();
    this.client.setOptions(
        ClientOptions.builder()
            .autoReconnect(true)
            .disconnectedBehavior(ClientOptions.DisconnectedBehavior.REJECT_COMMANDS)
            .socketOptions(SocketOptions.builder().connectTimeout(Duration.ofSeconds(1)).build())
            .timeoutOptions(TimeoutOptions.enabled(timeout))
            .build());
    manager();
  }

  @Override
  public CompletableFuture<ConsumptionProbe> take(
      String key, BucketConfiguration rate, long tokens) {
    return manager()
        .thenCompose(
            manager ->
                manager
                    .getProxy(prefix + key, () -> CompletableFuture.completedFuture(rate))
                    .tryConsumeAndReturnRemaining(tokens));
  }

  @Override
  public CompletableFuture<Void> giveBack(String key, BucketConfiguration rate, long tokens) {
    return manager()
        .thenCompose(
            manager ->
                manager
                    .getProxy(prefix + key, () -> CompletableFuture.completedFuture(rate))
                    .addTokens(tokens));
  }

  @Override
  public String name() {
    return "redis";
  }

  /** Whether the connection is open now. */
  boolean connected() {
    var open = connection;
    return open != null && open.isOpen();
  }

  private synchronized CompletableFuture<AsyncProxyManager<String>> manager() {
    AsyncProxyManager<String> ready = buckets;
    if (ready != null) {
      return CompletableFuture.completedFuture(ready);
    }
    if (connecting != null) {
      return connecting;
    }
    if (System.nanoTime() - nextAttemptNanos < 0) {
      return CompletableFuture.failedFuture(new IllegalStateException("Redis is not connected"));
    }
    RedisCodec<String, byte[]> codec = RedisCodec.of(StringCodec.UTF8, ByteArrayCodec.INSTANCE);
    CompletableFuture<AsyncProxyManager<String>> attempt =
        client.connectAsync(codec, uri).toCompletableFuture().thenApply(this::connected);
    connecting = attempt;
    attempt.whenComplete(
        (manager, failure) -> {
          synchronized (this) {
            if (connecting == attempt) {
              connecting = null;
            }
            if (failure != null) {
              nextAttemptNanos = System.nanoTime() + retry.toNanos();
              log.warn(
                  "Redis unreachable for the budgets ("
                      + failure.getMessage()
                      + "); each instance keeps its own until it is back");
            }
          }
        });
    return attempt;
  }

  private AsyncProxyManager<String> connected(StatefulRedisConnection<String, byte[]> open) {
    connection = open;
    AsyncProxyManager<String> manager =
        Bucket4jLettuce.casBasedBuilder(open)
            .expirationAfterWrite(
                ExpirationAfterWriteStrategy.basedOnTimeForRefillingBucketUpToMax(
                    Duration.ofMinutes(1)))
            .clientClock(time)
            .build()
            .asAsync();
    buckets = manager;
    log.info("Budgets are kept in Redis");
    return manager;
  }

  @Override
  public void close() {
    var open = connection;
    if (open != null) {
      open.closeAsync();
    }
    client.shutdownAsync(0, 2, java.util.concurrent.TimeUnit.SECONDS);
  }
}
