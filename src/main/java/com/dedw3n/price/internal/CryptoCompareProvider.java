package com.dedw3n.price.internal;

import java.math.BigDecimal;
import java.net.URI;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.jspecify.annotations.Nullable;
import org.springframework.web.util.UriComponentsBuilder;
import reactor.core.publisher.Mono;
import tools.jackson.databind.JsonNode;

/**
 * CryptoCompare's {@code GET /data/pricemulti?fsyms=BTC,ETH&tsyms=USD,EUR}, answered as {@code
 * {"BTC":{"USD":67190.5,"EUR":61885.2}}}, with {@code authorization: Apikey KEY} when {@code
 * CRYPTOCOMPARE_API_KEY} is set. CryptoCompare reports errors, rate limits included, as HTTP 200
 * with {@code {"Response":"Error","Message":"..."}}.
 */
final class CryptoCompareProvider implements PriceProvider {

  static final String NAME = "cryptocompare";

  private final PriceSettings.CryptoCompare settings;
  private final UpstreamJson http;

  CryptoCompareProvider(PriceSettings settings, UpstreamJson http) {
    this.settings = settings.cryptocompare();
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
    return settings.keyRequired() && !settings.hasKey() ? "no CRYPTOCOMPARE_API_KEY" : null;
  }

  @Override
  public Mono<ProviderAnswer> fetch(Set<PricePair> pairs) {
    Set<String> symbols = new LinkedHashSet<>();
    Set<String> currencies = new LinkedHashSet<>();
    for (PricePair pair : pairs) {
      symbols.add(pair.symbol());
      currencies.add(pair.currency());
    }
    URI uri =
        UriComponentsBuilder.fromUriString(settings.baseUrl())
            .path("/data/pricemulti")
            .queryParam("fsyms", String.join(",", symbols))
            .queryParam("tsyms", String.join(",", currencies))
            .encode()
            .build()
            .toUri();
    return http.get(
            NAME,
            uri,
            headers -> {
              if (settings.hasKey()) {
                headers.set("authorization", "Apikey " + settings.apiKey());
              }
            })
        .map(root -> read(root, pairs));
  }

  private static ProviderAnswer read(JsonNode root, Set<PricePair> pairs) {
    if ("Error".equals(root.path("Response").asString(""))) {
      String message = root.path("Message").asString("");
      if (message.toLowerCase(Locale.ROOT).contains("rate limit")) {
        throw new ProviderRateLimited(NAME, null);
      }
      throw ProviderFailed.permanently(NAME, "error answer: " + message);
    }
    Map<PricePair, BigDecimal> prices = new LinkedHashMap<>();
    Map<PricePair, String> rejected = new LinkedHashMap<>();
    for (PricePair pair : pairs) {
      JsonNode node = root.path(pair.symbol()).path(pair.currency());
      BigDecimal price = UpstreamJson.positivePrice(node);
      if (price != null) {
        prices.put(pair, price);
      } else {
        rejected.put(pair, UpstreamJson.rejection(node));
      }
    }
    return new ProviderAnswer(prices, rejected);
  }
}
