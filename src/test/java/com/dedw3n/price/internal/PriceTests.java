package com.dedw3n.price.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.dedw3n.ApiTests;
import com.dedw3n.TestClock;
import com.dedw3n.platform.graphql.ApiException;
import com.dedw3n.platform.graphql.ErrorKind;
import io.micrometer.core.instrument.MeterRegistry;
import io.netty.channel.ChannelOption;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.TestConfiguration;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Import;
import org.springframework.http.client.reactive.ReactorClientHttpConnector;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import org.springframework.web.reactive.function.client.WebClient;
import reactor.core.publisher.Flux;
import reactor.netty.http.client.HttpClient;
import reactor.netty.resources.ConnectionProvider;

/**
 * Crypto prices through the GraphQL API, against fake providers on loopback and a clock the tests
 * move: cryptoPrice, Product.priceIn in a feed, locked quotes, the health endpoint.
 */
@Import(PriceTests.MovableClock.class)
class PriceTests extends ApiTests {

  static final FakeProvider coinGecko = new FakeProvider(FakeProvider.Api.COINGECKO);
  static final FakeProvider cryptoCompare = new FakeProvider(FakeProvider.Api.CRYPTOCOMPARE);
  static final FakeProvider coinMarketCap = new FakeProvider(FakeProvider.Api.COINMARKETCAP);

  @TestConfiguration(proxyBeanMethods = false)
  static class MovableClock {
    @Bean
    TestClock testClock() {
      return new TestClock(Instant.now().truncatedTo(ChronoUnit.MILLIS));
    }
  }

  @DynamicPropertySource
  static void fakeProviders(DynamicPropertyRegistry properties) {
    properties.add("dedw3n.price.coingecko.base-url", coinGecko::baseUrl);
    properties.add("dedw3n.price.coingecko.pro-base-url", coinGecko::baseUrl);
    properties.add("dedw3n.price.cryptocompare.base-url", cryptoCompare::baseUrl);
    properties.add("dedw3n.price.coinmarketcap.base-url", coinMarketCap::baseUrl);
    properties.add("dedw3n.price.coinmarketcap.api-key", () -> "cmc-test-key");
    properties.add("dedw3n.price.upstream.timeout", () -> "1s");
    properties.add("dedw3n.price.upstream.backoff", () -> "10ms");
  }

  @AfterAll
  static void stopFakes() {
    coinGecko.close();
    cryptoCompare.close();
    coinMarketCap.close();
  }

  @Autowired TestClock clock;
  @Autowired CryptoPrices prices;
  @Autowired PriceQuotes quotes;
  @Autowired MeterRegistry meters;

  private static boolean warm;

  @BeforeEach
  void healthyProvidersAndNothingCached() {
    if (!warm) {
      // the first GraphQL request and the first upstream call of a JVM are slow to start; paid
      // here, they cannot push a test past its 1 s upstream timeout on a busy machine
      prices("1", "1");
      for (int i = 0; i < 3; i++) {
        prices.forget();
        readBtcUsd();
      }
      warm = true;
    }
    for (FakeProvider fake : List.of(coinGecko, cryptoCompare, coinMarketCap)) {
      fake.reset();
    }
    prices("64000.50", "3000.10");
    prices.forget();
  }

  /**
   * Every provider quotes every configured pair (BTC, ETH, USDT, USDC, SOL in USD, EUR, GBP),
   * within a cent of each other: BTC and ETH at these USD prices, the others at 1 USD; EUR is 0.9
   * USD and GBP 0.8 USD.
   */
  static void prices(String btcUsd, String ethUsd) {
    coinGecko.prices(all(btcUsd, ethUsd, "0"));
    cryptoCompare.prices(all(btcUsd, ethUsd, "0.01"));
    coinMarketCap.prices(all(btcUsd, ethUsd, "-0.01"));
  }

  private static String[] all(String btcUsd, String ethUsd, String nudge) {
    Map<String, BigDecimal> usd =
        Map.of(
            "BTC", new BigDecimal(btcUsd),
            "ETH", new BigDecimal(ethUsd),
            "USDT", BigDecimal.ONE,
            "USDC", BigDecimal.ONE,
            "SOL", new BigDecimal("140"));
    Map<String, BigDecimal> rate =
        Map.of("USD", BigDecimal.ONE, "EUR", new BigDecimal("0.9"), "GBP", new BigDecimal("0.8"));
    List<String> pairs = new ArrayList<>();
    usd.forEach(
        (coin, price) ->
            rate.forEach(
                (currency, factor) -> {
                  pairs.add(coin + "/" + currency);
                  BigDecimal value = price.multiply(factor);
                  if (value.compareTo(BigDecimal.TEN) > 0) {
                    value = value.add(new BigDecimal(nudge));
                  }
                  pairs.add(value.toPlainString());
                }));
    return pairs.toArray(String[]::new);
  }

