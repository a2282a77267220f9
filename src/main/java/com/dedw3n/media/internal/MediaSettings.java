package com.dedw3n.media.internal;

import com.dedw3n.platform.budget.BudgetSettings;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.jspecify.annotations.Nullable;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.util.unit.DataSize;

/**
 * Where media are stored and the rules they follow (defaults in application.yml, documented in the
 * README's Media section).
 *
 * @param publicObjectSearchPaths {@code PUBLIC_OBJECT_SEARCH_PATHS}: {@code /bucket/prefix} paths
 *     of public objects; new ones go to the first
 * @param privateObjectDir {@code PRIVATE_OBJECT_DIR}: {@code /bucket/prefix} of private objects
 * @param cacheTtlImages {@code CACHE_TTL_IMAGES}: max-age of public images
 * @param cacheTtlVideos {@code CACHE_TTL_VIDEOS}: max-age of public videos
 * @param cacheTtlOther max-age of any other public object
 * @param signedUrlLifetime how long a signed upload or download URL is valid
 * @param orphanAfter a requested upload never completed is deleted after this long
 * @param sweepInterval how often orphans are looked for
 * @param deletionInterval how often the deletion queue is worked through (it is also nudged at once
 *     when a mutation deletes media)
 * @param deletionRetryMax the longest wait between two attempts to delete an object
 * @param uploads uploads (requested URLs) per user
 * @param uploadBytes bytes of requested uploads per user
 * @param quota bytes one user may hold in storage, pending uploads included
 * @param local the store used when no bucket is configured (development)
 * @param gcs the Google Cloud Storage store
 */
@ConfigurationProperties("dedw3n.media")
record MediaSettings(
    List<String> publicObjectSearchPaths,
    @Nullable String privateObjectDir,
    Duration cacheTtlImages,
    Duration cacheTtlVideos,
    Duration cacheTtlOther,
    Duration signedUrlLifetime,
    Duration orphanAfter,
    Duration sweepInterval,
    Duration deletionInterval,
    Duration deletionRetryMax,
    BudgetSettings.Rate uploads,
    BudgetSettings.Rate uploadBytes,
    DataSize quota,
    Local local,
    Gcs gcs) {

  MediaSettings {
    publicObjectSearchPaths =
        publicObjectSearchPaths == null
            ? List.of()
            : publicObjectSearchPaths.stream()
                .map(String::strip)
                .filter(p -> !p.isEmpty())
                .toList();
    privateObjectDir =
        privateObjectDir == null || privateObjectDir.isBlank() ? null : privateObjectDir.strip();
  }

  /** Whether a bucket is configured (both paths, or neither: anything else is refused at start). */
  boolean bucketConfigured() {
    return !publicObjectSearchPaths.isEmpty() || privateObjectDir != null;
  }

  /**
   * The store without a bucket: objects under a local directory, uploaded to and served by this
   * server with its own HMAC-signed URLs.
   *
   * @param enabled whether it may be used at all: the development profile turns it on; the packaged
   *     jar only with {@code dedw3n.media.local.enabled=true} (a single-server deployment), setting
   *     {@code MEDIA_LOCAL_DIR} alone does not
   * @param directory where objects are kept ({@code MEDIA_LOCAL_DIR})
   * @param secret the HMAC key of its URLs; empty: random per process (URLs die with a restart)
   * @param baseUrl how clients reach this server; empty: {@code http://localhost:<port>}
   */
  record Local(
      boolean enabled, Path directory, @Nullable String secret, @Nullable String baseUrl) {}

  /**
   * @param publicBaseUrl where public objects are read: {@code https://storage.googleapis.com} or a
   *     CDN in front of the bucket; the URL is {@code <base>/<bucket>/<object name>}
   */
  record Gcs(String publicBaseUrl) {}
}
