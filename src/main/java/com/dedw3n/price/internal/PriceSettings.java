package com.dedw3n.price.internal;

import java.math.BigDecimal;
import java.time.Duration;
import java.time.Instant;
import java.util.Currency;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.jspecify.annotations.Nullable;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.util.StringUtils;

/**
 * How crypto prices are fetched, cached and served (defaults in application.yml, explained in the
 * README's Crypto prices section).
 *
 * @param fresh age up to which a cached price is FRESH ({@code CACHE_TTL_CRYPTO} seconds)
 * @param stale age up to which it is still served, as STALE, while a refresh runs or fails
 * @param fallback age up to which it is still served, as FALLBACK; past it the EMERGENCY rate
 * @param maxWait how long a read that has no usable price waits for a refresh before answering with
 *     the EMERGENCY rate (the refresh goes on and fills the cache)
 * @param failureCooldown after a refresh brought no price for a pair, reads of that pair neither
 *     wait nor start another refresh for this long
 * @param lockFor how long a locked quote is honoured
 * @param quoteRetention how long an expired locked quote is kept before it is deleted (a payment
 *     records the rate it charged itself)
 * @param quorum how many providers each refresh asks at once, so that an outlier can be seen
 * @param outlierMargin two answers for a pair further apart than this fraction (0.10 = 10%) are
 *     both doubted; of three or more, one further than it from their median is ignored
 * @param currencies the fiat currencies (ISO 4217) prices are kept in
 * @param coins the crypto currencies, by ticker symbol
 * @param emergencyAsOf when the emergency rates were written down (their {@code asOf})
 */
@ConfigurationProperties("dedw3n.price")
record PriceSettings(
    Duration fresh,
    Duration stale,
    Duration fallback,
    Duration maxWait,
    Duration failureCooldown,
    Duration lockFor,
    Duration quoteRetention,
    int quorum,
    BigDecimal outlierMargin,
    List<String> currencies,
    Map<String, Coin> coins,
    Instant emergencyAsOf,
    Upstream upstream,
    CoinGecko coingecko,
    CryptoCompare cryptocompare,
    CoinMarketCap coinmarketcap) {

  PriceSettings {
    // fresh is CACHE_TTL_CRYPTO with an "s" appended: "5m" there reads as 5 ms, a price fresh for
    // no time at all, so every read would start a refresh and the providers would throttle us
    if (fresh.compareTo(Duration.ofSeconds(1)) < 0 || fresh.compareTo(stale) > 0) {
      throw new IllegalStateException(
          "dedw3n.price.fresh (CACHE_TTL_CRYPTO, whole seconds such as 300) is "
              + fresh
              + ": it must be at least 1 second and at most dedw3n.price.stale ("
              + stale
              + ")");
    }
    if (fallback.compareTo(stale) < 0) {
      throw new IllegalStateException("dedw3n.price: stale must be at most fallback");
    }
    if (quorum < 1) {
      throw new IllegalStateException("dedw3n.price.quorum must be at least 1");
    }
    for (String currency : currencies) {
      if (!currency.matches("[A-Z]{3}")) {
        throw new IllegalStateException(
            "dedw3n.price.currencies: '" + currency + "' is not an upper-case ISO 4217 code");
      }
      Currency.getInstance(currency); // an unknown code fails here, at startup
    }
    for (var coin : coins.entrySet()) {
      if (!coin.getKey().matches("[A-Z0-9]{2,10}")) {
        throw new IllegalStateException(
            "dedw3n.price.coins: '" + coin.getKey() + "' is not an upper-case ticker symbol");
      }
      for (String currency : currencies) {
        BigDecimal rate = coin.getValue().emergency().get(currency);
        if (rate == null || rate.signum() <= 0) {
          // the emergency rate is the answer of last resort: every pair must have one
          throw new IllegalStateException(
              "dedw3n.price.coins."
                  + coin.getKey()
                  + ".emergency."
                  + currency
                  + " must be a positive rate");
        }
      }
    }
  }

  /** Every pair this process keeps a price for: each coin in each currency. */
  Set<PricePair> pairs() {
    Set<PricePair> pairs = new LinkedHashSet<>();
    for (String symbol : coins.keySet()) {
      for (String currency : currencies) {
        pairs.add(new PricePair(symbol, currency));
      }
    }
    return pairs;
  }

  /**
   * A crypto currency.
   *
   * @param coingeckoId CoinGecko's id ({@code bitcoin}); CoinGecko's API does not take tickers
   * @param decimals digits kept when a fiat amount is converted into this coin (8 = satoshi)
   * @param emergency the static rate per fiat currency, served when nothing better is known
   */
  record Coin(String coingeckoId, int decimals, Map<String, BigDecimal> emergency) {}

  /**
   * How every upstream call is guarded.
   *
   * @param timeout per attempt, connecting included
   * @param maxAttempts attempts per call; only transient failures (connection errors, 5xx) are
   *     tried again
   * @param backoff the first pause before another attempt, jittered by half and doubled after
   * @param defaultRetryAfter how long a provider is skipped after a 429 without Retry-After
   * @param breaker the circuit breaker of each provider
   */
  record Upstream(
      Duration timeout,
      int maxAttempts,
      Duration backoff,
      Duration defaultRetryAfter,
      Breaker breaker) {}

  /**
   * @param failures consecutive failed calls that open the breaker
   * @param openFor how long it stays open (no call at all) before half-open probes
   * @param probes calls let through while half-open; their outcome closes or re-opens it
   */
  record Breaker(int failures, Duration openFor, int probes) {}

  /**
   * @param apiKey {@code COINGECKO_API_KEY}: with it, the keyed (pro) API at {@code proBaseUrl}
   * @param demoKey the key is a free "demo" key: public base URL, demo header
   */
  record CoinGecko(
      boolean enabled,
      String baseUrl,
      String proBaseUrl,
      @Nullable String apiKey,
      boolean demoKey) {

    boolean hasKey() {
      return StringUtils.hasText(apiKey);
    }
  }

  /**
   * @param apiKey {@code CRYPTOCOMPARE_API_KEY}; without it the keyless, lower rate limit
   * @param keyRequired skip this provider when there is no key
   */
  record CryptoCompare(
      boolean enabled, String baseUrl, @Nullable String apiKey, boolean keyRequired) {

    boolean hasKey() {
      return StringUtils.hasText(apiKey);
    }
  }

  /**
   * @param apiKey {@code COINMARKETCAP_API_KEY}; CoinMarketCap has no keyless API, so without a key
   *     it is skipped
   * @param convertsPerCall currencies per request: free plans allow one {@code convert} per call
   */
  record CoinMarketCap(
      boolean enabled, String baseUrl, @Nullable String apiKey, int convertsPerCall) {

    boolean hasKey() {
      return StringUtils.hasText(apiKey);
    }
  }
}
