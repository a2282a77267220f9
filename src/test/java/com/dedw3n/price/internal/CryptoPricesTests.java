package com.dedw3n.price.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.dedw3n.TestClock;
import com.dedw3n.platform.graphql.Money;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.micrometer.observation.ObservationRegistry;
import java.math.BigDecimal;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Flux;

/**
 * The price service against fake providers over real HTTP on loopback, with a clock moved by hand:
 * single flight, tiers, rate limits, breakers, timeouts and the rejection of bad prices.
 */
class CryptoPricesTests {

  static FakeProvider coinGecko;
  static FakeProvider cryptoCompare;
  static FakeProvider coinMarketCap;

  final TestClock clock = new TestClock(Instant.parse("2026-11-28T10:00:00Z"));
  final SimpleMeterRegistry meters = new SimpleMeterRegistry();
  final List<CryptoPrices> opened = new ArrayList<>();

  @BeforeAll
  static void startFakes() {
    coinGecko = new FakeProvider(FakeProvider.Api.COINGECKO);
    cryptoCompare = new FakeProvider(FakeProvider.Api.CRYPTOCOMPARE);
    coinMarketCap = new FakeProvider(FakeProvider.Api.COINMARKETCAP);
  }

  /**
   * The first HTTP call of a JVM loads and compiles a great deal; made here, it cannot push a
   * timing test past its timeouts on a busy machine.
   */
  @BeforeAll
  static void warmUp() {
    coinGecko.prices("BTC/USD", "1", "BTC/EUR", "1", "ETH/USD", "1", "ETH/EUR", "1");
    cryptoCompare.prices("BTC/USD", "1", "BTC/EUR", "1", "ETH/USD", "1", "ETH/EUR", "1");
    TestClock clock = new TestClock(Instant.parse("2026-01-01T00:00:00Z"));
    try (CryptoPrices prices =
        new CryptoPrices(
            new TestSettings(coinGecko, cryptoCompare, coinMarketCap).build(),
            clock,
            new SimpleMeterRegistry(),
            ObservationRegistry.NOOP)) {
      for (int i = 0; i < 3; i++) {
        prices.refresh().block(Duration.ofSeconds(30));
      }
    }
  }

  @AfterAll
  static void stopFakes() {
    coinGecko.close();
    cryptoCompare.close();
    coinMarketCap.close();
  }

  @BeforeEach
  void healthyProviders() {
    for (FakeProvider fake : List.of(coinGecko, cryptoCompare, coinMarketCap)) {
      fake.reset();
    }
    coinGecko.prices(
        "BTC/USD", "64000.50", "BTC/EUR", "59000.25", "ETH/USD", "3000.10", "ETH/EUR", "2760.05");
    cryptoCompare.prices(
        "BTC/USD", "64010.00", "BTC/EUR", "59010.00", "ETH/USD", "3001.00", "ETH/EUR", "2761.00");
    coinMarketCap.prices(
        "BTC/USD", "63990.00", "BTC/EUR", "58990.00", "ETH/USD", "2999.00", "ETH/EUR", "2759.00");
  }

  @AfterEach
  void closePrices() {
    opened.forEach(CryptoPrices::close);
  }

  CryptoPrices prices() {
    return prices(settings -> {});
  }

  CryptoPrices prices(Consumer<TestSettings> change) {
    TestSettings settings = new TestSettings(coinGecko, cryptoCompare, coinMarketCap);
    change.accept(settings);
    CryptoPrices prices =
        new CryptoPrices(settings.build(), clock, meters, ObservationRegistry.NOOP);
    opened.add(prices);
    return prices;
  }

  static PriceQuote btcUsd(CryptoPrices prices) {
    return prices.current("BTC", "USD").block(Duration.ofSeconds(10));
  }

  static void settle(CryptoPrices prices) {
    prices.refreshInFlight().block(Duration.ofSeconds(10));
  }

  /**
   * CACHE_TTL_CRYPTO is whole seconds, appended with "s": "5m" would read as 5 ms, a price never
   * fresh, refreshed on every read until the providers throttle. The server refuses to start,
   * naming the variable.
   */
  @Test
  void aFreshnessUnderASecondOrBeyondStaleStopsTheServerNamingTheVariable() {
    for (Duration fresh : List.of(Duration.ofMillis(5), Duration.ofMinutes(16))) {
      TestSettings settings = new TestSettings(coinGecko, cryptoCompare, coinMarketCap);
      settings.fresh = fresh;
      assertThatThrownBy(settings::build)
          .isInstanceOf(IllegalStateException.class)
          .hasMessageContaining("CACHE_TTL_CRYPTO")
          .hasMessageContaining(fresh.toString());
    }
  }

