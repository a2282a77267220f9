package com.dedw3n.price.internal;

import java.math.BigDecimal;

/**
 * A fiat amount converted into a coin at a quote's rate.
 *
 * @param amount coins, rounded up to the coin's configured decimals (so the seller never gets less
 *     than the price)
 */
public record CryptoAmount(String symbol, BigDecimal amount, PriceQuote quote) {}
