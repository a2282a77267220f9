package com.dedw3n.price.internal;

import java.math.BigDecimal;
import java.net.URI;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.jspecify.annotations.Nullable;
import org.springframework.web.util.UriComponentsBuilder;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import tools.jackson.databind.JsonNode;

/**
 * CoinMarketCap's {@code GET /v2/cryptocurrency/quotes/latest?symbol=BTC,ETH&convert=USD} with the
 * {@code X-CMC_PRO_API_KEY} header and {@code skip_invalid=true} ({@code COINMARKETCAP_API_KEY};
 * there is no keyless API, so without a key it is skipped). v2 answers each symbol with a list,
 * since symbols are not unique: {@code
 * {"data":{"BTC":[{"symbol":"BTC","cmc_rank":1,"quote":{"USD":{"price":67185.1}}}]}}}; the coin
 * with the best rank is taken.
 *
 * <p>Free plans allow one {@code convert} currency per call, so by default a refresh costs one
 * request per currency (sequential, to stay polite); {@code convertsPerCall} lets paid plans ask
 * for several at once.
 */
final class CoinMarketCapProvider implements PriceProvider {

  static final String NAME = "coinmarketcap";

  private final PriceSettings.CoinMarketCap settings;
  private final UpstreamJson http;

  CoinMarketCapProvider(PriceSettings settings, UpstreamJson http) {
    this.settings = settings.coinmarketcap();
    this.http = http;
  }

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public @Nullable String disabledReason() {
    if (!settings.enabled()) {
      return "disabled";
    }
    return settings.hasKey() ? null : "no COINMARKETCAP_API_KEY";
  }

  @Override
  public Mono<ProviderAnswer> fetch(Set<PricePair> pairs) {
    Set<String> symbols = new LinkedHashSet<>();
    List<String> currencies = new ArrayList<>();
    for (PricePair pair : pairs) {
      symbols.add(pair.symbol());
      if (!currencies.contains(pair.currency())) {
        currencies.add(pair.currency());
      }
    }
    return Flux.fromIterable(calls(currencies))
        .concatMap(convert -> request(symbols, convert))
        .collectList()
        .map(roots -> read(roots, pairs));
  }

  @Override
  public int requests(Set<PricePair> pairs) {
    return calls(pairs.stream().map(PricePair::currency).distinct().toList()).size();
  }

  /** The currencies of each request: as many as a call may convert (one on free plans). */
  private List<List<String>> calls(List<String> currencies) {
    int perCall = Math.max(1, settings.convertsPerCall());
    List<List<String>> calls = new ArrayList<>();
    for (int i = 0; i < currencies.size(); i += perCall) {
      calls.add(currencies.subList(i, Math.min(currencies.size(), i + perCall)));
    }
    return calls;
  }

  private Mono<JsonNode> request(Set<String> symbols, List<String> convert) {
    URI uri =
        UriComponentsBuilder.fromUriString(settings.baseUrl())
            .path("/v2/cryptocurrency/quotes/latest")
            .queryParam("symbol", String.join(",", symbols))
            .queryParam("convert", String.join(",", convert))
            // one symbol CoinMarketCap does not know must not fail the others
            .queryParam("skip_invalid", "true")
            .encode()
            .build()
            .toUri();
    return http.get(NAME, uri, headers -> headers.set("X-CMC_PRO_API_KEY", settings.apiKey()))
        .doOnNext(
            root -> {
              JsonNode code = root.path("status").path("error_code");
              if (code.isNumber() && code.asInt() != 0) {
                throw ProviderFailed.permanently(
                    NAME,
                    "error "
                        + code.asInt()
                        + ": "
                        + root.path("status").path("error_message").asString(""));
              }
              if (!root.path("data").isObject()) {
                throw ProviderFailed.permanently(NAME, "answer has no data object");
              }
            });
  }

  private static ProviderAnswer read(List<JsonNode> roots, Set<PricePair> pairs) {
    Map<PricePair, BigDecimal> prices = new LinkedHashMap<>();
    Map<PricePair, String> rejected = new LinkedHashMap<>();
    for (PricePair pair : pairs) {
      JsonNode node = null;
      for (JsonNode root : roots) {
        JsonNode quote = coin(root.path("data").path(pair.symbol())).path("quote");
        if (quote.has(pair.currency())) {
          node = quote.path(pair.currency()).path("price");
          break;
        }
      }
      BigDecimal price = UpstreamJson.positivePrice(node);
      if (price != null) {
        prices.put(pair, price);
      } else {
        rejected.put(pair, UpstreamJson.rejection(node));
      }
    }
    return new ProviderAnswer(prices, rejected);
  }

  /** The best-ranked coin of a v2 list (or the object itself, as v1 answered). */
  private static JsonNode coin(JsonNode entry) {
    if (!entry.isArray()) {
      return entry;
    }
    JsonNode best = null;
    for (JsonNode candidate : entry) {
      if (best == null || rank(candidate) < rank(best)) {
        best = candidate;
      }
    }
    return best == null ? entry.path(0) : best;
  }

  private static long rank(JsonNode coin) {
    JsonNode rank = coin.path("cmc_rank");
    return rank.isNumber() ? rank.asLong() : Long.MAX_VALUE;
  }
}