  // 1
  @Test
  void aThousandConcurrentReadsShareOneUpstreamCallPerProvider() {
    CryptoPrices prices = prices();
    // slow enough that every read arrives while the first refresh is still in flight
    coinGecko.delay(Duration.ofMillis(200));
    cryptoCompare.delay(Duration.ofMillis(200));
    List<PricePair> pairs =
        List.of(
            new PricePair("BTC", "USD"),
            new PricePair("ETH", "USD"),
            new PricePair("BTC", "EUR"),
            new PricePair("ETH", "EUR"));

    List<PriceQuote> quotes =
        Flux.range(0, 1000)
            .flatMap(
                i -> {
                  PricePair pair = pairs.get(i % pairs.size());
                  return prices.current(pair.symbol(), pair.currency());
                },
                1000)
            .collectList()
            .block(Duration.ofSeconds(20));

    assertThat(quotes).hasSize(1000);
    assertThat(quotes).allMatch(q -> q.freshness() == PriceFreshness.FRESH);
    assertThat(quotes).allMatch(q -> q.source().equals("coingecko"));
    // one refresh: one request to each of the quorum of two, for every coin and currency at once
    assertThat(coinGecko.calls()).isEqualTo(1);
    assertThat(cryptoCompare.calls()).isEqualTo(1);
    assertThat(coinMarketCap.calls()).isZero(); // the two agreed: no third opinion needed
    assertThat(coinGecko.requests().get(0).param("ids")).isEqualTo("bitcoin,ethereum");
    assertThat(coinGecko.requests().get(0).param("vs_currencies")).isEqualTo("usd,eur");
    assertThat(meters.counter("dedw3n.price.refreshes", "outcome", "complete").count())
        .isEqualTo(1);
  }

  // 2
  @Test
  void aRateLimitedPrimaryIsNotAskedAgainUntilItsRetryAfterHasPassed() {
    CryptoPrices prices = prices(s -> s.fresh = Duration.ofSeconds(10));
    coinGecko.answers(429, Map.of("Retry-After", "60"), "{\"status\":{\"error_code\":429}}");

    PriceQuote first = btcUsd(prices);
    assertThat(first.source()).isEqualTo("cryptocompare");
    assertThat(first.price()).isEqualByComparingTo("64010.00");
    assertThat(first.freshness()).isEqualTo(PriceFreshness.FRESH);
    assertThat(coinGecko.calls()).isEqualTo(1); // a 429 is not retried

    for (int seconds = 15; seconds < 60; seconds += 15) {
      clock.advance(Duration.ofSeconds(15)); // past fresh: each read starts a refresh
      btcUsd(prices);
      settle(prices);
      assertThat(btcUsd(prices).source()).isEqualTo("cryptocompare");
    }
    assertThat(coinGecko.calls()).isEqualTo(1);
    assertThat(cryptoCompare.calls()).isEqualTo(4);

    coinGecko.healthy();
    clock.advance(Duration.ofSeconds(16)); // 61 s after the 429
    btcUsd(prices);
    settle(prices);
    assertThat(coinGecko.calls()).isEqualTo(2);
    assertThat(btcUsd(prices).source()).isEqualTo("coingecko");
    assertThat(
            meters
                .timer(
                    "dedw3n.price.provider.calls",
                    "provider",
                    "coingecko",
                    "outcome",
                    "rate_limited")
                .count())
        .isEqualTo(1);
    // the breaker did not count the 429 as a failure
    assertThat(breaker(prices, "coingecko").getMetrics().getNumberOfFailedCalls()).isZero();
  }

  @Test
  void aRetryAfterGivenAsAnHttpDateIsHonouredToo() {
    CryptoPrices prices = prices(s -> s.fresh = Duration.ofSeconds(10));
    coinGecko.answers(429, Map.of("Retry-After", "Sat, 28 Nov 2026 10:02:00 GMT"), "{}");
    btcUsd(prices);
    coinGecko.healthy();
    clock.advance(Duration.ofSeconds(100));
    btcUsd(prices);
    settle(prices);
    assertThat(coinGecko.calls()).isEqualTo(1);
    clock.advance(Duration.ofSeconds(21)); // 10:02:01
    btcUsd(prices);
    settle(prices);
    assertThat(coinGecko.calls()).isEqualTo(2);
  }

