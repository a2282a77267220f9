package com.dedw3n.media.internal;

import java.util.Set;

/**
 * What an upload is for: which formats and sizes it may have, whether it is public, what it is
 * attached to (the owner column of media_objects) and how many one owner may hold.
 */
enum MediaPurpose {
  PRODUCT_IMAGE(MediaFormat.IMAGES, true, "product_id", "a product", 20),
  POST_MEDIA(MediaFormat.IMAGES_AND_VIDEOS, true, "post_id", "a post", 10),
  PROFILE_PHOTO(MediaFormat.IMAGES, true, "profile_user_id", null, 9),
  MESSAGE_ATTACHMENT(MediaFormat.IMAGES, false, "message_id", "a message", 10);

  private final Set<MediaFormat> formats;
  private final boolean isPublic;
  private final String ownerColumn;
  private final String ownerDescription;
  private final int maxPerOwner;

  MediaPurpose(
      Set<MediaFormat> formats,
      boolean isPublic,
      String ownerColumn,
      String ownerDescription,
      int maxPerOwner) {
    this.formats = formats;
    this.isPublic = isPublic;
    this.ownerColumn = ownerColumn;
    this.ownerDescription = ownerDescription;
    this.maxPerOwner = maxPerOwner;
  }

  Set<MediaFormat> formats() {
    return formats;
  }

  /** Public media are stored under the public path and read by plain, cacheable URLs. */
  boolean isPublic() {
    return isPublic;
  }

  /** The media_objects column naming the owner (a constant of this enum, never input). */
  String ownerColumn() {
    return ownerColumn;
  }

  /** What {@code attachTo} names ("a product"), or null when the owner is the uploader itself. */
  String ownerDescription() {
    return ownerDescription;
  }

  boolean needsAttachTo() {
    return ownerDescription != null;
  }

  int maxPerOwner() {
    return maxPerOwner;
  }
}
