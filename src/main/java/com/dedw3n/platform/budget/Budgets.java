package com.dedw3n.platform.budget;

import com.dedw3n.platform.RedisReplies;
import com.dedw3n.platform.graphql.ApiException;
import com.dedw3n.platform.graphql.ErrorKind;
import io.github.bucket4j.BucketConfiguration;
import io.github.bucket4j.ConsumptionProbe;
import io.github.bucket4j.TimeMeter;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.github.resilience4j.circuitbreaker.CircuitBreakerConfig;
import io.github.resilience4j.reactor.circuitbreaker.operator.CircuitBreakerOperator;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.EnumSet;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import org.jspecify.annotations.Nullable;
import org.springframework.beans.factory.DisposableBean;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.core.env.Environment;
import org.springframework.dao.DuplicateKeyException;
import org.springframework.stereotype.Component;
import org.springframework.util.StringUtils;
import reactor.core.publisher.Mono;

/**
 * The spending budgets of callers: query cost per user, partner or client address, and tighter ones
 * for what attackers and spammers use (sign-in and sign-up attempts, messages, posts...). Each is a
 * leaky bucket (Bucket4j): it holds a capacity of tokens and regains them at a steady rate.
 *
 * <p>With Redis ({@code REDIS_URL}) the buckets live there, so N instances do not give a caller N
 * budgets. Redis never holds a request up: a command that has not answered within {@code
 * dedw3n.budgets.redis-timeout}, or Redis being down, falls back to this instance's own buckets,
 * and after repeated failures the budgets stay in memory for {@code redis-retry} before Redis is
 * tried again (a circuit breaker). Health reports which store is in use.
 *
 * <p>Time comes from the application's {@link Clock} when there is exactly one (tests move theirs),
 * so the buckets refill with it.
 */
@Component
public class Budgets implements DisposableBean {

  private static final Log log = LogFactory.getLog(Budgets.class);

  /** The outcome of taking tokens; {@link #giveBack} returns some of them to the same bucket. */
  public record Spent(
      String key,
      BudgetSettings.Rate rate,
      boolean allowed,
      long remaining,
      long retryAfterSeconds,
      BucketStore store) {}

  private final BudgetSettings settings;
  private final LocalBuckets local;
  private final @Nullable RedisBuckets redis;
  private final CircuitBreaker redisBreaker;
  private final Map<BudgetSettings.Rate, BucketConfiguration> configurations =
      new ConcurrentHashMap<>();
  private final Map<BudgetSettings.Rate, String> suffixes = new ConcurrentHashMap<>();
  private final MeterRegistry meters;
  private final Counter fallbacks;

  Budgets(
      BudgetSettings settings,
      ObjectProvider<Clock> clock,
      Environment environment,
      MeterRegistry meters) {
    this.settings = settings;
    this.meters = meters;
    TimeMeter time = new ClockTime(clock.getIfUnique(Clock::systemUTC));
    this.local = new LocalBuckets(time, 200_000);
    String url = environment.getProperty("spring.data.redis.url");
    boolean redisEnabled = environment.getProperty("dedw3n.redis.enabled", Boolean.class, false);
    this.redis =
        settings.enabled() && redisEnabled && StringUtils.hasText(url)
            ? new RedisBuckets(
                url,
                settings.redisKeyPrefix(),
                settings.redisTimeout(),
                settings.redisRetry(),
                time)
            : null;
    this.redisBreaker =
        CircuitBreaker.of(
            "budgets-redis",
            CircuitBreakerConfig.custom()
                .slidingWindowType(CircuitBreakerConfig.SlidingWindowType.COUNT_BASED)
                .slidingWindowSize(10)
                .minimumNumberOfCalls(3)
                .failureRateThreshold(50)
                .waitDurationInOpenState(settings.redisRetry())
                .permittedNumberOfCallsInHalfOpenState(1)
                .build());
    this.fallbacks =
        Counter.builder("dedw3n.budget.fallbacks")
            .description("Budget operations served from memory because Redis did not answer")
            .register(meters);
  }

  /** Whether budgets are enforced at all. */
  public boolean enabled() {
    return settings.enabled();
  }