  // 3
  @Test
  void withEveryProviderDownTheCachedPriceIsServedStaleThenFallbackThenEmergency() {
    CryptoPrices prices = prices();
    PriceQuote fresh = btcUsd(prices);
    assertThat(fresh.freshness()).isEqualTo(PriceFreshness.FRESH);
    for (FakeProvider fake : List.of(coinGecko, cryptoCompare, coinMarketCap)) {
      fake.answers(503, Map.of(), "{}");
    }

    clock.advance(Duration.ofMinutes(6));
    PriceQuote stale = btcUsd(prices); // answers at once, refreshes in the background
    settle(prices);
    assertThat(stale.freshness()).isEqualTo(PriceFreshness.STALE);
    assertThat(stale.price()).isEqualTo(fresh.price());
    assertThat(stale.asOf()).isEqualTo(fresh.asOf());
    assertThat(stale.source()).isEqualTo("coingecko");
    assertThat(coinGecko.calls()).isEqualTo(3); // the first call, then one retried 503
    assertThat(btcUsd(prices).freshness()).isEqualTo(PriceFreshness.STALE);

    clock.advance(Duration.ofMinutes(10)); // 16 min
    PriceQuote fallback = btcUsd(prices);
    settle(prices);
    assertThat(fallback.freshness()).isEqualTo(PriceFreshness.FALLBACK);
    assertThat(fallback.price()).isEqualTo(fresh.price());

    clock.advance(Duration.ofMinutes(44)); // 60 min
    PriceQuote emergency = btcUsd(prices);
    settle(prices);
    assertThat(emergency.freshness()).isEqualTo(PriceFreshness.EMERGENCY);
    assertThat(emergency.source()).isEqualTo("emergency");
    assertThat(emergency.price()).isEqualByComparingTo(TestSettings.BTC_USD_EMERGENCY);
    assertThat(emergency.asOf().toInstant()).isEqualTo(TestSettings.EMERGENCY_AS_OF);

    for (FakeProvider fake : List.of(coinGecko, cryptoCompare, coinMarketCap)) {
      fake.healthy();
    }
    clock.advance(Duration.ofMinutes(1)); // past the failure cool-down: a refresh is tried
    btcUsd(prices);
    settle(prices);
    assertThat(btcUsd(prices).freshness()).isEqualTo(PriceFreshness.FRESH);
    assertThat(meters.counter("dedw3n.price.cache.reads", "tier", "stale").count()).isEqualTo(2);
    assertThat(meters.counter("dedw3n.price.quotes.served", "freshness", "EMERGENCY").count())
        .isEqualTo(2);
  }

  // 4
  @Test
  void theBreakerOpensAfterFiveFailuresProbesAfterTheWaitAndClosesOnSuccess() {
    CryptoPrices prices = prices();
    CircuitBreaker breaker = breaker(prices, "coingecko");
    List<String> transitions = new CopyOnWriteArrayList<>();
    breaker
        .getEventPublisher()
        .onStateTransition(e -> transitions.add(e.getStateTransition().name()));
    coinGecko.answers(500, Map.of(), "{}");

    for (int i = 1; i <= 5; i++) {
      prices.refresh().block(Duration.ofSeconds(10));
      assertThat(coinGecko.calls()).isEqualTo(2 * i); // each call retried once
    }
    assertThat(breaker.getState()).isEqualTo(CircuitBreaker.State.OPEN);
    assertThat(btcUsd(prices).source()).isEqualTo("cryptocompare"); // the others answer
    assertThat(
            meters
                .find("resilience4j.circuitbreaker.state")
                .tags("name", "coingecko", "state", "open")
                .gauge()
                .value())
        .isEqualTo(1.0);

    clock.advance(Duration.ofMinutes(4));
    prices.refresh().block(Duration.ofSeconds(10));
    assertThat(coinGecko.calls()).isEqualTo(10); // open: not called at all

    coinGecko.healthy();
    clock.advance(Duration.ofMinutes(1).plusSeconds(1)); // the 5 minutes are over
    prices.refresh().block(Duration.ofSeconds(10));
    assertThat(coinGecko.calls()).isEqualTo(11); // the probe
    assertThat(breaker.getState()).isEqualTo(CircuitBreaker.State.CLOSED);
    assertThat(transitions)
        .containsExactly("CLOSED_TO_OPEN", "OPEN_TO_HALF_OPEN", "HALF_OPEN_TO_CLOSED");
  }