  @Test
  void cryptoPriceAnswersFreshWithAnExactDecimalPrice() {
    anonymous()
        .documentName("cryptoPrice")
        .variable("symbol", "btc")
        .variable("currency", "usd")
        .execute()
        .path("cryptoPrice.symbol")
        .entity(String.class)
        .isEqualTo("BTC")
        .path("cryptoPrice.currency")
        .entity(String.class)
        .isEqualTo("USD")
        .path("cryptoPrice.price")
        .entity(String.class)
        .isEqualTo("64000.50")
        .path("cryptoPrice.source")
        .entity(String.class)
        .isEqualTo("coingecko")
        .path("cryptoPrice.freshness")
        .entity(String.class)
        .isEqualTo("FRESH")
        .path("cryptoPrice.asOf")
        .entity(OffsetDateTime.class)
        .satisfies(asOf -> assertThat(asOf.toInstant()).isEqualTo(clock.instant()));
  }

  @Test
  void aProviderCallContinuesTheTraceOfTheRequestThatCausedIt() {
    String traceId = "4bf92f3577b34da6a3ce929d0e0e4736";
    tester(
            http()
                .mutate()
                .defaultHeader("traceparent", "00-" + traceId + "-00f067aa0ba902b7-01")
                .build())
        .documentName("cryptoPrice")
        .variable("symbol", "btc")
        .variable("currency", "usd")
        .execute()
        .path("cryptoPrice.price")
        .entity(String.class)
        .isEqualTo("64000.50");
    assertThat(coinGecko.requests())
        .isNotEmpty()
        .allSatisfy(
            request ->
                assertThat(request.headers().get("traceparent"))
                    .startsWith("00-" + traceId + "-")
                    .doesNotContain("00f067aa0ba902b7"));
  }

  @Test
  void cryptoPriceRefusesUnknownCoinsAndCurrencies() {
    for (String[] input :
        new String[][] {{"DOGE", "USD"}, {"BTC", "JPY"}, {"", "USD"}, {"BTC", "DOLLARS"}}) {
      anonymous()
          .documentName("cryptoPrice")
          .variable("symbol", input[0])
          .variable("currency", input[1])
          .execute()
          .errors()
          .expect(e -> e.getErrorType().toString().equals("BAD_REQUEST"))
          .verify();
    }
    assertThat(coinGecko.calls()).isZero();
  }

  @Test
  void concurrentGraphQlReadsCostOneRequestPerProvider() {
    // 1,000 concurrent reads are proven at the service (CryptoPricesTests). Through HTTP, 250 reads
    // on 64 connections overlap the refresh as well, without 1,000 simultaneous connects
    // overflowing the accept backlog of a busy 2-core machine (SYN retries cost whole seconds).
    int reads = 250;
    coinGecko.delay(Duration.ofMillis(100));
    cryptoCompare.delay(Duration.ofMillis(100));
    ConnectionProvider pool =
        ConnectionProvider.builder("price-test")
            .maxConnections(64)
            .pendingAcquireMaxCount(-1)
            .build();
    WebClient client =
        WebClient.builder()
            .clientConnector(
                new ReactorClientHttpConnector(
                    HttpClient.create(pool).option(ChannelOption.CONNECT_TIMEOUT_MILLIS, 10_000)))
            .baseUrl("http://localhost:" + port)
            .build();
    String query = "{cryptoPrice(symbol:\"BTC\",currency:\"USD\"){price freshness}}";
    List<String> answers;
    try {
      answers =
          Flux.range(0, reads)
              .flatMap(
                  i ->
                      client
                          .post()
                          .uri("/graphql")
                          .bodyValue(Map.of("query", query))
                          .retrieve()
                          .bodyToMono(Map.class)
                          // the data: extensions.cost reports each caller's own budget
                          .map(body -> String.valueOf(body.get("data"))),
                  reads)
              .collectList()
              .block(Duration.ofSeconds(60));
    } finally {
      pool.dispose();
    }
    assertThat(answers).hasSize(reads);
    // all from the one refresh (whichever providers answered it in time on a busy machine)
    assertThat(Set.copyOf(answers)).hasSize(1);
    assertThat(answers.get(0)).contains("freshness=FRESH");
    assertThat(coinGecko.calls()).isEqualTo(1);
    assertThat(cryptoCompare.calls()).isEqualTo(1);
    // asked only for pairs in doubt (a slow answer on a busy machine): one request per currency
    // (two here), and one retry of a transient failure
    assertThat(coinMarketCap.calls()).isLessThanOrEqualTo(3);
  }