  /** The query-cost budget of a kind of caller. */
  public BudgetSettings.Rate costRate(Payer payer) {
    return switch (payer.kind()) {
      case USER -> settings.userCost();
      case PARTNER -> payer.rate() != null ? payer.rate() : settings.partnerCost();
      case ADDRESS -> settings.anonymousCost();
    };
  }

  /**
   * {@link #take} at once when the buckets are in memory (no Redis): the spending, or null when it
   * has to go to Redis (then use {@link #take}).
   */
  public @Nullable Spent takeNow(String key, BudgetSettings.Rate rate, long tokens) {
    if (redis != null) {
      return null;
    }
    return spent(key, rate, local.takeNow(stored(key, rate), configuration(rate), tokens), local);
  }

  /**
   * Takes {@code tokens} from the bucket {@code key} (its rate decides its capacity and refill).
   * Never fails: a refusal is a {@link Spent} that is not {@code allowed}.
   */
  public Mono<Spent> take(String key, BudgetSettings.Rate rate, long tokens) {
    BucketConfiguration configuration = configuration(rate);
    String stored = stored(key, rate);
    // memory answers at once: no future to adapt (and tokens are taken on subscription only)
    Mono<Spent> fromMemory =
        Mono.fromSupplier(
            () -> spent(key, rate, local.takeNow(stored, configuration, tokens), local));
    if (redis == null) {
      return fromMemory;
    }
    return Mono.fromFuture(() -> redis.take(stored, configuration, tokens))
        .timeout(settings.redisTimeout())
        .transformDeferred(CircuitBreakerOperator.of(redisBreaker))
        // after the timeout and the breaker: a wait for a parallel thread is not Redis's slowness
        .transform(RedisReplies::offIoThread)
        .map(probe -> spent(key, rate, probe, redis))
        .onErrorResume(
            e -> {
              fallbacks.increment();
              return fromMemory;
            });
  }

  /** Returns tokens to the bucket they were taken from, without waiting for it. */
  public void giveBack(Spent spent, long tokens) {
    if (tokens <= 0) {
      return;
    }
    if (spent.store() == local) {
      local.giveBack(stored(spent.key(), spent.rate()), configuration(spent.rate()), tokens);
      return;
    }
    Mono.fromFuture(
            () ->
                spent
                    .store()
                    .giveBack(
                        stored(spent.key(), spent.rate()), configuration(spent.rate()), tokens))
        .timeout(settings.redisTimeout())
        .subscribe(
            ignored -> {}, e -> log.debug("Tokens not given back to " + spent.key() + ": " + e));
  }

  /**
   * Takes one token of the action's budget for {@code subject} (a user id, an address, an account),
   * or fails with RATE_LIMITED naming the budget and when to retry. Returns the spending, so that
   * an attempt that turns out legitimate can be given back.
   */
  public Mono<Spent> spend(Action action, String subject) {
    if (!settings.enabled()) {
      return Mono.empty();
    }
    BudgetSettings.Rate rate = action.rate(settings);
    String whose = action.perClientAddress() ? AddressSubjects.of(subject) : subject;
    return take(action.key() + ":" + whose, rate, 1)
        .flatMap(
            spent -> {
              if (spent.allowed()) {
                return Mono.just(spent);
              }
              refused(action.key());
              return Mono.error(
                  ApiException.rateLimited(
                      "Too many "
                          + action.what()
                          + ": at most "
                          + rate.capacity()
                          + " at once and "
                          + rate.refill()
                          + " per "
                          + describe(rate.per())
                          + ". Retry in "
                          + spent.retryAfterSeconds()
                          + " s.",
                      spent.retryAfterSeconds()));
            });
  }

  /**
   * One of a signed-in user's budgeted writes (a message, a comment...): {@code write} runs with
   * the user's id when the budget allows it, RATE_LIMITED otherwise. A write refused without
   * changing anything, by answering nothing (no such post, not a member of the conversation) or
   * with BAD_REQUEST, FORBIDDEN, NOT_FOUND or CONFLICT, or on a unique key, gives its token back: a
   * comment on no post, a second review of one product, or a message sent again with its
   * idempotency key costs nothing. Other failures (a timeout, a lost connection) keep it, since the
   * write may have been stored.
   */
  public <T> Mono<T> spendAs(Action action, long userId, Function<Long, Mono<T>> write) {
    return spend(action, Long.toString(userId))
        .map(Optional::of)
        .defaultIfEmpty(Optional.empty())
        .flatMap(
            spent -> {
              Runnable refund = () -> spent.ifPresent(taken -> giveBack(taken, 1));
              return write
                  .apply(userId)
                  .switchIfEmpty(Mono.fromRunnable(refund))
                  .doOnError(
                      e -> {
                        // a unique key refused the insert (a retried send answered its stored
                        // message): rolled back, nothing new stored
                        if (e instanceof DuplicateKeyException
                            || (e instanceof ApiException refused
                                && REFUSALS_THAT_CHANGE_NOTHING.contains(refused.kind()))) {
                          refund.run();
                        }
                      });
            });
  }

