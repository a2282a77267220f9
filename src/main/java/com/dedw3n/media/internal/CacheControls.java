package com.dedw3n.media.internal;

import java.time.Duration;

/**
 * The Cache-Control of an object: public ones are cached by browsers and CDNs for their type's time
 * to live ({@code CACHE_TTL_IMAGES}, {@code CACHE_TTL_VIDEOS}, an hour for anything else), private
 * ones not at all.
 */
record CacheControls(Duration images, Duration videos, Duration other) {

  CacheControls {
    // the variables are whole seconds with an "s" appended: "5m" there reads as 5 ms, and every
    // object uploaded would carry max-age=0 for life (its metadata is set once, at upload)
    atLeastASecond("CACHE_TTL_IMAGES", images);
    atLeastASecond("CACHE_TTL_VIDEOS", videos);
    atLeastASecond("dedw3n.media.cache-ttl-other", other);
  }

  private static void atLeastASecond(String name, Duration ttl) {
    if (ttl.compareTo(Duration.ofSeconds(1)) < 0) {
      throw new IllegalStateException(
          name + " (whole seconds, such as 86400) is " + ttl + ": it must be at least 1 second");
    }
  }

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