  @Test
  void aSlowPrimaryKeepsGraphQlLatencyWithinTheTimeout() {
    coinGecko.delay(Duration.ofSeconds(3));
    long start = System.nanoTime();
    anonymous()
        .documentName("cryptoPrice")
        .variable("symbol", "ETH")
        .variable("currency", "EUR")
        .execute()
        .path("cryptoPrice.source")
        .entity(String.class)
        .isEqualTo("cryptocompare")
        .path("cryptoPrice.freshness")
        .entity(String.class)
        .isEqualTo("FRESH");
    Duration took = Duration.ofNanos(System.nanoTime() - start);
    // the 1 s timeout, then the third provider for a second opinion; never the 3 s
    assertThat(took).isLessThan(Duration.ofMillis(2500));
  }

  @Test
  void aFeedOfFiftyProductsInBitcoinCostsOnePriceLookup() {
    String category = "crypto-" + UUID.randomUUID().toString().substring(0, 8);
    seedProducts(category, 50);
    double lookups = meters.counter("dedw3n.price.lookups").count();
    long statementsBefore = statements.total();

    var response =
        anonymous()
            .documentName("productFeedInCrypto")
            .variable("category", category)
            .variable("crypto", "BTC")
            .execute();

    assertThat(meters.counter("dedw3n.price.lookups").count() - lookups).isEqualTo(1);
    assertThat(statements.total() - statementsBefore).isLessThanOrEqualTo(2);
    assertThat(coinGecko.calls()).isEqualTo(1);
    response.path("products.edges").entityList(Object.class).hasSize(50);
    List<String> currencies =
        response
            .path("products.edges[*].node.priceIn.quote.currency")
            .entityList(String.class)
            .get();
    assertThat(currencies).contains("USD", "EUR").hasSize(50);
    // the newest, p50, costs 50.00 EUR: 50 / (64000.50 * 0.9), rounded up to 8 decimals
    assertThat(currencies.get(0)).isEqualTo("EUR");
    String expected =
        new BigDecimal("50.00")
            .divide(new BigDecimal("57600.450"), 8, RoundingMode.UP)
            .toPlainString();
    response
        .path("products.edges[0].node.priceIn.amount")
        .entity(String.class)
        .isEqualTo(expected)
        .path("products.edges[0].node.priceIn.symbol")
        .entity(String.class)
        .isEqualTo("BTC");
  }

  @Test
  void aProductPricedInACurrencyWithoutRatesHasNoPriceInCoins() {
    String category = "crypto-" + UUID.randomUUID().toString().substring(0, 8);
    seedProducts(category, 1);
    db.sql("UPDATE products SET price_currency = 'JPY' WHERE category = $1")
        .bind(0, category)
        .then()
        .block();
    anonymous()
        .documentName("productFeedInCrypto")
        .variable("category", category)
        .variable("crypto", "BTC")
        .execute()
        .errors()
        .expect(
            e -> e.getErrorType().toString().equals("NOT_FOUND") && e.getMessage().contains("JPY"))
        .verify()
        .path("products.edges[0].node.title")
        .entity(String.class)
        .isEqualTo("p1");
  }

  @Test
  void aLockedQuoteIsHonouredUntilItExpiresEvenWhilePricesMove() {
    Client buyer = signUp("Buyer");
    String id =
        buyer
            .graphQl()
            .documentName("lockPriceQuote")
            .variable("symbol", "BTC")
            .variable("currency", "USD")
            .execute()
            .path("lockPriceQuote.quote.price")
            .entity(String.class)
            .isEqualTo("64000.50")
            .path("lockPriceQuote.expiresAt")
            .entity(OffsetDateTime.class)
            .satisfies(
                expires ->
                    assertThat(expires.toInstant())
                        .isEqualTo(clock.instant().plus(Duration.ofMinutes(15))))
            .path("lockPriceQuote.id")
            .entity(String.class)
            .get();

    prices("71000", "3300"); // the market moves
    clock.advance(Duration.ofMinutes(6));
    readBtcUsd(); // STALE, and a refresh starts
    prices.refreshInFlight().block(Duration.ofSeconds(10));
    assertThat(readBtcUsd()).isEqualTo("71000");

    buyer
        .graphQl()
        .documentName("priceQuote")
        .variable("id", id)
        .execute()
        .path("priceQuote.quote.price")
        .entity(String.class)
        .isEqualTo("64000.50")
        .path("priceQuote.quote.freshness")
        .entity(String.class)
        .isEqualTo("FRESH");
    long buyerId = Long.parseLong(buyer.id());
    assertThat(quotes.honour(Long.parseLong(id), buyerId).block().quote().price())
        .isEqualByComparingTo("64000.50");

    clock.advance(Duration.ofMinutes(9)); // 15 minutes after locking
    buyer
        .graphQl()
        .documentName("priceQuote")
        .variable("id", id)
        .execute()
        .errors()
        .expect(
            e ->
                e.getErrorType().toString().equals("CONFLICT")
                    && e.getMessage().contains("expired"))
        .verify();
    assertThatThrownBy(() -> quotes.honour(Long.parseLong(id), buyerId).block())
        .isInstanceOfSatisfying(
            ApiException.class, e -> assertThat(e.kind()).isEqualTo(ErrorKind.CONFLICT));
  }