  @Test
  void aFailedProbeOpensTheBreakerAgain() {
    CryptoPrices prices = prices();
    CircuitBreaker breaker = breaker(prices, "coingecko");
    coinGecko.answers(500, Map.of(), "{}");
    for (int i = 0; i < 5; i++) {
      prices.refresh().block(Duration.ofSeconds(10));
    }
    clock.advance(Duration.ofMinutes(5).plusSeconds(1));
    prices.refresh().block(Duration.ofSeconds(10));
    assertThat(coinGecko.calls()).isEqualTo(12);
    assertThat(breaker.getState()).isEqualTo(CircuitBreaker.State.OPEN);
    prices.refresh().block(Duration.ofSeconds(10));
    assertThat(coinGecko.calls()).isEqualTo(12);
  }

  // 5
  @Test
  void aSlowProviderTimesOutAndAnotherAnswersWithinTheTimeout() {
    CryptoPrices prices = prices(s -> s.timeout = Duration.ofSeconds(1));
    coinGecko.delay(Duration.ofSeconds(3));

    long start = System.nanoTime();
    PriceQuote quote = btcUsd(prices);
    Duration took = Duration.ofNanos(System.nanoTime() - start);

    assertThat(quote.freshness()).isEqualTo(PriceFreshness.FRESH);
    assertThat(quote.source()).isEqualTo("cryptocompare");
    // bounded by the 1 s timeout (and a quick second opinion), never by the 3 s
    assertThat(took).isLessThan(Duration.ofMillis(2500)).isGreaterThan(Duration.ofMillis(950));
    assertThat(
            meters
                .timer("dedw3n.price.provider.calls", "provider", "coingecko", "outcome", "failure")
                .count())
        .isEqualTo(1);
    assertThat(coinGecko.calls()).isEqualTo(1); // a timeout is not retried
  }

  /**
   * CoinMarketCap's free plan takes one request per currency, one after the other: each has the
   * timeout, where the whole fetch had one request's and timed out on answers each in time.
   */
  @Test
  void eachOfCoinMarketCapsRequestsHasTheTimeout() {
    CryptoPrices prices = prices(s -> s.timeout = Duration.ofMillis(700));
    coinGecko.answers(404, Map.of(), "{}"); // not retried: CoinMarketCap is asked at once
    coinMarketCap.delay(Duration.ofMillis(450)); // two currencies: 900 ms in all

    assertThat(btcUsd(prices).freshness()).isEqualTo(PriceFreshness.FRESH);
    assertThat(coinMarketCap.calls()).isEqualTo(2);
    assertThat(
            meters
                .timer(
                    "dedw3n.price.provider.calls",
                    "provider",
                    "coinmarketcap",
                    "outcome",
                    "success")
                .count())
        .isEqualTo(1);
  }

  // 6
  @Test
  void malformedJsonIsAFailureAndTheOthersPriceIsServed() {
    CryptoPrices prices = prices();
    coinGecko.answers(200, Map.of(), "{\"bitcoin\":{\"usd\":64000.5");
    PriceQuote quote = btcUsd(prices);
    assertThat(quote.source()).isEqualTo("cryptocompare");
    assertThat(quote.price()).isEqualByComparingTo("64010.00");
    assertThat(coinMarketCap.calls()).isEqualTo(2); // asked for a second opinion, per currency
    assertThat(
            meters
                .timer("dedw3n.price.provider.calls", "provider", "coingecko", "outcome", "failure")
                .count())
        .isEqualTo(1);
  }

  @Test
  void aMissingSymbolIsAFailureForThatSymbolOnly() {
    CryptoPrices prices = prices();
    coinGecko.prices("BTC/EUR", "59000.25", "ETH/USD", "3000.10", "ETH/EUR", "2760.05");
    Map<PricePair, PriceQuote> quotes = all(prices);
    assertThat(quotes.get(new PricePair("BTC", "USD")).source()).isEqualTo("cryptocompare");
    assertThat(quotes.get(new PricePair("ETH", "USD")).source()).isEqualTo("coingecko");
    // the third provider was asked only for what was short
    assertThat(coinMarketCap.requests()).hasSize(1);
    assertThat(coinMarketCap.requests().get(0).param("symbol")).isEqualTo("BTC");
    assertThat(coinMarketCap.requests().get(0).param("convert")).isEqualTo("USD");
    assertThat(rejected("coingecko", "missing")).isEqualTo(1);
  }

