package com.dedw3n.platform.partner;

import com.github.benmanes.caffeine.cache.AsyncCache;
import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import io.r2dbc.spi.Readable;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.util.Arrays;
import java.util.Base64;
import java.util.Collection;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import org.jspecify.annotations.Nullable;
import org.springframework.r2dbc.core.DatabaseClient;
import org.springframework.stereotype.Component;
import org.springframework.transaction.reactive.TransactionalOperator;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * The partners table and their API keys. A key is {@code dpk_} and 32 random bytes (base64url);
 * only its SHA-256 is stored, so the table alone (a backup, a replica) gives no usable key. A
 * partner has at most two live keys: rotating adds a new one while the old keeps working until it
 * is revoked (or until a third rotation ends it).
 *
 * <p>Requests find their partner by key through a short cache ({@code dedw3n.partners.cache-for},
 * 10 s), so a revoked key is refused on every instance within that time.
 */
@Component
public class Partners {

  /** How every partner key starts: tells it apart from a session token in the same header. */
  public static final String KEY_PREFIX = "dpk_";

  static final int LIVE_KEYS = 2;
  private static final SecureRandom random = new SecureRandom();

  /** A partner as the operator command lists it. */
  public record Listing(Partner partner, List<String> livePrefixes, OffsetDateTime createdAt) {}

  /** A key just made: shown once, never stored. */
  public record IssuedKey(Partner partner, String key) {}

  private final DatabaseClient db;
  private final TransactionalOperator transactions;
  private final AsyncCache<String, Lookup> byKeyHash;
  private final Duration lookupTimeout;

  /** Hashes of the keys this instance found live in the last day (see {@link #known}). */
  private final Cache<String, Boolean> foundLive =
      Caffeine.newBuilder().expireAfterWrite(Duration.ofDays(1)).maximumSize(10_000).build();

  /**
   * What a key's lookup found: its partner, none, or the failure of the lookup. A failure is a
   * value rather than a failed future, which Caffeine would log with its whole stack trace every
   * time, during an outage once for each new key; it is never kept.
   */
  private record Lookup(@Nullable Partner partner, @Nullable Throwable failure) {
    static final Lookup NONE = new Lookup(null, null);
  }

  Partners(DatabaseClient db, TransactionalOperator transactions, PartnerSettings settings) {
    this.db = db;
    this.transactions = transactions;
    this.lookupTimeout = settings.lookupTimeout();
    this.byKeyHash =
        Caffeine.newBuilder()
            .expireAfterWrite(settings.cacheFor())
            .maximumSize(10_000)
            .buildAsync();
  }

  /** Whether a credential has the form of a partner key (the table decides whether it is live). */
  public static boolean isKey(@Nullable String credential) {
    return credential != null && credential.startsWith(KEY_PREFIX);
  }

  /**
   * Whether this instance knows the key: it holds the key's lookup (done or under way, so {@link
   * #byKey} asks the database nothing), or found the key live within the last day (its lookup is
   * made again when the cache forgets it, for revocations, and is no guess).
   */
  public boolean known(String key) {
    String hash = Base64.getEncoder().encodeToString(sha256(key));
    return byKeyHash.getIfPresent(hash) != null || foundLive.getIfPresent(hash) != null;
  }

  /**
   * The partner of a live key; empty for an unknown or revoked one. Concurrent requests with one
   * key share one lookup, which a request that goes away does not cancel for the others; a lookup
   * that failed is dropped from the cache, so the next request asks the database again.
   */
  public Mono<Partner> byKey(String key) {
    String hash = Base64.getEncoder().encodeToString(sha256(key));
    return Mono.defer(
        () -> {
          CompletableFuture<Lookup> lookup =
              byKeyHash.get(
                  hash,
                  (ignored, executor) ->
                      find(sha256(key))
                          .map(partner -> new Lookup(partner, null))
                          .defaultIfEmpty(Lookup.NONE)
                          .onErrorResume(e -> Mono.just(new Lookup(null, e)))
                          .toFuture());
          return Mono.fromFuture(lookup, true)
              .flatMap(
                  found -> {
                    if (found.failure() != null) {
                      byKeyHash.asMap().remove(hash, lookup);
                      return Mono.error(found.failure());
                    }
                    if (found.partner() != null) {
                      foundLive.put(hash, Boolean.TRUE);
                    }
                    return Mono.justOrEmpty(found.partner());
                  });
        });
  }

  private Mono<Partner> find(byte[] keyHash) {
    return db.sql(
            "SELECT p.id, p.name, p.allowed_operations, p.cost_capacity, p.cost_refill_per_second"
                + " FROM partner_keys k JOIN partners p ON p.id = k.partner_id"
                + " WHERE k.key_hash = $1 AND k.revoked_at IS NULL")
        .bind(0, keyHash)
        .map(Partners::partner)
        .one()
        // a TimeoutException: an outage (503 with Retry-After), and the failed lookup leaves the
        // cache, so the next request asks again rather than joining a lookup that never ends
        .timeout(lookupTimeout);
  }

