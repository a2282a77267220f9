package com.dedw3n.price.internal;

import java.math.BigDecimal;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Price settings for component tests, with the production defaults unless a test changes one. */
final class TestSettings {

  static final String BTC_USD_EMERGENCY = "90000";
  static final Instant EMERGENCY_AS_OF = Instant.parse("2026-11-01T00:00:00Z");

  Duration fresh = Duration.ofMinutes(5);
  Duration stale = Duration.ofMinutes(15);
  Duration fallback = Duration.ofHours(1);
  Duration maxWait = Duration.ofSeconds(3);
  Duration failureCooldown = Duration.ofSeconds(30);
  Duration lockFor = Duration.ofMinutes(15);
  int quorum = 2;
  Duration timeout = Duration.ofSeconds(2);
  int maxAttempts = 2;
  Duration backoff = Duration.ofMillis(10);
  int breakerFailures = 5;
  Duration breakerOpenFor = Duration.ofMinutes(5);
  int probes = 1;
  String coinGeckoUrl;
  String coinGeckoKey;
  boolean coinGeckoDemoKey;
  String cryptoCompareUrl;
  String cryptoCompareKey;
  String coinMarketCapUrl;
  String coinMarketCapKey = "cmc-test-key";
  int convertsPerCall = 1;
  List<String> currencies = List.of("USD", "EUR");

  TestSettings(FakeProvider coinGecko, FakeProvider cryptoCompare, FakeProvider coinMarketCap) {
    this.coinGeckoUrl = coinGecko.baseUrl();
    this.cryptoCompareUrl = cryptoCompare.baseUrl();
    this.coinMarketCapUrl = coinMarketCap.baseUrl();
  }

  TestSettings(String coinGeckoUrl, String cryptoCompareUrl, String coinMarketCapUrl) {
    this.coinGeckoUrl = coinGeckoUrl;
    this.cryptoCompareUrl = cryptoCompareUrl;
    this.coinMarketCapUrl = coinMarketCapUrl;
  }

  PriceSettings build() {
    Map<String, PriceSettings.Coin> coins = new LinkedHashMap<>();
    coins.put(
        "BTC",
        new PriceSettings.Coin(
            "bitcoin",
            8,
            Map.of("USD", new BigDecimal(BTC_USD_EMERGENCY), "EUR", new BigDecimal("78000"))));
    coins.put(
        "ETH",
        new PriceSettings.Coin(
            "ethereum", 8, Map.of("USD", new BigDecimal("3000"), "EUR", new BigDecimal("2600"))));
    return new PriceSettings(
        fresh,
        stale,
        fallback,
        maxWait,
        failureCooldown,
        lockFor,
        Duration.ofDays(30),
        quorum,
        new BigDecimal("0.10"),
        currencies,
        coins,
        EMERGENCY_AS_OF,
        new PriceSettings.Upstream(
            timeout,
            maxAttempts,
            backoff,
            Duration.ofSeconds(60),
            new PriceSettings.Breaker(breakerFailures, breakerOpenFor, probes)),
        new PriceSettings.CoinGecko(
            true, coinGeckoUrl, coinGeckoUrl, coinGeckoKey, coinGeckoDemoKey),
        new PriceSettings.CryptoCompare(true, cryptoCompareUrl, cryptoCompareKey, false),
        new PriceSettings.CoinMarketCap(true, coinMarketCapUrl, coinMarketCapKey, convertsPerCall));
  }
}