  @Test
  void quotesAreLockedAndReadByTheirBuyerOnly() {
    Client buyer = signUp("Buyer");
    Client other = signUp("Other");
    String id =
        buyer
            .graphQl()
            .documentName("lockPriceQuote")
            .variable("symbol", "ETH")
            .variable("currency", "EUR")
            .execute()
            .path("lockPriceQuote.id")
            .entity(String.class)
            .get();

    anonymous()
        .documentName("lockPriceQuote")
        .variable("symbol", "ETH")
        .variable("currency", "EUR")
        .execute()
        .errors()
        .expect(e -> e.getErrorType().toString().equals("UNAUTHORIZED"))
        .verify();
    anonymous()
        .documentName("priceQuote")
        .variable("id", id)
        .execute()
        .errors()
        .expect(e -> e.getErrorType().toString().equals("UNAUTHORIZED"))
        .verify();
    for (var attempt : List.of(Map.entry(other, id), Map.entry(buyer, "987654321"))) {
      attempt
          .getKey()
          .graphQl()
          .documentName("priceQuote")
          .variable("id", attempt.getValue())
          .execute()
          .errors()
          .expect(e -> e.getErrorType().toString().equals("NOT_FOUND"))
          .verify();
    }
    buyer
        .graphQl()
        .documentName("priceQuote")
        .variable("id", "not-an-id")
        .execute()
        .errors()
        .expect(e -> e.getErrorType().toString().equals("BAD_REQUEST"))
        .verify();
    long before = quotesOf(buyer);
    buyer
        .graphQl()
        .documentName("lockPriceQuote")
        .variable("symbol", "NOPE")
        .variable("currency", "EUR")
        .execute()
        .errors()
        .expect(e -> e.getErrorType().toString().equals("BAD_REQUEST"))
        .verify();
    assertThat(quotesOf(buyer)).isEqualTo(before);
  }

  @Test
  void theHealthEndpointShowsEachProvidersBreaker() {
    readBtcUsd();
    health()
        .jsonPath("$.components.prices.status")
        .isEqualTo("UP")
        .jsonPath("$.components.prices.details.providers.coingecko.state")
        .isEqualTo("CLOSED")
        .jsonPath("$.components.prices.details.providers.coinmarketcap.state")
        .isEqualTo("CLOSED")
        .jsonPath("$.components.prices.details.degraded")
        .isEqualTo(false);

    CryptoPricesTests.breaker(prices, "coingecko").transitionToOpenState();
    health()
        .jsonPath("$.components.prices.details.providers.coingecko.state")
        .isEqualTo("OPEN")
        .jsonPath("$.components.prices.details.providers.cryptocompare.state")
        .isEqualTo("CLOSED");
    assertThat(
            meters
                .find("resilience4j.circuitbreaker.state")
                .tags("name", "coingecko", "state", "open")
                .gauge()
                .value())
        .isEqualTo(1.0);
    assertThat(
            meters
                .find("dedw3n.price.provider.calls")
                .tags("provider", "coingecko", "outcome", "success")
                .timer()
                .count())
        .isPositive();
  }

  private org.springframework.test.web.reactive.server.WebTestClient.BodyContentSpec health() {
    return http().get().uri("/actuator/health").exchange().expectStatus().isOk().expectBody();
  }

  private String readBtcUsd() {
    return anonymous()
        .documentName("cryptoPrice")
        .variable("symbol", "BTC")
        .variable("currency", "USD")
        .execute()
        .path("cryptoPrice.price")
        .entity(String.class)
        .get();
  }

  private long quotesOf(Client buyer) {
    return db.sql("SELECT count(*) FROM price_quotes WHERE buyer_id = $1")
        .bind(0, Long.parseLong(buyer.id()))
        .map(r -> r.get(0, Long.class))
        .one()
        .block();
  }

  /** n products by one seller, p1..pn costing 1.00..n.00, every fifth in EUR, the rest in USD. */
  private void seedProducts(String category, int n) {
    Client seller = signUp("Seller");
    db.sql(
            "INSERT INTO products (seller_id, category, title, price_amount, price_currency, stock,"
                + " created_at) SELECT $1, $2, 'p' || g, 100 * g, CASE WHEN g % 5 = 0 THEN 'EUR'"
                + " ELSE 'USD' END, 1, now() - interval '1 minute' * ($3 - g)"
                + " FROM generate_series(1, $3) g")
        .bind(0, Long.parseLong(seller.id()))
        .bind(1, category)
        .bind(2, n)
        .then()
        .block();
  }
}
