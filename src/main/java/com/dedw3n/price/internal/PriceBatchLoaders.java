package com.dedw3n.price.internal;

import org.springframework.graphql.execution.BatchLoaderRegistry;
import org.springframework.stereotype.Component;

/**
 * The DataLoader of quotes by pair: a page of products priced in a coin costs one price lookup (one
 * cache read, at most one refresh), however many products and currencies it holds.
 */
@Component
class PriceBatchLoaders {

  /** Name of the quotes DataLoader, which {@code Product.priceIn} looks up. */
  static final String CRYPTO_QUOTES = "cryptoQuotes";

  PriceBatchLoaders(BatchLoaderRegistry registry, CryptoPrices prices) {
    registry
        .<PricePair, PriceQuote>forName(CRYPTO_QUOTES)
        .registerMappedBatchLoader((pairs, env) -> prices.current(pairs));
  }
}
