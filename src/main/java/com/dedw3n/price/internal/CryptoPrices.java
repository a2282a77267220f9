package com.dedw3n.price.internal;

import com.dedw3n.platform.graphql.ApiException;
import com.dedw3n.platform.graphql.Inputs;
import com.dedw3n.platform.graphql.Money;
import com.dedw3n.price.internal.PriceConsensus.Answer;
import io.github.resilience4j.circuitbreaker.CircuitBreakerConfig;
import io.github.resilience4j.circuitbreaker.CircuitBreakerRegistry;
import io.github.resilience4j.micrometer.tagged.TaggedCircuitBreakerMetrics;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.observation.Observation;
import io.micrometer.observation.ObservationRegistry;
import io.micrometer.observation.contextpropagation.ObservationThreadLocalAccessor;
import io.netty.channel.ChannelOption;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Collection;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import org.jspecify.annotations.Nullable;
import org.springframework.http.client.reactive.ReactorClientHttpConnector;
import org.springframework.web.reactive.function.client.WebClient;
import reactor.core.publisher.Mono;
import reactor.core.publisher.Sinks;
import reactor.netty.http.client.HttpClient;
import reactor.netty.resources.ConnectionProvider;
import reactor.util.context.Context;
import reactor.util.context.ContextView;

/**
 * Crypto prices for the rest of the application: never an error, always marked with how fresh they
 * are.
 *
 * <p>Every configured coin in every configured currency is kept in one cache and refreshed
 * together, so a refresh is one request per provider whatever was asked, and any number of
 * concurrent reads share the one refresh in flight. A read of a FRESH price answers from the cache.
 * A read of a STALE or FALLBACK price also answers at once, and starts a refresh in the background
 * (stale-while-revalidate). Only a read with no usable price waits for the refresh, at most {@code
 * maxWait}; whatever is still missing then is answered with the EMERGENCY rate. After a refresh
 * brought nothing for a pair, reads of it neither wait nor refresh for {@code failureCooldown}, so
 * an outage (or no network at all) costs reads no time.
 *
 * <p>Metrics: {@code dedw3n.price.lookups}, {@code dedw3n.price.cache.reads} by tier (fresh, stale,
 * fallback, miss), {@code dedw3n.price.quotes.served} by freshness, {@code dedw3n.price.refreshes}
 * by outcome, and through {@link GuardedProvider} the per-provider calls and the breakers' states
 * ({@code resilience4j.circuitbreaker.state}).
 */
public class CryptoPrices implements AutoCloseable {

  private static final Log log = LogFactory.getLog(CryptoPrices.class);

  /** A cached price (null until one arrived) and when a refresh last failed to bring one. */
  private record Entry(
      @Nullable Answer answer, @Nullable Instant asOf, @Nullable Instant failedAt) {}

  private enum Tier {
    FRESH,
    STALE,
    FALLBACK,
    MISS
  }

  private final PriceSettings settings;
  private final Clock clock;
  private final ConnectionProvider connections;
  private final ProviderChain chain;
  private final Map<PricePair, Entry> entries = new ConcurrentHashMap<>();
  private final AtomicReference<Mono<Void>> refreshing = new AtomicReference<>();
  private final Counter lookups;
  private final Map<Tier, Counter> cacheReads = new EnumMap<>(Tier.class);
  private final Map<PriceFreshness, Counter> served = new EnumMap<>(PriceFreshness.class);
  private final MeterRegistry meters;

