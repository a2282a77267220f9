package com.dedw3n.media.internal;

import java.time.Duration;

/**
 * The Cache-Control of an object: public ones are cached by browsers and CDNs for their type's time
 * to live ({@code CACHE_TTL_IMAGES}, {@code CACHE_TTL_VIDEOS}, an hour for anything else), private
 * ones not at all.
 */
record CacheControls(Duration images, Duration videos, Duration other) {

  static CacheControls of(MediaSettings settings) {
    return new CacheControls(
        settings.cacheTtlImages(), settings.cacheTtlVideos(), settings.cacheTtlOther());
  }

  String of(String contentType, boolean isPublic) {
    if (!isPublic) {
      return "private, max-age=0, no-store";
    }
    Duration ttl =
        MediaFormat.ofContentType(contentType)
            .map(format -> format.isVideo() ? videos : images)
            .orElse(other);
    return "public, max-age=" + ttl.toSeconds();
  }
}
