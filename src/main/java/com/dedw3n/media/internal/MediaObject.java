package com.dedw3n.media.internal;

import com.dedw3n.media.internal.ObjectStore.ObjectRef;
import java.time.OffsetDateTime;
import java.util.UUID;

/**
 * A row of media_objects: an object the server named for an upload, pending until completeUpload
 * checked it, then attached to its owner.
 *
 * @param ownerId the product, post, message or user it belongs to (by its purpose)
 * @param width pixels, null for a video or while pending
 * @param height pixels, null for a video or while pending
 */
record MediaObject(
    UUID id,
    long uploaderId,
    MediaPurpose purpose,
    boolean attached,
    ObjectRef object,
    String contentType,
    long byteSize,
    Integer width,
    Integer height,
    long ownerId,
    OffsetDateTime createdAt) {}