  @Test
  void zeroNegativeAndNonNumericPricesAreNeverServed() {
    CryptoPrices prices = prices();
    coinGecko.prices(
        "BTC/USD", "0", "BTC/EUR", "-59000", "ETH/USD", "\"3000.10\"", "ETH/EUR", "2760.05");
    Map<PricePair, PriceQuote> quotes = all(prices);
    assertThat(quotes.get(new PricePair("BTC", "USD")).price()).isEqualByComparingTo("64010.00");
    assertThat(quotes.get(new PricePair("BTC", "EUR")).price()).isEqualByComparingTo("59010.00");
    assertThat(quotes.get(new PricePair("ETH", "USD")).price()).isEqualByComparingTo("3001.00");
    assertThat(quotes.get(new PricePair("ETH", "EUR")).source()).isEqualTo("coingecko");
    assertThat(quotes.values()).allMatch(q -> q.price().signum() > 0);
    assertThat(rejected("coingecko", "not a positive number")).isEqualTo(3);
  }

  @Test
  void anOutlierPriceIsIgnoredInFavourOfTheOthersMedian() {
    CryptoPrices prices = prices();
    coinGecko.prices(
        "BTC/USD", "128000", "BTC/EUR", "59000.25", "ETH/USD", "3000.10", "ETH/EUR", "2760.05");
    Map<PricePair, PriceQuote> quotes = all(prices);
    assertThat(quotes.get(new PricePair("BTC", "USD")).source()).isEqualTo("cryptocompare");
    assertThat(quotes.get(new PricePair("BTC", "USD")).price()).isEqualByComparingTo("64010.00");
    assertThat(quotes.get(new PricePair("BTC", "EUR")).source()).isEqualTo("coingecko");
    assertThat(coinMarketCap.calls()).isEqualTo(1); // the third opinion, for BTC/USD only
    assertThat(rejected("coingecko", "outlier")).isEqualTo(1);
  }

  /**
   * 18.7 % apart: the median of two (their mean) is within 10 % of each, so a median's test passed
   * both, and the first provider's wrong price was served FRESH with no third opinion.
   */
  @Test
  void twoAnswersFurtherApartThanTheMarginAskTheThird() {
    CryptoPrices prices = prices();
    coinGecko.prices(
        "BTC/USD", "76000", "BTC/EUR", "59000.25", "ETH/USD", "3000.10", "ETH/EUR", "2760.05");
    Map<PricePair, PriceQuote> quotes = all(prices);
    assertThat(quotes.get(new PricePair("BTC", "USD")).source()).isEqualTo("cryptocompare");
    assertThat(quotes.get(new PricePair("BTC", "USD")).price()).isEqualByComparingTo("64010.00");
    assertThat(coinMarketCap.calls()).isEqualTo(1);
    assertThat(rejected("coingecko", "outlier")).isEqualTo(1);
  }

  @Test
  void twoProvidersThatDisagreeWithNoThirdToAskServeNeither() {
    CryptoPrices prices = prices(s -> s.coinMarketCapKey = null); // skipped without its key
    coinGecko.prices("BTC/USD", "128000", "BTC/EUR", "59000.25");
    PriceQuote quote = btcUsd(prices);
    assertThat(quote.freshness()).isEqualTo(PriceFreshness.EMERGENCY);
    assertThat(coinMarketCap.calls()).isZero();
  }

  @Test
  void eachProviderIsAskedAsItsApiDocumentsWithItsKey() {
    CryptoPrices prices =
        prices(
            s -> {
              s.quorum = 3;
              s.coinGeckoKey = "cg-key";
              s.cryptoCompareKey = "cc-key";
            });
    all(prices);
    var gecko = coinGecko.requests().get(0);
    assertThat(gecko.path()).isEqualTo("/api/v3/simple/price");
    assertThat(gecko.headers()).containsEntry("x-cg-pro-api-key", "cg-key");
    var compare = cryptoCompare.requests().get(0);
    assertThat(compare.path()).isEqualTo("/data/pricemulti");
    assertThat(compare.param("fsyms")).isEqualTo("BTC,ETH");
    assertThat(compare.param("tsyms")).isEqualTo("USD,EUR");
    assertThat(compare.headers()).containsEntry("authorization", "Apikey cc-key");
    assertThat(coinMarketCap.requests()).hasSize(2); // one convert per call on free plans
    for (var cmc : coinMarketCap.requests()) {
      assertThat(cmc.path()).isEqualTo("/v2/cryptocurrency/quotes/latest");
      assertThat(cmc.param("symbol")).isEqualTo("BTC,ETH");
      assertThat(cmc.param("skip_invalid")).isEqualTo("true");
      assertThat(cmc.headers()).containsEntry("x-cmc_pro_api_key", "cmc-test-key");
    }
    assertThat(coinMarketCap.requests().stream().map(r -> r.param("convert")))
        .containsExactly("USD", "EUR");
  }

