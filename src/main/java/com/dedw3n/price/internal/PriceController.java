package com.dedw3n.price.internal;

import com.dedw3n.platform.budget.Action;
import com.dedw3n.platform.budget.Budgets;
import com.dedw3n.platform.graphql.ApiException;
import com.dedw3n.platform.graphql.DataLoaders;
import com.dedw3n.platform.graphql.ErrorKind;
import com.dedw3n.platform.graphql.Ids;
import com.dedw3n.platform.security.Viewer;
import com.dedw3n.product.Product;
import graphql.schema.DataFetchingEnvironment;
import java.util.concurrent.CompletableFuture;
import org.springframework.graphql.data.method.annotation.Argument;
import org.springframework.graphql.data.method.annotation.MutationMapping;
import org.springframework.graphql.data.method.annotation.QueryMapping;
import org.springframework.graphql.data.method.annotation.SchemaMapping;
import org.springframework.stereotype.Controller;
import reactor.core.publisher.Mono;

/** Crypto prices, products priced in a coin, and quotes locked for a checkout. */
@Controller
class PriceController {

  private final CryptoPrices prices;
  private final PriceQuotes quotes;
  private final Budgets budgets;

  PriceController(CryptoPrices prices, PriceQuotes quotes, Budgets budgets) {
    this.prices = prices;
    this.quotes = quotes;
    this.budgets = budgets;
  }

  @QueryMapping
  Mono<PriceQuote> cryptoPrice(@Argument String symbol, @Argument String currency) {
    return prices.current(symbol, currency);
  }

  @QueryMapping
  Mono<LockedPriceQuote> priceQuote(@Argument String id) {
    long quoteId = Ids.parse("id", id);
    return Viewer.requireId().flatMap(buyer -> quotes.honour(quoteId, buyer));
  }

  @MutationMapping
  Mono<LockedPriceQuote> lockPriceQuote(@Argument String symbol, @Argument String currency) {
    PricePair pair = prices.pair("symbol", symbol, currency);
    return Viewer.requireId()
        .flatMap(
            buyer ->
                budgets.spendAs(
                    Action.PRICE_QUOTE,
                    buyer,
                    locker ->
                        prices
                            .current(pair.symbol(), pair.currency())
                            .flatMap(quote -> quotes.lock(locker, quote))));
  }

  @SchemaMapping(typeName = "Product")
  CompletableFuture<CryptoAmount> priceIn(
      Product product, @Argument String crypto, DataFetchingEnvironment env) {
    String currency = product.price().currency();
    if (!prices.supportsCurrency(currency)) {
      throw new ApiException(ErrorKind.NOT_FOUND, "No crypto prices are kept in " + currency + ".");
    }
    PricePair pair = prices.pair("crypto", crypto, currency);
    return DataLoaders.<PricePair, PriceQuote>named(env, PriceBatchLoaders.CRYPTO_QUOTES)
        .load(pair)
        .thenApply(quote -> prices.convert(product.price(), quote));
  }

  @SchemaMapping(typeName = "PriceQuote")
  String price(PriceQuote quote) {
    return quote.price().toPlainString();
  }

  @SchemaMapping(typeName = "CryptoAmount")
  String amount(CryptoAmount amount) {
    return amount.amount().toPlainString();
  }
}
