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
 * CoinGecko's {@code GET /simple/price?ids=bitcoin,ethereum&vs_currencies=usd,eur}, answered as
 * {@code {"bitcoin":{"usd":67187.33,"eur":61890.1}}}. Without a key: the public API. With {@code
 * COINGECKO_API_KEY}: the pro API and its {@code x-cg-pro-api-key} header, or, for a free demo key,
 * the public API with {@code x-cg-demo-api-key}.
 */
final class CoinGeckoProvider implements PriceProvider {

  static final String NAME = "coingecko";

  private final PriceSettings.CoinGecko settings;
  private final Map<String, PriceSettings.Coin> coins;
  private final UpstreamJson http;

  CoinGeckoProvider(PriceSettings settings, UpstreamJson http) {
    this.settings = settings.coingecko();
    this.coins = settings.coins();
    this.http = http;
  }

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public @Nullable String disabledReason() {
    return settings.enabled() ? null : "disabled";
  }

  @Override
  public Mono<ProviderAnswer> fetch(Set<PricePair> pairs) {
    Set<String> ids = new LinkedHashSet<>();
    Set<String> currencies = new LinkedHashSet<>();
    for (PricePair pair : pairs) {
      ids.add(coins.get(pair.symbol()).coingeckoId());
      currencies.add(pair.currency().toLowerCase(Locale.ROOT));
    }
    boolean pro = settings.hasKey() && !settings.demoKey();
    URI uri =
        UriComponentsBuilder.fromUriString((pro ? settings.proBaseUrl() : settings.baseUrl()))
            .path("/simple/price")
            .queryParam("ids", String.join(",", ids))
            .queryParam("vs_currencies", String.join(",", currencies))
            .encode()
            .build()
            .toUri();
    return http.get(
            NAME,
            uri,
            headers -> {
              if (settings.hasKey()) {
                headers.set(
                    settings.demoKey() ? "x-cg-demo-api-key" : "x-cg-pro-api-key",
                    settings.apiKey());
              }
            })
        .map(root -> read(root, pairs));
  }

  private ProviderAnswer read(JsonNode root, Set<PricePair> pairs) {
    Map<PricePair, BigDecimal> prices = new LinkedHashMap<>();
    Map<PricePair, String> rejected = new LinkedHashMap<>();
    for (PricePair pair : pairs) {
      JsonNode node =
          root.path(coins.get(pair.symbol()).coingeckoId())
              .path(pair.currency().toLowerCase(Locale.ROOT));
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
