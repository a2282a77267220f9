package com.dedw3n.price.internal;

/** A crypto currency priced in a fiat currency: BTC in USD. Both upper case. */
public record PricePair(String symbol, String currency) {

  @Override
  public String toString() {
    return symbol + "/" + currency;
  }
}
