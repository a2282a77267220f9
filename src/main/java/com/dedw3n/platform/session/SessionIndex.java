package com.dedw3n.platform.session;

import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * Which sessions a user holds (oldest first) and when each expires: what the per-user limit, "sign
 * out everywhere" and the expiry count need, and the Spring Session repositories do not offer. In
 * Redis ({@link RedisSessionIndex}) when sessions live there, in memory otherwise.
 */
interface SessionIndex {

  /** One session of one user. */
  record Entry(long userId, String sessionId) {}

  Mono<Void> add(long userId, String sessionId, Instant createdAt, Instant expiresAt);

  Mono<Void> touch(long userId, String sessionId, Instant expiresAt);

  Mono<Void> remove(long userId, Collection<String> sessionIds);

  /** The user's sessions, oldest first. */
  Flux<String> sessionsOf(long userId);

  /**
   * Removes the entries expired by {@code now} and returns them; with several instances sweeping,
   * each entry is returned to exactly one.
   */
  Mono<List<Entry>> takeExpired(Instant now);

  /** Sessions not yet swept away. */
  Mono<Long> count();

  /** One instance alone: plain maps under one lock (sign-ins and sign-outs are rare). */
  final class InMemory implements SessionIndex {

    private final Map<Long, LinkedHashMap<String, Instant>> byUser = new HashMap<>();
    private final Map<Entry, Instant> expiry = new HashMap<>();

    @Override
    public synchronized Mono<Void> add(
        long userId, String sessionId, Instant createdAt, Instant expiresAt) {
      byUser.computeIfAbsent(userId, u -> new LinkedHashMap<>()).put(sessionId, createdAt);
      expiry.put(new Entry(userId, sessionId), expiresAt);
      return Mono.empty();
    }

    @Override
    public synchronized Mono<Void> touch(long userId, String sessionId, Instant expiresAt) {
      expiry.computeIfPresent(new Entry(userId, sessionId), (entry, old) -> expiresAt);
      return Mono.empty();
    }

    @Override
    public synchronized Mono<Void> remove(long userId, Collection<String> sessionIds) {
      var sessions = byUser.get(userId);
      for (String id : sessionIds) {
        expiry.remove(new Entry(userId, id));
        if (sessions != null) {
          sessions.remove(id);
        }
      }
      if (sessions != null && sessions.isEmpty()) {
        byUser.remove(userId);
      }
      return Mono.empty();
    }

    @Override
    public synchronized Flux<String> sessionsOf(long userId) {
      var sessions = byUser.get(userId);
      return sessions == null ? Flux.empty() : Flux.fromIterable(List.copyOf(sessions.keySet()));
    }

    @Override
    public synchronized Mono<List<Entry>> takeExpired(Instant now) {
      List<Entry> expired = new ArrayList<>();
      for (var e : expiry.entrySet()) {
        if (!e.getValue().isAfter(now)) {
          expired.add(e.getKey());
        }
      }
      for (Entry entry : expired) {
        remove(entry.userId(), List.of(entry.sessionId()));
      }
      return Mono.just(expired);
    }

    @Override
    public synchronized Mono<Long> count() {
      return Mono.just((long) expiry.size());
    }
  }
}
