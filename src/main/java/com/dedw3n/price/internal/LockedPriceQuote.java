package com.dedw3n.price.internal;

import java.time.OffsetDateTime;
import org.springframework.modulith.NamedInterface;

/**
 * A quote kept for one buyer's checkout: the payment flow charges exactly this rate until {@code
 * expiresAt}, whatever the live price does meanwhile.
 */
@NamedInterface("quotes")
public record LockedPriceQuote(
    long id, long buyerId, PriceQuote quote, OffsetDateTime lockedAt, OffsetDateTime expiresAt) {}
