package com.dedw3n.media.internal;

import com.dedw3n.media.internal.ObjectStore.ObjectRef;
import io.r2dbc.spi.Readable;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.util.Collection;
import java.util.UUID;
import org.springframework.r2dbc.core.DatabaseClient;
import org.springframework.stereotype.Repository;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/** The media_objects, media_deletions and media_usage tables. */
@Repository
class MediaObjects {

  private static final String COLUMNS =
      "id, uploader_id, purpose, status, bucket, object_name, content_type, byte_size, width,"
          + " height, coalesce(product_id, post_id, message_id, profile_user_id) AS owner_id,"
          + " created_at";

  private final DatabaseClient db;

  MediaObjects(DatabaseClient db) {
    this.db = db;
  }

  /**
   * Records a pending upload; the usage trigger adds its size to the uploader's bytes in storage
   * and holds that row's lock until the transaction ends.
   */
  Mono<MediaObject> insertPending(
      UUID id,
      long uploaderId,
      MediaPurpose purpose,
      ObjectRef object,
      String contentType,
      long byteSize,
      long ownerId,
      Duration urlLifetime) {
    // the owner column is the purpose's constant, never client input
    return db.sql(
            "INSERT INTO media_objects (id, uploader_id, purpose, bucket, object_name,"
                + " content_type, byte_size, "
                + purpose.ownerColumn()
                + ", upload_expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, now() +"
                + " make_interval(secs => $9)) RETURNING "
                + COLUMNS)
        .bind(0, id)
        .bind(1, uploaderId)
        .bind(2, purpose.name())
        .bind(3, object.bucket())
        .bind(4, object.name())
        .bind(5, contentType)
        .bind(6, byteSize)
        .bind(7, ownerId)
        .bind(8, (double) urlLifetime.toSeconds())
        .map(MediaObjects::row)
        .one();
  }

  /** The bytes the user holds, pending uploads included. */
  Mono<Long> bytesHeldBy(long userId) {
    return db.sql("SELECT bytes FROM media_usage WHERE user_id = $1")
        .bind(0, userId)
        .map(row -> row.get(0, Long.class))
        .one()
        .defaultIfEmpty(0L);
  }

  /** Media, pending or attached, of one owner of a purpose. */
  Mono<Long> countOf(MediaPurpose purpose, long ownerId) {
    return db.sql("SELECT count(*) FROM media_objects WHERE " + purpose.ownerColumn() + " = $1")
        .bind(0, ownerId)
        .map(row -> row.get(0, Long.class))
        .one();
  }

  /** One of the uploader's own media; empty for anybody else's (or none). */
  Mono<MediaObject> findOwn(UUID id, long uploaderId) {
    return db.sql("SELECT " + COLUMNS + " FROM media_objects WHERE id = $1 AND uploader_id = $2")
        .bind(0, id)
        .bind(1, uploaderId)
        .map(MediaObjects::row)
        .one();
  }

  /** Marks a pending upload attached, with the dimensions read from it; empty if not pending. */
  Mono<MediaObject> attach(UUID id, Integer width, Integer height) {
    var spec =
        db.sql(
                "UPDATE media_objects SET status = 'ATTACHED', attached_at = now(), width = $2,"
                    + " height = $3 WHERE id = $1 AND status = 'PENDING' RETURNING "
                    + COLUMNS)
            .bind(0, id);
    spec = width == null ? spec.bindNull(1, Integer.class) : spec.bind(1, width);
    spec = height == null ? spec.bindNull(2, Integer.class) : spec.bind(2, height);
    return spec.map(MediaObjects::row).one();
  }

  /**
   * Deletes one media row of this uploader (its object is queued for deletion by the trigger);
   * false when there is no such row of theirs.
   */
  Mono<Boolean> deleteOwn(UUID id, long uploaderId) {
    return db.sql("DELETE FROM media_objects WHERE id = $1 AND uploader_id = $2")
        .bind(0, id)
        .bind(1, uploaderId)
        .fetch()
        .rowsUpdated()
        .map(count -> count > 0);
  }

  /** Deletes a row whatever its state (a rejected upload); its object is queued for deletion. */
  Mono<Void> delete(UUID id) {
    return db.sql("DELETE FROM media_objects WHERE id = $1").bind(0, id).then();
  }