  /** Creates a partner with its first key. */
  public Mono<IssuedKey> create(
      String name, Collection<String> operationIds, long capacity, long refillPerSecond) {
    return db.sql(
            "INSERT INTO partners (name, allowed_operations, cost_capacity, cost_refill_per_second)"
                + " VALUES ($1, $2, $3, $4)"
                + " RETURNING id, name, allowed_operations, cost_capacity, cost_refill_per_second")
        .bind(0, name)
        .bind(1, operationIds.stream().distinct().toArray(String[]::new))
        .bind(2, capacity)
        .bind(3, refillPerSecond)
        .map(Partners::partner)
        .one()
        .flatMap(partner -> issueKey(partner).map(key -> new IssuedKey(partner, key)))
        .as(transactions::transactional);
  }

  /** A new key for the partner; its oldest live keys beyond two are revoked. */
  public Mono<IssuedKey> rotate(String name) {
    return named(name)
        .flatMap(
            partner ->
                issueKey(partner)
                    .flatMap(
                        key ->
                            db.sql(
                                    "UPDATE partner_keys SET revoked_at = now() WHERE id IN ("
                                        + "SELECT id FROM partner_keys WHERE partner_id = $1 AND"
                                        + " revoked_at IS NULL ORDER BY created_at DESC, id DESC"
                                        + " OFFSET $2)")
                                .bind(0, partner.id())
                                .bind(1, LIVE_KEYS)
                                .then()
                                .thenReturn(new IssuedKey(partner, key))))
        .as(transactions::transactional)
        .doOnSuccess(issued -> byKeyHash.synchronous().invalidateAll());
  }

  /** Revokes the partner's live keys that start with this prefix; how many were revoked. */
  public Mono<Long> revoke(String name, String keyPrefix) {
    return named(name)
        .flatMap(
            partner ->
                db.sql(
                        "UPDATE partner_keys SET revoked_at = now() WHERE partner_id = $1 AND"
                            + " revoked_at IS NULL AND key_prefix = $2")
                    .bind(0, partner.id())
                    .bind(1, keyPrefix)
                    .fetch()
                    .rowsUpdated())
        .doOnSuccess(revoked -> byKeyHash.synchronous().invalidateAll());
  }

  /** Replaces the operations the partner may call. */
  public Mono<Partner> allow(String name, Collection<String> operationIds) {
    return db.sql(
            "UPDATE partners SET allowed_operations = $2 WHERE name = $1"
                + " RETURNING id, name, allowed_operations, cost_capacity, cost_refill_per_second")
        .bind(0, name)
        .bind(1, operationIds.stream().distinct().toArray(String[]::new))
        .map(Partners::partner)
        .one()
        .switchIfEmpty(Mono.error(() -> new IllegalArgumentException("No partner named " + name)))
        .as(transactions::transactional)
        .doOnSuccess(partner -> byKeyHash.synchronous().invalidateAll());
  }

  /** Every partner with the prefixes of its live keys. */
  public Flux<Listing> list() {
    return db.sql(
            "SELECT p.id, p.name, p.allowed_operations, p.cost_capacity, p.cost_refill_per_second,"
                + " p.created_at, array_remove(array_agg(k.key_prefix ORDER BY k.created_at), NULL)"
                + " AS live FROM partners p LEFT JOIN partner_keys k ON k.partner_id = p.id AND"
                + " k.revoked_at IS NULL GROUP BY p.id ORDER BY p.name")
        .map(
            row ->
                new Listing(
                    partner(row),
                    List.of(row.get("live", String[].class)),
                    row.get("created_at", OffsetDateTime.class)))
        .all();
  }

  private Mono<Partner> named(String name) {
    return db.sql(
            "SELECT id, name, allowed_operations, cost_capacity, cost_refill_per_second"
                + " FROM partners WHERE name = $1")
        .bind(0, name)
        .map(Partners::partner)
        .one()
        .switchIfEmpty(Mono.error(() -> new IllegalArgumentException("No partner named " + name)));
  }

  private Mono<String> issueKey(Partner partner) {
    byte[] secret = new byte[32];
    random.nextBytes(secret);
    String key = KEY_PREFIX + Base64.getUrlEncoder().withoutPadding().encodeToString(secret);
    return db.sql("INSERT INTO partner_keys (partner_id, key_hash, key_prefix) VALUES ($1, $2, $3)")
        .bind(0, partner.id())
        .bind(1, sha256(key))
        .bind(2, key.substring(0, KEY_PREFIX.length() + 8))
        .then()
        .thenReturn(key);
  }

  private static Partner partner(Readable row) {
    String[] allowed = row.get("allowed_operations", String[].class);
    return new Partner(
        row.get("id", Long.class),
        row.get("name", String.class),
        // Set.copyOf: a record stored with an id twice (allowed before duplicates were dropped)
        // must still be read, not fail every lookup of the partner's keys
        allowed == null ? Set.of() : Set.copyOf(Arrays.asList(allowed)),
        row.get("cost_capacity", Long.class),
        row.get("cost_refill_per_second", Long.class));
  }

  private static byte[] sha256(String key) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(key.getBytes(StandardCharsets.UTF_8));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