  CryptoPrices(
      PriceSettings settings, Clock clock, MeterRegistry meters, ObservationRegistry observations) {
    this.settings = settings;
    this.clock = clock;
    this.meters = meters;
    PriceSettings.Upstream upstream = settings.upstream();
    this.connections =
        ConnectionProvider.builder("dedw3n-prices")
            .maxConnections(16)
            .pendingAcquireMaxCount(64)
            .maxIdleTime(Duration.ofSeconds(30))
            .build();
    HttpClient http =
        HttpClient.create(connections)
            .option(
                ChannelOption.CONNECT_TIMEOUT_MILLIS,
                (int) Math.max(1, upstream.timeout().toMillis()))
            .compress(true);
    UpstreamJson json =
        new UpstreamJson(
            WebClient.builder()
                .clientConnector(new ReactorClientHttpConnector(http))
                // a span per provider call, whose traceparent the provider receives
                .observationRegistry(observations)
                .defaultHeader("User-Agent", "dedw3n-api")
                .build(),
            clock);
    CircuitBreakerRegistry breakers =
        CircuitBreakerRegistry.of(
            CircuitBreakerConfig.custom()
                // a count window as long as the threshold, opening at 100%: N failures in a row
                .slidingWindowType(CircuitBreakerConfig.SlidingWindowType.COUNT_BASED)
                .slidingWindowSize(upstream.breaker().failures())
                .minimumNumberOfCalls(upstream.breaker().failures())
                .failureRateThreshold(100)
                .waitDurationInOpenState(upstream.breaker().openFor())
                .permittedNumberOfCallsInHalfOpenState(upstream.breaker().probes())
                .ignoreExceptions(ProviderRateLimited.class)
                .clock(clock)
                .build());
    TaggedCircuitBreakerMetrics.ofCircuitBreakerRegistry(breakers).bindTo(meters);
    List<PriceProvider> providers =
        List.of(
            new CoinGeckoProvider(settings, json),
            new CryptoCompareProvider(settings, json),
            new CoinMarketCapProvider(settings, json));
    this.chain =
        new ProviderChain(
            providers.stream()
                .map(
                    p ->
                        new GuardedProvider(
                            p, breakers.circuitBreaker(p.name()), upstream, clock, meters))
                .toList(),
            settings.quorum(),
            settings.outlierMargin());
    this.lookups =
        Counter.builder("dedw3n.price.lookups")
            .description("Price lookups (one per batch of pairs, e.g. one per page of products)")
            .register(meters);
    for (Tier tier : Tier.values()) {
      cacheReads.put(
          tier,
          Counter.builder("dedw3n.price.cache.reads")
              .description("Cached prices read, by the tier they were in")
              .tag("tier", tier.name().toLowerCase(Locale.ROOT))
              .register(meters));
    }
    for (PriceFreshness freshness : PriceFreshness.values()) {
      served.put(
          freshness,
          Counter.builder("dedw3n.price.quotes.served")
              .description("Price quotes answered, by freshness")
              .tag("freshness", freshness.name())
              .register(meters));
    }
    providers.forEach(
        p -> {
          if (p.disabledReason() != null) {
            log.info("Price provider " + p.name() + " skipped: " + p.disabledReason());
          }
        });
  }

  /**
   * Checks a symbol and a currency argument (BAD_REQUEST naming the argument unless both are
   * configured) and returns the pair, upper case.
   */
  public PricePair pair(String symbolArgument, String symbol, String currency) {
    String s = Inputs.text(symbolArgument, symbol, 1, 10).toUpperCase(Locale.ROOT);
    if (!settings.coins().containsKey(s)) {
      throw ApiException.badRequest(
          symbolArgument + " must be one of " + settings.coins().keySet() + ", not '" + s + "'");
    }
    return new PricePair(s, currency(currency));
  }

  /** Checks a fiat currency argument: one of the configured ones (BAD_REQUEST otherwise). */
  String currency(String currency) {
    String c = Inputs.text("currency", currency, 1, 3).toUpperCase(Locale.ROOT);
    if (!settings.currencies().contains(c)) {
      throw ApiException.badRequest(
          "currency must be one of " + settings.currencies() + ", not '" + c + "'");
    }
    return c;
  }

  /** Whether prices are kept in this fiat currency. */
  public boolean supportsCurrency(String currency) {
    return settings.currencies().contains(currency);
  }

  /** The price of one pair (validated as by {@link #pair}). Never fails for a valid pair. */
  public Mono<PriceQuote> current(String symbol, String currency) {
    PricePair pair = pair("symbol", symbol, currency);
    return current(Set.of(pair)).map(quotes -> quotes.get(pair));
  }

  /**
   * The prices of configured pairs, in one lookup: one cache read, at most one refresh. Every pair
   * is in the answer.
   */
  public Mono<Map<PricePair, PriceQuote>> current(Collection<PricePair> pairs) {
    return Mono.deferContextual(
        caller -> {
          lookups.increment();
          Instant now = clock.instant();
          boolean refresh = false;
          boolean wait = false;
          for (PricePair pair : pairs) {
            Entry entry = entries.get(pair);
            Tier tier = tier(entry, now);
            cacheReads.get(tier).increment();
            boolean failedLately =
                entry != null
                    && entry.failedAt() != null
                    && now.isBefore(entry.failedAt().plus(settings.failureCooldown()));
            if (tier != Tier.FRESH && !failedLately) {
              refresh = true;
              // nothing usable, and no sign that waiting is in vain: wait for the refresh
              wait |= tier == Tier.MISS && (entry == null || entry.failedAt() == null);
            }
          }
          if (!refresh) {
            return Mono.just(answer(pairs));
          }
          if (!wait) {
            // answered from the cache as this read found it, before the refresh starts: a refresh
            // that finished first on another thread would make the answer depend on a race
            Map<PricePair, PriceQuote> cached = answer(pairs);
            refresh(caller);
            return Mono.just(cached);
          }
          Mono<Void> running = refresh(caller);
          return running
              .timeout(settings.maxWait(), Mono.empty())
              .then(Mono.fromSupplier(() -> answer(pairs)));
        });
  }

  /** A fiat amount in a coin, at the quote's rate. */
  public CryptoAmount convert(Money money, PriceQuote quote) {
    return new CryptoAmount(
        quote.symbol(), quote.coins(money, settings.coins().get(quote.symbol()).decimals()), quote);
  }

