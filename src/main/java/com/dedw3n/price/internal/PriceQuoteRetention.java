package com.dedw3n.price.internal;

import java.time.Duration;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import org.springframework.beans.factory.DisposableBean;
import org.springframework.stereotype.Component;
import reactor.core.Disposable;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * Deletes locked price quotes {@code dedw3n.price.quote-retention} (30 days) after they expired,
 * every hour, so that the table does not grow with every quote anyone ever locked.
 */
@Component
class PriceQuoteRetention implements DisposableBean {

  private static final Log log = LogFactory.getLog(PriceQuoteRetention.class);

  private final Disposable sweeping;

  PriceQuoteRetention(PriceQuotes quotes) {
    this.sweeping =
        Flux.interval(Duration.ofMinutes(1), Duration.ofHours(1))
            .onBackpressureDrop()
            .concatMap(
                tick ->
                    quotes
                        .deleteExpired()
                        .doOnNext(
                            deleted -> {
                              if (deleted > 0) {
                                log.info("Deleted " + deleted + " expired price quotes");
                              }
                            })
                        .onErrorResume(
                            e -> {
                              log.warn("Price quote retention failed; the next run retries: " + e);
                              return Mono.empty();
                            }),
                1)
            .subscribe();
  }

  @Override
  public void destroy() {
    sweeping.dispose();
  }
}
