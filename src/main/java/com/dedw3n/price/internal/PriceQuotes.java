package com.dedw3n.price.internal;

import com.dedw3n.platform.graphql.ApiException;
import com.dedw3n.platform.graphql.Money;
import io.r2dbc.spi.Readable;
import java.math.BigDecimal;
import java.time.Clock;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import org.springframework.modulith.NamedInterface;
import org.springframework.r2dbc.core.DatabaseClient;
import reactor.core.publisher.Mono;

/**
 * The price_quotes table: quotes locked for a checkout. With the quote types, it is the price
 * feature's named interface {@code quotes}, which the payment feature uses to honour a quote. Lock
 * and expiry times come from the application's clock, not the database's, so they agree with the
 * quotes' own {@code asOf}.
 */
@NamedInterface("quotes")
public class PriceQuotes {

  private static final String COLUMNS =
      "id, buyer_id, symbol, currency, price, source, freshness, as_of, locked_at, expires_at";

  private final DatabaseClient db;
  private final Clock clock;
  private final PriceSettings settings;

  PriceQuotes(DatabaseClient db, Clock clock, PriceSettings settings) {
    this.db = db;
    this.clock = clock;
    this.settings = settings;
  }

  /**
   * A fiat amount in the locked quote's coin, as {@code Product.priceIn} converts it: rounded up to
   * the coin's decimals (8 for BTC, 6 for USDC).
   */
  public BigDecimal coins(Money money, LockedPriceQuote locked) {
    PriceQuote quote = locked.quote();
    return quote.coins(money, settings.coins().get(quote.symbol()).decimals());
  }

  /** Stores the quote for the buyer, honoured for {@code dedw3n.price.lock-for} from now. */
  Mono<LockedPriceQuote> lock(long buyerId, PriceQuote quote) {
    Instant now = clock.instant();
    return db.sql(
            "INSERT INTO price_quotes (buyer_id, symbol, currency, price, source, freshness, as_of,"
                + " locked_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING "
                + COLUMNS)
        .bind(0, buyerId)
        .bind(1, quote.symbol())
        .bind(2, quote.currency())
        .bind(3, quote.price())
        .bind(4, quote.source())
        .bind(5, quote.freshness().name())
        .bind(6, quote.asOf())
        .bind(7, now.atOffset(ZoneOffset.UTC))
        .bind(8, now.plus(settings.lockFor()).atOffset(ZoneOffset.UTC))
        .map(PriceQuotes::locked)
        .one();
  }

  /**
   * The buyer's locked quote while it is honoured (priceQuote; checkout uses {@link #ofBuyer} and
   * {@link #honoured}). Errors: NOT_FOUND when there is no such quote of this buyer, CONFLICT once
   * it has expired.
   */
  public Mono<LockedPriceQuote> honour(long quoteId, long buyerId) {
    return ofBuyer(quoteId, buyerId).flatMap(this::honoured);
  }

  /**
   * The buyer's locked quote, expired or not (a payment started with it keeps it); NOT_FOUND when
   * there is no such quote of this buyer.
   */
  public Mono<LockedPriceQuote> ofBuyer(long quoteId, long buyerId) {
    return db.sql("SELECT " + COLUMNS + " FROM price_quotes WHERE id = $1 AND buyer_id = $2")
        .bind(0, quoteId)
        .bind(1, buyerId)
        .map(PriceQuotes::locked)
        .one()
        .switchIfEmpty(Mono.error(() -> ApiException.notFound("Price quote", quoteId)));
  }

  /** The quote while it is honoured; CONFLICT once it has expired. */
  public Mono<LockedPriceQuote> honoured(LockedPriceQuote locked) {
    return clock.instant().isBefore(locked.expiresAt().toInstant())
        ? Mono.just(locked)
        : Mono.error(
            ApiException.conflict(
                "Price quote "
                    + locked.id()
                    + " expired at "
                    + locked.expiresAt()
                    + "; lock a new quote."));
  }

  /**
   * Deletes quotes that expired before {@code cutoff}, in batches of {@code batch} rows so that no
   * statement holds many locks for long; returns how many were deleted.
   */
  Mono<Long> deleteExpiredBefore(Instant cutoff, int batch) {
    Mono<Long> oneBatch =
        db.sql(
                "DELETE FROM price_quotes WHERE id IN (SELECT id FROM price_quotes"
                    + " WHERE expires_at < $1 LIMIT $2)")
            .bind(0, cutoff.atOffset(ZoneOffset.UTC))
            .bind(1, batch)
            .fetch()
            .rowsUpdated();
    return oneBatch
        .expand(deleted -> deleted < batch ? Mono.empty() : oneBatch)
        .reduce(0L, Long::sum);
  }

  /** Quotes that expired before the retention period began, gone; runs every hour. */
  Mono<Long> deleteExpired() {
    return deleteExpiredBefore(clock.instant().minus(settings.quoteRetention()), 10_000);
  }

  private static LockedPriceQuote locked(Readable row) {
    return new LockedPriceQuote(
        row.get("id", Long.class),
        row.get("buyer_id", Long.class),
        new PriceQuote(
            row.get("symbol", String.class),
            row.get("currency", String.class),
            row.get("price", BigDecimal.class),
            utc(row.get("as_of", OffsetDateTime.class)),
            row.get("source", String.class),
            PriceFreshness.valueOf(row.get("freshness", String.class))),
        utc(row.get("locked_at", OffsetDateTime.class)),
        utc(row.get("expires_at", OffsetDateTime.class)));
  }

  private static OffsetDateTime utc(OffsetDateTime time) {
    return time.withOffsetSameInstant(ZoneOffset.UTC);
  }
}
