package com.dedw3n.price.internal;

import java.math.BigDecimal;
import java.util.Map;

/**
 * What one provider call brought: the valid prices (positive numbers) and, for each requested pair
 * it did not price, why (missing, not a positive number).
 */
record ProviderAnswer(Map<PricePair, BigDecimal> prices, Map<PricePair, String> rejected) {}
