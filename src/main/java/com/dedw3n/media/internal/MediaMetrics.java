package com.dedw3n.media.internal;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.concurrent.atomic.AtomicLong;
import org.springframework.stereotype.Component;

/**
 * The media metrics the production guide asks for: uploads completed and refused (by purpose and
 * reason), bytes uploaded, and storage used (bytes held and objects waiting to be deleted, as of
 * the last sweep).
 */
@Component
class MediaMetrics {

  private final MeterRegistry meters;
  private final Counter bytesUploaded;
  private final AtomicLong bytesStored = new AtomicLong();
  private final AtomicLong deletionsPending = new AtomicLong();

  MediaMetrics(MeterRegistry meters) {
    this.meters = meters;
    this.bytesUploaded =
        Counter.builder("dedw3n.media.uploaded.bytes")
            .description("Bytes of uploads completed (checked and attached)")
            .baseUnit("bytes")
            .register(meters);
    Gauge.builder("dedw3n.media.stored.bytes", bytesStored, AtomicLong::get)
        .description("Bytes of media held in storage, pending uploads included (last sweep)")
        .baseUnit("bytes")
        .register(meters);
    Gauge.builder("dedw3n.media.deletions.pending", deletionsPending, AtomicLong::get)
        .description("Objects waiting to be deleted from storage (last sweep)")
        .register(meters);
  }

  void completed(MediaPurpose purpose, long bytes) {
    upload(purpose, "completed", "none").increment();
    bytesUploaded.increment(bytes);
  }

  /** An upload refused when it was requested or completed, by reason (the error's code). */
  void refused(MediaPurpose purpose, String reason) {
    upload(purpose, "refused", reason).increment();
  }

  void stored(long bytes, long pendingDeletions) {
    bytesStored.set(bytes);
    deletionsPending.set(pendingDeletions);
  }

  private Counter upload(MediaPurpose purpose, String outcome, String reason) {
    return Counter.builder("dedw3n.media.uploads")
        .description("Uploads by purpose and outcome (completed, refused) and refusal reason")
        .tag("purpose", purpose.name().toLowerCase(java.util.Locale.ROOT))
        .tag("outcome", outcome)
        .tag("reason", reason)
        .register(meters);
  }
}
