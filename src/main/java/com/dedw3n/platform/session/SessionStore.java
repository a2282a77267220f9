package com.dedw3n.platform.session;

import com.dedw3n.platform.RedisChannel;
import com.dedw3n.platform.SerialSink;
import com.dedw3n.platform.ThrottledLog;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;
import org.springframework.beans.factory.DisposableBean;
import org.springframework.session.ReactiveSessionRepository;
import org.springframework.session.Session;
import reactor.core.Disposable;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * The API's sessions: created at sign-in, found by their signed token, touched at most once per
 * {@code touchAfter}, ended one by one, all of a user's at once, or by their lifetimes. The session
 * records are Spring Session's (Redis with {@code REDIS_URL}, a map without); the {@link
 * SessionIndex} beside them knows each user's sessions and every session's expiry.
 *
 * <p>Reading a session never writes it: a signed-in request costs one Redis read (an HMGET of the
 * fields it needs, {@link SessionRecords}), and a write (the new expiry) happens only when {@code
 * touchAfter} has passed since the last one.
 *
 * <p>Every ended session is announced ({@link #ended()}), on every instance when there is Redis, so
 * that each closes the WebSockets the session opened.
 */
public final class SessionStore implements DisposableBean {

  private static final int RECHECKS_AT_ONCE = 16;

  private static final ThrottledLog log = new ThrottledLog(SessionStore.class);
  static final String USER_ID = "userId";
  static final String CREATED_AT = "createdAt";

  /** A session found by its token. {@code touched}: its expiry was just pushed back. */
  public record SignedIn(String id, long userId, String token, boolean touched) {}

  /** A session just created. */
  public record Issued(String id, long userId, String token, Instant expiresAt) {}

  /** Why sessions end, as counted in {@code dedw3n.sessions.ended}. */
  public enum Reason {
    SIGN_OUT,
    SIGN_OUT_EVERYWHERE,
    PASSWORD_CHANGED,
    REPLACED,
    LIMIT,
    LIFETIME,
    EXPIRED
  }

  private final ReactiveSessionRepository<Session> repository;
  private final SessionRecords records;
  private final SessionIndex index;
  private final SessionTokens tokens;
  private final SessionSettings settings;
  private final Clock clock;
  private final @Nullable RedisChannel announcements;
  private final SerialSink<String> endedHere = SerialSink.multicast();
  // the sessions this instance's open sockets and streams run under, rechecked by every sweep
  private final List<Supplier<Collection<String>>> holders = new CopyOnWriteArrayList<>();
  private final Map<String, Integer> streams = new ConcurrentHashMap<>();
  private final MeterRegistry meters;
  private final Counter created;
  private final Counter writes;
  private final AtomicLong active = new AtomicLong();
  private final Disposable sweeping;

  @SuppressWarnings("unchecked")
  SessionStore(
      ReactiveSessionRepository<? extends Session> repository,
      SessionRecords records,
      SessionIndex index,
      SessionTokens tokens,
      SessionSettings settings,
      Clock clock,
      @Nullable RedisChannel announcements,
      MeterRegistry meters) {
    // the repository only ever gets back the sessions it made
    this.repository = (ReactiveSessionRepository<Session>) repository;
    this.records = records;
    this.index = index;
    this.tokens = tokens;
    this.settings = settings;
    this.clock = clock;
    this.announcements = announcements;
    this.meters = meters;
    this.created =
        Counter.builder("dedw3n.sessions.created").description("Sessions created").register(meters);
    this.writes =
        Counter.builder("dedw3n.sessions.writes")
            .description("Session records written (creation and touches)")
            .register(meters);
    Gauge.builder("dedw3n.sessions.active", active, AtomicLong::get)
        .description("Sessions not yet ended or expired, as of the last sweep")
        .register(meters);
    if (announcements != null) {
      announcements.listen(message -> Arrays.stream(message.split(",")).forEach(this::emitEnded));
    }
    this.sweeping =
        Flux.interval(Duration.ZERO, settings.sweepInterval())
            .onBackpressureDrop()
            .concatMap(tick -> sweep().onErrorResume(e -> logged("Session sweep failed", e)))
            .subscribe();
  }

  /** Creates a session for the user; beyond {@code maxPerUser}, the user's oldest end. */
  public Mono<Issued> create(long userId) {
    return repository
        .createSession()
        .flatMap(
            session -> {
              Instant now = clock.instant();
              // as at each touch: an absolute lifetime set shorter than the idle one ends it first,
              // and its expiresAt, the store's TTL and the index say so from the start
              Duration idle = min(settings.idleTimeout(), settings.absoluteTimeout());
              session.setAttribute(USER_ID, userId);
              session.setAttribute(CREATED_AT, now.toEpochMilli());
              session.setLastAccessedTime(now);
              session.setMaxInactiveInterval(idle);
              Instant expiresAt = now.plus(idle);
              return repository
                  .save(session)
                  .doOnSuccess(done -> writes.increment())
                  .then(index.add(userId, session.getId(), now, expiresAt))
                  .then(endBeyondLimit(userId))
                  .doOnSuccess(done -> created.increment())
                  .thenReturn(
                      new Issued(session.getId(), userId, tokens.sign(session.getId()), expiresAt));
            });
  }

  /**
   * The session a token names, or empty when the token is not ours or its session has ended. Pushes
   * its expiry back when {@code touchAfter} has passed since the last time.
   */
  public Mono<SignedIn> find(String token) {
    var id = tokens.verify(token);
    if (id.isEmpty()) {
      return Mono.empty();
    }
    return records
        .find(id.get())
        .flatMap(
            found -> {
              Instant now = clock.instant();
              if (found.expiredAt(now)) {
                return Mono.empty(); // the store's own expiry, or the sweep, removes it
              }
              Instant end = found.createdAt().plus(settings.absoluteTimeout());
              if (!now.isBefore(end)) {
                return end(found.userId(), List.of(id.get()), Reason.LIFETIME).then(Mono.empty());
              }
              if (now.isBefore(found.lastAccessed().plus(settings.touchAfter()))) {
                return Mono.just(new SignedIn(id.get(), found.userId(), token, false));
              }
              return touch(id.get(), found.userId(), token, now, end);
            });
  }

  /**
   * Pushes a session's expiry back: at most once per {@code touchAfter}, so loading the whole
   * record through the repository (which writes only what changed) costs nothing that matters.
   */
  private Mono<SignedIn> touch(String id, long userId, String token, Instant now, Instant end) {
    // the idle expiry never outlives the absolute one, in the store's own TTL too
    Duration idle = min(settings.idleTimeout(), Duration.between(now, end));
    return repository
        .findById(id)
        .flatMap(
            session -> {
              session.setLastAccessedTime(now);
              session.setMaxInactiveInterval(idle);
              return repository
                  .save(session)
                  .doOnSuccess(done -> writes.increment())
                  .then(index.touch(userId, id, now.plus(idle)))
                  .thenReturn(new SignedIn(id, userId, token, true))
                  // ended (by another request, on any instance) since it was read: anonymous
                  .onErrorResume(IllegalStateException.class, ended -> Mono.empty());
            });
  }

  /** Whether the session's record exists and has not expired (read only: nothing is touched). */
  public Mono<Boolean> live(String sessionId) {
    return records.find(sessionId).filter(found -> !found.expiredAt(clock.instant())).hasElement();
  }

  /** The session id a token names, if this deployment signed it (the store is not asked). */
  public java.util.Optional<String> idOf(String token) {
    return tokens.verify(token);
  }

  /** Ends these sessions of the user, on every instance. */
  public Mono<Void> end(long userId, Collection<String> sessionIds, Reason reason) {
    if (sessionIds.isEmpty()) {
      return Mono.empty();
    }
    return Flux.fromIterable(sessionIds)
        .concatMap(repository::deleteById)
        .then(index.remove(userId, sessionIds))
        .then(Mono.fromRunnable(() -> ended(sessionIds, reason)));
  }

  /** Ends every session of the user but {@code keep} (which may be null). */
  public Mono<Void> endAll(long userId, @Nullable String keep, Reason reason) {
    return index
        .sessionsOf(userId)
        .filter(id -> !id.equals(keep))
        .collectList()
        .flatMap(ids -> end(userId, ids, reason));
  }

  /**
   * Ids of sessions that ended, on any instance (best effort: a socket may also find out later).
   */
  public Flux<String> ended() {
    return endedHere.asFlux();
  }

  public Duration idleTimeout() {
    return settings.idleTimeout();
  }

  private Mono<Void> endBeyondLimit(long userId) {
    return index
        .sessionsOf(userId)
        .collectList()
        .flatMap(
            ids -> {
              int excess = ids.size() - settings.maxPerUser();
              return excess > 0
                  ? end(userId, ids.subList(0, excess), Reason.LIMIT)
                  : Mono.<Void>empty();
            });
  }

  /**
   * Has every sweep recheck the sessions these are (an instance's open sockets): see {@link
   * #recheckHeld}.
   */
  public void recheckEverySweep(Supplier<Collection<String>> sessionIds) {
    holders.add(sessionIds);
  }

  /**
   * Completes when this session ends, as {@link #ended()} tells; while it is awaited, every sweep
   * also checks that the session still exists ({@link #recheckHeld}).
   */
  public Mono<Void> endOf(String sessionId) {
    return Mono.defer(
        () -> {
          streams.merge(sessionId, 1, Integer::sum);
          return ended()
              .onBackpressureBuffer()
              .filter(sessionId::equals)
              .next()
              .then()
              .doFinally(
                  signal -> streams.computeIfPresent(sessionId, (id, n) -> n == 1 ? null : n - 1));
        });
  }

  /**
   * Tells this instance's {@link #ended()} listeners of every held session (open sockets and
   * streams) whose record is gone: a session ended on another instance is announced once, and an
   * instance whose Redis subscription is reconnecting at that moment misses it, which left the
   * sockets of a signed-out user open there. One lookup a held session a sweep.
   */
  Mono<Void> recheckHeld() {
    Set<String> held = new HashSet<>(streams.keySet());
    holders.forEach(holder -> held.addAll(holder.get()));
    return Flux.fromIterable(held)
        .flatMap(id -> live(id).filter(live -> !live).map(gone -> id), RECHECKS_AT_ONCE)
        .doOnNext(this::emitEnded)
        .then();
  }

  /** Counts and removes what expired, then refreshes the active count. */
  private Mono<Void> sweep() {
    return index
        .takeExpired(clock.instant())
        .flatMap(
            expired ->
                Flux.fromIterable(expired)
                    .concatMap(
                        entry ->
                            repository
                                .deleteById(entry.sessionId())
                                .then(
                                    Mono.fromRunnable(
                                        () -> ended(List.of(entry.sessionId()), Reason.EXPIRED))))
                    .then())
        .then(index.count())
        .doOnNext(active::set)
        .then(recheckHeld());
  }

  private void ended(Collection<String> sessionIds, Reason reason) {
    meters
        .counter("dedw3n.sessions.ended", "reason", reason.name().toLowerCase())
        .increment(sessionIds.size());
    sessionIds.forEach(this::emitEnded);
    if (announcements != null) {
      announcements
          .publish(String.join(",", sessionIds))
          .subscribe(
              receivers -> {},
              e -> logged("Ended sessions not announced to the other instances", e).subscribe());
    }
  }

  private void emitEnded(String sessionId) {
    // emitted from any thread (request, sweep, Redis listener): serialised, never dropped
    endedHere.emit(sessionId);
  }

  private static <T> Mono<T> logged(String message, Throwable e) {
    log.warn(message, e);
    return Mono.empty();
  }

  private static Duration min(Duration a, Duration b) {
    return a.compareTo(b) <= 0 ? a : b;
  }

  @Override
  public void destroy() {
    sweeping.dispose();
    if (announcements != null) {
      announcements.close();
    }
  }
}