  /**
   * Refreshes every pair, or joins the refresh in flight: single flight. The refresh runs to its
   * end whoever stops waiting for it; the returned Mono completes when it has stored its result.
   */
  Mono<Void> refresh() {
    return refresh(Context.empty());
  }

  /**
   * The same, for a caller with this context: a refresh it starts continues its trace (its provider
   * calls are spans of the request that found the prices stale, and send its trace id).
   */
  private Mono<Void> refresh(ContextView caller) {
    Observation observation = caller.getOrDefault(ObservationThreadLocalAccessor.KEY, null);
    while (true) {
      Mono<Void> running = refreshing.get();
      if (running != null) {
        return running;
      }
      Sinks.Empty<Void> done = Sinks.empty();
      Mono<Void> mine = done.asMono();
      if (refreshing.compareAndSet(null, mine)) {
        Set<PricePair> pairs = settings.pairs();
        chain
            .prices(pairs)
            .onErrorResume(
                e -> {
                  log.error("Price refresh failed unexpectedly", e);
                  return Mono.just(Map.of());
                })
            .doOnNext(agreed -> store(pairs, agreed))
            .doFinally(
                signal -> {
                  refreshing.set(null);
                  done.tryEmitEmpty();
                })
            .contextWrite(
                context ->
                    observation == null
                        ? context
                        : context.put(ObservationThreadLocalAccessor.KEY, observation))
            .subscribe();
        return mine;
      }
    }
  }

  private void store(Set<PricePair> pairs, Map<PricePair, Answer> agreed) {
    Instant at = clock.instant();
    for (PricePair pair : pairs) {
      Answer answer = agreed.get(pair);
      if (answer != null) {
        entries.put(pair, new Entry(answer, at, null));
      } else {
        entries.compute(
            pair,
            (p, old) ->
                old == null ? new Entry(null, null, at) : new Entry(old.answer(), old.asOf(), at));
      }
    }
    String outcome =
        agreed.size() == pairs.size() ? "complete" : agreed.isEmpty() ? "failed" : "partial";
    Counter.builder("dedw3n.price.refreshes")
        .description("Refreshes of every pair from the providers, by outcome")
        .tag("outcome", outcome)
        .register(meters)
        .increment();
    if (!outcome.equals("complete")) {
      log.warn(
          "Price refresh " + outcome + ": " + agreed.size() + " of " + pairs.size() + " pairs");
    }
  }

  private Tier tier(@Nullable Entry entry, Instant now) {
    if (entry == null || entry.answer() == null) {
      return Tier.MISS;
    }
    Duration age = Duration.between(entry.asOf(), now);
    if (age.compareTo(settings.fresh()) < 0) {
      return Tier.FRESH;
    }
    if (age.compareTo(settings.stale()) < 0) {
      return Tier.STALE;
    }
    return age.compareTo(settings.fallback()) < 0 ? Tier.FALLBACK : Tier.MISS;
  }

  private Map<PricePair, PriceQuote> answer(Collection<PricePair> pairs) {
    Instant now = clock.instant();
    Map<PricePair, PriceQuote> quotes = new LinkedHashMap<>();
    for (PricePair pair : pairs) {
      Entry entry = entries.get(pair);
      Tier tier = tier(entry, now);
      PriceQuote quote =
          tier == Tier.MISS
              ? new PriceQuote(
                  pair.symbol(),
                  pair.currency(),
                  settings.coins().get(pair.symbol()).emergency().get(pair.currency()),
                  settings.emergencyAsOf().atOffset(ZoneOffset.UTC),
                  "emergency",
                  PriceFreshness.EMERGENCY)
              : new PriceQuote(
                  pair.symbol(),
                  pair.currency(),
                  entry.answer().price(),
                  entry.asOf().atOffset(ZoneOffset.UTC),
                  entry.answer().provider(),
                  PriceFreshness.valueOf(tier.name()));
      served.get(quote.freshness()).increment();
      quotes.put(pair, quote);
    }
    return quotes;
  }

  /** The providers in order, with their breakers, for the health endpoint and tests. */
  List<GuardedProvider> providers() {
    return chain.providers();
  }

  /** The refresh in flight, or an empty Mono; for tests that wait for a background refresh. */
  Mono<Void> refreshInFlight() {
    Mono<Void> running = refreshing.get();
    return running == null ? Mono.empty() : running;
  }

  /** Oldest cached price, for the health endpoint; null while nothing is cached. */
  @Nullable Instant oldestAsOf() {
    return entries.values().stream()
        .map(Entry::asOf)
        .filter(a -> a != null)
        .min(Instant::compareTo)
        .orElse(null);
  }

  /** Forgets every cached price, breaker state and Retry-After; for tests sharing one server. */
  void forget() {
    refreshInFlight().block(Duration.ofSeconds(10));
    entries.clear();
    providers().forEach(GuardedProvider::forget);
  }

  @Override
  public void close() {
    connections.dispose();
  }
}