  private static final Set<ErrorKind> REFUSALS_THAT_CHANGE_NOTHING =
      EnumSet.of(
          ErrorKind.BAD_REQUEST, ErrorKind.FORBIDDEN, ErrorKind.NOT_FOUND, ErrorKind.CONFLICT);

  /** Counts a refusal by budget. */
  public void refused(String budget) {
    Counter.builder("dedw3n.budget.refused")
        .description("Requests refused because a budget was spent")
        .tag("budget", budget)
        .register(meters)
        .increment();
  }

  /** Which store serves the budgets now: "redis", "memory", or "memory (Redis unreachable)". */
  public Map<String, Object> health() {
    if (!settings.enabled()) {
      return Map.of("enabled", false);
    }
    if (redis == null) {
      return Map.of("enabled", true, "store", "memory");
    }
    boolean usingRedis = redis.connected() && redisBreaker.getState() != CircuitBreaker.State.OPEN;
    return Map.of(
        "enabled",
        true,
        "store",
        usingRedis ? "redis" : "memory (Redis unreachable: each instance keeps its own)",
        "redis",
        redis.connected() ? "connected" : "down",
        "redisBreaker",
        redisBreaker.getState().name());
  }

  private Spent spent(
      String key, BudgetSettings.Rate rate, ConsumptionProbe probe, BucketStore store) {
    long wait = probe.isConsumed() ? 0 : probe.getNanosToWaitForRefill();
    long seconds =
        wait <= 0
            ? 0
            : wait >= Long.MAX_VALUE / 2
                ? Long.MAX_VALUE / 2
                : TimeUnit.NANOSECONDS.toSeconds(wait - 1) + 1;
    return new Spent(key, rate, probe.isConsumed(), probe.getRemainingTokens(), seconds, store);
  }

  /**
   * Where a budget's bucket is stored: its key and its rate. A bucket keeps the rate it was created
   * with (Bucket4j applies a configuration only to a new bucket, and Redis renews a bucket's expiry
   * at every use), so under the key alone a changed setting, or a partner's new budget, never
   * reached a caller who kept spending: an account under attack kept the old sign-in budget after
   * the operator lowered it. A new rate starts a new bucket, full; the old one expires unused.
   */
  private String stored(String key, BudgetSettings.Rate rate) {
    return key
        + suffixes.computeIfAbsent(
            rate, r -> "@" + r.capacity() + "/" + r.refill() + "/" + r.per().toMillis());
  }

  private BucketConfiguration configuration(BudgetSettings.Rate rate) {
    return configurations.computeIfAbsent(
        rate,
        r ->
            BucketConfiguration.builder()
                .addLimit(limit -> limit.capacity(r.capacity()).refillGreedy(r.refill(), r.per()))
                .build());
  }

  private static String describe(Duration per) {
    if (per.equals(Duration.ofSeconds(1))) {
      return "second";
    }
    if (per.equals(Duration.ofMinutes(1))) {
      return "minute";
    }
    if (per.equals(Duration.ofHours(1))) {
      return "hour";
    }
    return per.toString().substring(2).toLowerCase(java.util.Locale.ROOT);
  }

  @Override
  public void destroy() {
    if (redis != null) {
      redis.close();
    }
  }

  /** Bucket4j's time from the application clock. */
  private record ClockTime(Clock clock) implements TimeMeter {
    @Override
    public long currentTimeNanos() {
      Instant now = clock.instant();
      return now.getEpochSecond() * 1_000_000_000L + now.getNano();
    }

    @Override
    public boolean isWallClockBased() {
      return true;
    }
  }
}
