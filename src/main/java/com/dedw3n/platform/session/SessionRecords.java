package com.dedw3n.platform.session;

import java.time.Duration;
import java.time.Instant;
import org.springframework.session.ReactiveSessionRepository;
import org.springframework.session.Session;
import reactor.core.publisher.Mono;

/**
 * Reads what a request needs of a session record (its user, sign-in time, last touch and idle
 * interval), which is every request that carries a session: the one Redis command such a request
 * costs. Writes go through the Spring Session repository.
 */
interface SessionRecords {

  /** The fields of a live session record. */
  record Found(long userId, Instant createdAt, Instant lastAccessed, Duration maxInactive) {

    boolean expiredAt(Instant now) {
      return !now.isBefore(lastAccessed.plus(maxInactive));
    }
  }

  /** The record of this id, or empty when there is none (never made, ended, expired). */
  Mono<Found> find(String id);

  /** Through the repository itself: the in-memory map, where loading a record costs nothing. */
  static SessionRecords of(ReactiveSessionRepository<? extends Session> repository) {
    return id ->
        repository
            .findById(id)
            .mapNotNull(
                session -> {
                  Long userId = session.getAttribute(SessionStore.USER_ID);
                  Long createdAt = session.getAttribute(SessionStore.CREATED_AT);
                  return userId == null || createdAt == null
                      ? null
                      : new Found(
                          userId,
                          Instant.ofEpochMilli(createdAt),
                          session.getLastAccessedTime(),
                          session.getMaxInactiveInterval());
                });
  }
}
