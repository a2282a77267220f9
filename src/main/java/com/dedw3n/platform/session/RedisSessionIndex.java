package com.dedw3n.platform.session;

import java.time.Instant;
import java.util.Collection;
import java.util.List;
import org.springframework.data.domain.Range;
import org.springframework.data.redis.connection.Limit;
import org.springframework.data.redis.core.ReactiveStringRedisTemplate;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * The session index in Redis: one sorted set per user ({@code <prefix>user:<id>}, session ids by
 * sign-in time) and one of every session by expiry ({@code <prefix>expiry}, members {@code
 * <user>:<session>}). The sweep removes an expired member with ZREM, whose answer tells exactly one
 * instance that it was the one to remove it.
 */
final class RedisSessionIndex implements SessionIndex {

  private static final int SWEEP_BATCH = 1000;

  private final ReactiveStringRedisTemplate redis;
  private final String prefix;
  private final String expiryKey;

  RedisSessionIndex(ReactiveStringRedisTemplate redis, String prefix) {
    this.redis = redis;
    this.prefix = prefix;
    this.expiryKey = prefix + "expiry";
  }

  @Override
  public Mono<Void> add(long userId, String sessionId, Instant createdAt, Instant expiresAt) {
    return redis
        .opsForZSet()
        .add(userKey(userId), sessionId, createdAt.toEpochMilli())
        .then(
            redis.opsForZSet().add(expiryKey, member(userId, sessionId), expiresAt.toEpochMilli()))
        .then();
  }

  @Override
  public Mono<Void> touch(long userId, String sessionId, Instant expiresAt) {
    return redis
        .opsForZSet()
        .add(expiryKey, member(userId, sessionId), expiresAt.toEpochMilli())
        .then();
  }

  @Override
  public Mono<Void> remove(long userId, Collection<String> sessionIds) {
    if (sessionIds.isEmpty()) {
      return Mono.empty();
    }
    Object[] members = sessionIds.stream().map(id -> member(userId, id)).toArray();
    return redis
        .opsForZSet()
        .remove(userKey(userId), sessionIds.toArray())
        .then(redis.opsForZSet().remove(expiryKey, members))
        .then();
  }

  @Override
  public Flux<String> sessionsOf(long userId) {
    return redis.opsForZSet().range(userKey(userId), Range.unbounded());
  }

  @Override
  public Mono<List<Entry>> takeExpired(Instant now) {
    return redis
        .opsForZSet()
        .rangeByScore(
            expiryKey,
            Range.closed(Double.NEGATIVE_INFINITY, (double) now.toEpochMilli()),
            Limit.limit().count(SWEEP_BATCH))
        .concatMap(
            member ->
                redis
                    .opsForZSet()
                    .remove(expiryKey, member)
                    .filter(removed -> removed == 1)
                    .map(removed -> entry(member)))
        .concatMap(
            entry ->
                redis
                    .opsForZSet()
                    .remove(userKey(entry.userId()), entry.sessionId())
                    .thenReturn(entry))
        .collectList();
  }

  @Override
  public Mono<Long> count() {
    return redis.opsForZSet().size(expiryKey);
  }

  private String userKey(long userId) {
    return prefix + "user:" + userId;
  }

  private static String member(long userId, String sessionId) {
    return userId + ":" + sessionId;
  }

  private static Entry entry(String member) {
    int colon = member.indexOf(':');
    return new Entry(Long.parseLong(member.substring(0, colon)), member.substring(colon + 1));
  }
}
