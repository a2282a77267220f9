package com.dedw3n.price.internal;

import org.springframework.modulith.NamedInterface;

/** A crypto currency priced in a fiat currency: BTC in USD. Both upper case. */
@NamedInterface("quotes")
public record PricePair(String symbol, String currency) {

  @Override
  public String toString() {
    return symbol + "/" + currency;
  }
}
