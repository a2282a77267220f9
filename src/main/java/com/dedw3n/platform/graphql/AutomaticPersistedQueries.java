package com.dedw3n.platform.graphql;

import com.dedw3n.platform.RedisReplies;
import com.dedw3n.platform.ThrottledLog;
import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import java.time.Duration;
import java.util.List;
import org.jspecify.annotations.Nullable;
import org.springframework.data.redis.core.ReactiveStringRedisTemplate;
import org.springframework.data.redis.core.script.RedisScript;
import reactor.core.publisher.Mono;

/**
 * Documents the apps registered by hash (Apollo's automatic persisted queries): in Redis when there
 * is Redis, so a document registered through one instance is known to all, with an expiry renewed
 * by every registration and at most {@code maxEntries} of them (the least recently registered go
 * first); and in each instance's memory in front of it, bounded by size. A document never changes
 * under its hash, so the memory copy is never stale.
 *
 * <p>Redis failing never fails a request: a lookup that cannot be answered is a miss (the client
 * sends the document again), a registration that cannot be written is logged.
 */
final class AutomaticPersistedQueries {

  private static final ThrottledLog log = new ThrottledLog(AutomaticPersistedQueries.class);

  /**
   * Keeps the document (KEYS[1]) and records it in the index (KEYS[2], a sorted set of ids by
   * registration time), then ends the least recently registered documents beyond the bound, in one
   * step: any caller may register documents, so without a bound a client making up documents would
   * fill Redis. The time is Redis's own, one clock for every instance. The evicted documents' keys
   * are made from their ids (ARGV[4]), which a Redis Cluster would refuse; this API's Redis is one
   * server.
   */
  private static final RedisScript<Long> REGISTER =
      RedisScript.of(
          """
          local time = redis.call('TIME')
          local now = tonumber(time[1]) * 1000000 + tonumber(time[2])
          local ttl = tonumber(ARGV[2])
          redis.call('SET', KEYS[1], ARGV[1], 'PX', ttl)
          redis.call('ZADD', KEYS[2], now, ARGV[3])
          redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now - ttl * 1000)
          local over = redis.call('ZCARD', KEYS[2]) - tonumber(ARGV[5])
          if over > 0 then
            for _, id in ipairs(redis.call('ZRANGE', KEYS[2], 0, over - 1)) do
              redis.call('DEL', ARGV[4] .. id)
            end
            redis.call('ZREMRANGEBYRANK', KEYS[2], 0, over - 1)
          else
            over = 0
          end
          redis.call('PEXPIRE', KEYS[2], ttl)
          return over
          """,
          Long.class);

  private final Cache<String, String> local;
  private final @Nullable ReactiveStringRedisTemplate redis;
  private final String prefix;
  private final Duration ttl;
  private final int maxEntries;

  AutomaticPersistedQueries(
      long localChars,
      @Nullable ReactiveStringRedisTemplate redis,
      String prefix,
      Duration ttl,
      int maxEntries) {
    this.local =
        Caffeine.newBuilder()
            .maximumWeight(localChars)
            .<String, String>weigher((id, text) -> text.length())
            .build();
    this.redis = redis;
    this.prefix = prefix;
    this.ttl = ttl;
    this.maxEntries = maxEntries;
  }

  /** The Redis key of the index of registered ids (never a document's: those are 64 hex digits). */
  static String indexKey(String prefix) {
    return prefix + "index";
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
        .transform(RedisReplies::offIoThread)
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
        .execute(
            REGISTER,
            List.of(prefix + sha256, indexKey(prefix)),
            List.of(
                text, Long.toString(ttl.toMillis()), sha256, prefix, Integer.toString(maxEntries)))
        .transform(RedisReplies::offIoThread)
        .onErrorResume(
            e -> {
              log.warn("A document registered by hash could not be written to Redis", e);
              return Mono.empty();
            })
        .then();
  }
}
