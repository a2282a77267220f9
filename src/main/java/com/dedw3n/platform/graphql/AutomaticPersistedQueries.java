package com.dedw3n.platform.graphql;

import com.dedw3n.platform.ThrottledLog;
import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import java.time.Duration;
import org.jspecify.annotations.Nullable;
import org.springframework.data.redis.core.ReactiveStringRedisTemplate;
import reactor.core.publisher.Mono;

/**
 * Documents the apps registered by hash (Apollo's automatic persisted queries): in Redis when there
 * is Redis, so a document registered through one instance is known to all, with an expiry renewed
 * by every registration; and in each instance's memory in front of it, bounded by size. A document
 * never changes under its hash, so the memory copy is never stale.
 *
 * <p>Redis failing never fails a request: a lookup that cannot be answered is a miss (the client
 * sends the document again), a registration that cannot be written is logged.
 */
final class AutomaticPersistedQueries {

  private static final ThrottledLog log = new ThrottledLog(AutomaticPersistedQueries.class);

  private final Cache<String, String> local;
  private final @Nullable ReactiveStringRedisTemplate redis;
  private final String prefix;
  private final Duration ttl;

  AutomaticPersistedQueries(
      long localChars, @Nullable ReactiveStringRedisTemplate redis, String prefix, Duration ttl) {
    this.local =
        Caffeine.newBuilder()
            .maximumWeight(localChars)
            .<String, String>weigher((id, text) -> text.length())
            .build();
    this.redis = redis;
    this.prefix = prefix;
    this.ttl = ttl;
  }

  /** The document registered under this hash, or empty. */
  Mono<String> find(String sha256) {
    String known = local.getIfPresent(sha256);
    if (known != null) {
      return Mono.just(known);
    }
    if (redis == null) {
      return Mono.empty();
    }
    return redis
        .opsForValue()
        .get(prefix + sha256)
        // the hash was checked when it was written; checked again, so that a corrupted or foreign
        // value under our key can never run as another document
        .filter(text -> PersistedQueryManifest.sha256(text).equals(sha256))
        .doOnNext(text -> local.put(sha256, text))
        .onErrorResume(
            e -> {
              log.warn("Registered documents cannot be read from Redis; answered as unknown", e);
              return Mono.empty();
            });
  }

  /** Registers a document whose hash was checked. */
  Mono<Void> register(String sha256, String text) {
    local.put(sha256, text);
    if (redis == null) {
      return Mono.empty();
    }
    return redis
        .opsForValue()
        .set(prefix + sha256, text, ttl)
        .onErrorResume(
            e -> {
              log.warn("A document registered by hash could not be written to Redis", e);
              return Mono.empty();
            })
        .then();
  }
}