  /**
   * The attached media of many owners of one purpose, in the order they were attached; one
   * statement.
   */
  Flux<MediaObject> attachedTo(MediaPurpose purpose, Collection<Long> ownerIds) {
    return db.sql(
            "SELECT "
                + COLUMNS
                + " FROM media_objects WHERE "
                + purpose.ownerColumn()
                + " = ANY($1) AND status = 'ATTACHED' ORDER BY attached_at, id")
        .bind(0, ownerIds.toArray(Long[]::new))
        .map(MediaObjects::row)
        .all();
  }

  /** Deletes uploads requested longer than {@code age} ago and never completed; how many. */
  Mono<Long> deleteOrphans(Duration age, int batch) {
    return db.sql(
            "DELETE FROM media_objects WHERE id IN (SELECT id FROM media_objects WHERE status ="
                + " 'PENDING' AND created_at < now() - make_interval(secs => $1) LIMIT $2)")
        .bind(0, (double) age.toSeconds())
        .bind(1, batch)
        .fetch()
        .rowsUpdated();
  }

  /**
   * Takes up to {@code batch} objects due for deletion, leasing them for {@code lease} so that
   * another instance does not take them too, and counts the attempt.
   */
  Flux<Deletion> takeDeletions(int batch, Duration lease) {
    return db.sql(
            "UPDATE media_deletions d SET attempts = d.attempts + 1, next_attempt_at = now() +"
                + " make_interval(secs => $2) FROM (SELECT bucket, object_name FROM"
                + " media_deletions WHERE next_attempt_at <= now() ORDER BY next_attempt_at"
                + " LIMIT $1 FOR UPDATE SKIP LOCKED) due WHERE d.bucket = due.bucket AND"
                + " d.object_name = due.object_name RETURNING d.bucket, d.object_name,"
                + " d.attempts")
        .bind(0, batch)
        .bind(1, (double) lease.toSeconds())
        .map(
            row ->
                new Deletion(
                    new ObjectRef(
                        row.get("bucket", String.class), row.get("object_name", String.class)),
                    row.get("attempts", Integer.class)))
        .all();
  }

  /**
   * The store confirmed the object is gone: done, unless its upload URL still works (recheck_at),
   * in which case it is deleted once more when the URL has expired.
   */
  Mono<Void> deleted(ObjectRef object) {
    return db.sql(
            "WITH later AS (UPDATE media_deletions SET next_attempt_at = recheck_at, recheck_at ="
                + " NULL, attempts = 0 WHERE bucket = $1 AND object_name = $2 AND recheck_at >"
                + " now() RETURNING 1) DELETE FROM media_deletions WHERE bucket = $1 AND"
                + " object_name = $2 AND NOT EXISTS (SELECT 1 FROM later)")
        .bind(0, object.bucket())
        .bind(1, object.name())
        .then();
  }

  /** The store failed to delete the object: try again after {@code retryIn}. */
  Mono<Void> deletionFailed(ObjectRef object, Duration retryIn, String error) {
    return db.sql(
            "UPDATE media_deletions SET next_attempt_at = now() + make_interval(secs => $3),"
                + " last_error = $4 WHERE bucket = $1 AND object_name = $2")
        .bind(0, object.bucket())
        .bind(1, object.name())
        .bind(2, (double) retryIn.toSeconds())
        .bind(3, error.length() > 500 ? error.substring(0, 500) : error)
        .then();
  }

  /** Objects waiting to be deleted from the store. */
  Mono<Long> pendingDeletions() {
    return db.sql("SELECT count(*) FROM media_deletions").map(row -> row.get(0, Long.class)).one();
  }

  /** Bytes held in storage by everyone. */
  Mono<Long> bytesStored() {
    return db.sql("SELECT coalesce(sum(bytes), 0)::bigint FROM media_usage")
        .map(row -> row.get(0, Long.class))
        .one();
  }

  /** An object to delete from the store, and how many times that has been attempted. */
  record Deletion(ObjectRef object, int attempts) {}

  private static MediaObject row(Readable row) {
    return new MediaObject(
        row.get("id", UUID.class),
        row.get("uploader_id", Long.class),
        MediaPurpose.valueOf(row.get("purpose", String.class)),
        "ATTACHED".equals(row.get("status", String.class)),
        new ObjectRef(row.get("bucket", String.class), row.get("object_name", String.class)),
        row.get("content_type", String.class),
        row.get("byte_size", Long.class),
        row.get("width", Integer.class),
        row.get("height", Integer.class),
        row.get("owner_id", Long.class),
        row.get("created_at", OffsetDateTime.class));
  }
}
