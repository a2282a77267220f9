package com.dedw3n.media.internal;

import com.dedw3n.media.internal.MediaObjects.Deletion;
import java.time.Duration;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import org.springframework.beans.factory.DisposableBean;
import org.springframework.context.ApplicationListener;
import org.springframework.context.event.ContextClosedEvent;
import org.springframework.stereotype.Component;
import reactor.core.Disposable;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.publisher.Sinks;

/**
 * Keeps storage in step with the database. Deletes from the store the objects whose rows were
 * deleted (the media_deletions queue, filled by a trigger in the deleting transaction, so only
 * after it committed), retrying a failed deletion with a growing delay until the store confirms it;
 * and deletes uploads that were requested and never completed once they are {@code orphan-after}
 * old. Several instances share the work: a deletion is leased by one at a time. Both stop as soon
 * as the application starts closing, before the connection pool closes under them.
 */
@Component
class MediaCleanup implements DisposableBean, ApplicationListener<ContextClosedEvent> {

  private static final Log log = LogFactory.getLog(MediaCleanup.class);

  private static final int BATCH = 100;

  /** Orphans deleted a statement (each queues its object's deletion in the same statement). */
  private static final int ORPHAN_BATCH = 1000;

  /** How long one instance holds a deletion it took before another may retry it. */
  private static final Duration LEASE = Duration.ofMinutes(5);

  private final MediaObjects objects;
  private final MediaStorage media;
  private final MediaSettings settings;
  private final MediaMetrics metrics;
  private final Sinks.Many<Boolean> nudges = Sinks.many().unicast().onBackpressureBuffer();
  private final Disposable deleting;
  private final Disposable sweeping;

  MediaCleanup(
      MediaObjects objects, MediaStorage media, MediaSettings settings, MediaMetrics metrics) {
    this.objects = objects;
    this.media = media;
    this.settings = settings;
    this.metrics = metrics;
    this.deleting =
        Flux.merge(
                Flux.interval(settings.deletionInterval(), settings.deletionInterval())
                    .map(tick -> true),
                nudges.asFlux())
            .onBackpressureDrop()
            .concatMap(tick -> drainDeletions().onErrorResume(this::deletionsFailed), 1)
            .subscribe();
    this.sweeping =
        Flux.interval(Duration.ofSeconds(30), settings.sweepInterval())
            .onBackpressureDrop()
            .concatMap(tick -> sweep().onErrorResume(this::sweepFailed), 1)
            .subscribe();
  }

  /** Works through the deletion queue soon (after a mutation deleted media). */
  void nudge() {
    nudges.tryEmitNext(true);
  }

  /**
   * Deletes every object due for deletion, batch after batch; how many were deleted. Failures stay
   * queued for a later attempt.
   */
  Mono<Long> drainDeletions() {
    if (!media.configured()) {
      return Mono.just(0L);
    }
    return objects
        .takeDeletions(BATCH, LEASE)
        .concatMap(this::delete)
        .reduce(
            new long[2],
            (counts, done) -> {
              counts[0]++;
              counts[1] += done ? 1 : 0;
              return counts;
            })
        .flatMap(
            counts ->
                counts[0] == BATCH
                    ? drainDeletions().map(more -> counts[1] + more)
                    : Mono.just(counts[1]))
        .defaultIfEmpty(0L);
  }

  /** Deletes orphaned uploads (their objects are queued) and refreshes the storage gauges. */
  Mono<Long> sweep() {
    return deleteOrphans()
        .doOnNext(
            orphans -> {
              if (orphans > 0) {
                log.info("Deleted " + orphans + " uploads requested and never completed");
                nudge();
              }
            })
        .flatMap(
            orphans ->
                Mono.zip(objects.bytesStored(), objects.pendingDeletions())
                    .doOnNext(t -> metrics.stored(t.getT1(), t.getT2()))
                    .thenReturn(orphans));
  }

  /**
   * Batch after batch until one is not full: a single batch a sweep would delete at most 6,000
   * orphans an hour, fewer than users may leave behind (100 uploads an hour each), and the rest
   * would hold their uploaders' slots and quota past the day the README promises.
   */
  private Mono<Long> deleteOrphans() {
    return objects
        .deleteOrphans(settings.orphanAfter(), ORPHAN_BATCH)
        .flatMap(
            deleted ->
                deleted == ORPHAN_BATCH
                    ? deleteOrphans().map(more -> deleted + more)
                    : Mono.just(deleted));
  }

  private Mono<Boolean> delete(Deletion deletion) {
    return media
        .store()
        .delete(deletion.object())
        .then(objects.deleted(deletion.object()))
        .thenReturn(true)
        .onErrorResume(
            e -> {
              Duration retryIn = backoff(deletion.attempts());
              log.warn(
                  "Deleting "
                      + deletion.object()
                      + " failed (attempt "
                      + deletion.attempts()
                      + "), retrying in "
                      + retryIn
                      + ": "
                      + e);
              return objects
                  .deletionFailed(deletion.object(), retryIn, String.valueOf(e))
                  .thenReturn(false);
            });
  }

  /** 10 s, 20 s, 40 s, ... up to {@code deletion-retry-max}. */
  private Duration backoff(int attempts) {
    Duration delay = Duration.ofSeconds(10).multipliedBy(1L << Math.min(20, attempts - 1));
    return delay.compareTo(settings.deletionRetryMax()) > 0 ? settings.deletionRetryMax() : delay;
  }

  private Mono<Long> deletionsFailed(Throwable e) {
    log.warn("Working through the media deletion queue failed; the next run retries: " + e);
    return Mono.empty();
  }

  private Mono<Long> sweepFailed(Throwable e) {
    log.warn("The media orphan sweep failed; the next run retries: " + e);
    return Mono.empty();
  }

  @Override
  public void onApplicationEvent(ContextClosedEvent event) {
    destroy();
  }

  @Override
  public void destroy() {
    deleting.dispose();
    sweeping.dispose();
  }
}
