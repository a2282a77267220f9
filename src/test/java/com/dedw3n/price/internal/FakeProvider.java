package com.dedw3n.price.internal;

import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.QueryStringDecoder;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Function;
import java.util.stream.Collectors;
import reactor.core.publisher.Mono;
import reactor.netty.DisposableServer;
import reactor.netty.http.server.HttpServer;

/**
 * A price provider's API faked on a loopback port, over real HTTP: it answers the provider's
 * documented request with the provider's documented JSON built from the prices it is given (the raw
 * JSON text of each, so a test can send {@code 0}, {@code -1} or {@code "abc"}), or with whatever
 * status, headers, body or delay a test sets. It counts and records every request.
 */
final class FakeProvider implements AutoCloseable {

  enum Api {
    COINGECKO,
    CRYPTOCOMPARE,
    COINMARKETCAP
  }

  /** One request as it arrived. */
  record Request(String path, Map<String, List<String>> query, Map<String, String> headers) {

    String param(String name) {
      List<String> values = query.get(name);
      return values == null ? null : values.get(0);
    }
  }

  /** An answer other than the prices. */
  record Reply(int status, Map<String, String> headers, String body) {}

  static final Map<String, String> COINGECKO_IDS =
      Map.of(
          "BTC", "bitcoin",
          "ETH", "ethereum",
          "USDT", "tether",
          "USDC", "usd-coin",
          "SOL", "solana");

  private final Api api;
  private final DisposableServer server;
  private final List<Request> requests = new CopyOnWriteArrayList<>();
  private volatile Map<String, String> prices = new LinkedHashMap<>();
  private volatile Function<Request, Reply> reply;
  private volatile Duration delay = Duration.ZERO;

  FakeProvider(Api api) {
    this.api = api;
    this.server =
        HttpServer.create()
            .host("127.0.0.1")
            .port(0)
            .handle(
                (request, response) -> {
                  QueryStringDecoder uri = new QueryStringDecoder(request.uri());
                  Map<String, String> headers = new LinkedHashMap<>();
                  request
                      .requestHeaders()
                      .forEach(h -> headers.put(h.getKey().toLowerCase(Locale.ROOT), h.getValue()));
                  Request seen = new Request(uri.path(), uri.parameters(), headers);
                  requests.add(seen);
                  Function<Request, Reply> custom = reply;
                  Reply answer =
                      custom != null ? custom.apply(seen) : new Reply(200, Map.of(), render(seen));
                  response.status(HttpResponseStatus.valueOf(answer.status()));
                  answer.headers().forEach(response::header);
                  response.header("Content-Type", "application/json");
                  return Mono.delay(delay)
                      .then(response.sendString(Mono.just(answer.body())).then());
                })
            .bindNow();
  }

  /** The base URL the provider's settings take. */
  String baseUrl() {
    String root = "http://127.0.0.1:" + server.port();
    return api == Api.COINGECKO ? root + "/api/v3" : root;
  }

  /** Answers with these prices from now on: "BTC/USD", "64000.5", "ETH/USD", "3000", ... */
  FakeProvider prices(String... pairsAndPrices) {
    Map<String, String> map = new LinkedHashMap<>();
    for (int i = 0; i < pairsAndPrices.length; i += 2) {
      map.put(pairsAndPrices[i], pairsAndPrices[i + 1]);
    }
    prices = map;
    reply = null;
    return this;
  }

  /** Answers every request with this status, headers and body from now on. */
  FakeProvider answers(int status, Map<String, String> headers, String body) {
    reply = request -> new Reply(status, headers, body);
    return this;
  }

  /** Back to answering with the prices. */
  FakeProvider healthy() {
    reply = null;
    return this;
  }

  FakeProvider delay(Duration delay) {
    this.delay = delay;
    return this;
  }

  int calls() {
    return requests.size();
  }

  List<Request> requests() {
    return List.copyOf(requests);
  }

  void reset() {
    requests.clear();
    reply = null;
    delay = Duration.ZERO;
  }

  private String render(Request request) {
    return switch (api) {
      case COINGECKO -> coinGecko(request);
      case CRYPTOCOMPARE -> cryptoCompare(request);
      case COINMARKETCAP -> coinMarketCap(request);
    };
  }

  private String coinGecko(Request request) {
    Set<String> ids = split(request.param("ids"));
    Set<String> currencies = split(request.param("vs_currencies"));
    Map<String, Map<String, String>> byId = new LinkedHashMap<>();
    prices.forEach(
        (pair, price) -> {
          String[] p = pair.split("/");
          String id = COINGECKO_IDS.get(p[0]);
          String currency = p[1].toLowerCase(Locale.ROOT);
          if (ids.contains(id) && currencies.contains(currency)) {
            byId.computeIfAbsent(id, k -> new LinkedHashMap<>()).put(currency, price);
          }
        });
    return object(byId, inner -> object(inner, price -> price));
  }

  private String cryptoCompare(Request request) {
    Set<String> symbols = split(request.param("fsyms"));
    Set<String> currencies = split(request.param("tsyms"));
    Map<String, Map<String, String>> bySymbol = new LinkedHashMap<>();
    prices.forEach(
        (pair, price) -> {
          String[] p = pair.split("/");
          if (symbols.contains(p[0]) && currencies.contains(p[1])) {
            bySymbol.computeIfAbsent(p[0], k -> new LinkedHashMap<>()).put(p[1], price);
          }
        });
    return object(bySymbol, inner -> object(inner, price -> price));
  }

  private String coinMarketCap(Request request) {
    Set<String> symbols = split(request.param("symbol"));
    Set<String> converts = split(request.param("convert"));
    Map<String, Map<String, String>> bySymbol = new LinkedHashMap<>();
    prices.forEach(
        (pair, price) -> {
          String[] p = pair.split("/");
          if (symbols.contains(p[0]) && converts.contains(p[1])) {
            bySymbol.computeIfAbsent(p[0], k -> new LinkedHashMap<>()).put(p[1], price);
          }
        });
    String data =
        object(
            bySymbol,
            quotes ->
                // a namesake with a worse rank first: the client must pick by rank
                "[{\"id\":99999,\"symbol\":\"X\",\"cmc_rank\":4000,\"quote\":"
                    + object(quotes, price -> "{\"price\":1}")
                    + "},{\"id\":1,\"symbol\":\"X\",\"cmc_rank\":1,\"quote\":"
                    + object(
                        quotes,
                        price ->
                            "{\"price\":" + price + ",\"last_updated\":\"2026-11-28T10:00:00Z\"}")
                    + "}]");
    return "{\"status\":{\"error_code\":0,\"error_message\":null},\"data\":" + data + "}";
  }

  private static Set<String> split(String list) {
    Set<String> values = new LinkedHashSet<>();
    if (list != null) {
      for (String value : list.split(",")) {
        values.add(value);
      }
    }
    return values;
  }

  private static <T> String object(Map<String, T> map, Function<T, String> value) {
    List<String> members = new ArrayList<>();
    map.forEach((key, v) -> members.add("\"" + key + "\":" + value.apply(v)));
    return members.stream().collect(Collectors.joining(",", "{", "}"));
  }

  @Override
  public void close() {
    server.disposeNow();
  }
}