  @Test
  void aDemoKeyGoesToThePublicApiWithTheDemoHeader() {
    CryptoPrices prices =
        prices(
            s -> {
              s.coinGeckoKey = "demo-key";
              s.coinGeckoDemoKey = true;
            });
    btcUsd(prices);
    assertThat(coinGecko.requests().get(0).headers())
        .containsEntry("x-cg-demo-api-key", "demo-key")
        .doesNotContainKey("x-cg-pro-api-key");
  }

  @Test
  void withNoProviderReachableEmergencyRatesAnswerAtOnce() {
    // nothing listens on these ports: every connection is refused, as without network
    String closed = "http://127.0.0.1:9";
    TestSettings settings = new TestSettings(closed, closed, closed);
    CryptoPrices prices =
        new CryptoPrices(settings.build(), clock, meters, ObservationRegistry.NOOP);
    opened.add(prices);

    PriceQuote first = btcUsd(prices);
    assertThat(first.freshness()).isEqualTo(PriceFreshness.EMERGENCY);
    long start = System.nanoTime();
    for (int i = 0; i < 100; i++) {
      assertThat(btcUsd(prices).freshness()).isEqualTo(PriceFreshness.EMERGENCY);
    }
    assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofMillis(1000));
  }

  @Test
  void providersThatNeverAnswerCostOnlyTheFirstReadItsWait() {
    // connections are accepted, answers never come: the worst kind of outage
    coinGecko.delay(Duration.ofSeconds(30));
    cryptoCompare.delay(Duration.ofSeconds(30));
    coinMarketCap.delay(Duration.ofSeconds(30));
    CryptoPrices prices = prices(s -> s.timeout = Duration.ofMillis(300));

    long start = System.nanoTime();
    assertThat(btcUsd(prices).freshness()).isEqualTo(PriceFreshness.EMERGENCY);
    // two rounds of 300 ms timeouts, then the EMERGENCY rate
    assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofMillis(2000));
    start = System.nanoTime();
    for (int i = 0; i < 100; i++) {
      assertThat(btcUsd(prices).freshness()).isEqualTo(PriceFreshness.EMERGENCY);
    }
    assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofMillis(1000));
  }

  @Test
  void aProductPriceConvertsIntoCoinsRoundedUpToTheCoinsDecimals() {
    CryptoPrices prices = prices();
    PriceQuote quote = btcUsd(prices); // 64000.50 USD per BTC
    CryptoAmount amount = prices.convert(new Money(1999, "USD"), quote);
    // 19.99 / 64000.50 = 0.000312341... rounded up to 8 decimals
    assertThat(amount.amount()).isEqualTo(new BigDecimal("0.00031235"));
    assertThat(amount.symbol()).isEqualTo("BTC");
  }

  @Test
  void aCurrencyWithoutAnEmergencyRateForEveryCoinStopsTheServerFromStarting() {
    TestSettings settings = new TestSettings(coinGecko, cryptoCompare, coinMarketCap);
    settings.currencies = List.of("USD", "EUR", "GBP");
    assertThatThrownBy(settings::build)
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("dedw3n.price.coins.BTC.emergency.GBP");
  }

  Map<PricePair, PriceQuote> all(CryptoPrices prices) {
    return prices
        .current(
            Set.of(
                new PricePair("BTC", "USD"),
                new PricePair("BTC", "EUR"),
                new PricePair("ETH", "USD"),
                new PricePair("ETH", "EUR")))
        .block(Duration.ofSeconds(10));
  }

  double rejected(String provider, String reason) {
    return meters
        .counter("dedw3n.price.provider.rejected", "provider", provider, "reason", reason)
        .count();
  }

  static CircuitBreaker breaker(CryptoPrices prices, String provider) {
    return prices.providers().stream()
        .filter(p -> p.name().equals(provider))
        .findFirst()
        .orElseThrow()
        .breaker();
  }
}
