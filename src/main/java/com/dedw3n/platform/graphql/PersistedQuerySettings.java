package com.dedw3n.platform.graphql;

import java.time.Duration;
import java.util.Map;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;
import org.springframework.util.unit.DataSize;

/**
 * Persisted queries: the registered operations (the manifest built from {@code api/}), automatic
 * persisted queries for the apps, and HTTP caching of public reads sent by GET.
 *
 * @param safelist only registered operations may run, for everyone (the gateway's own {@code
 *     _entities} and {@code _service} requests excepted); off by default
 * @param automatic whether apps may register documents by hash (Apollo's APQ); in safelist mode
 *     only registered operations in an app client's form (with {@code __typename}) are kept
 * @param automaticTtl how long a document registered by hash is kept after it was last registered
 * @param automaticMaxEntries the most documents registered by hash that Redis keeps; registering
 *     one more ends the least recently registered
 * @param automaticMaxDocument the largest document registered by hash; larger ones still execute
 *     when sent in full, they are only not kept
 * @param automaticLocalCache the documents registered by hash that each instance keeps in memory,
 *     in front of Redis (by their total size)
 * @param redisKeyPrefix where documents registered by hash are kept in Redis
 * @param maxAge per operation name, how long a public read of it sent by GET may be cached by
 *     browsers and CDNs; operations not listed are never cached
 */
@ConfigurationProperties("dedw3n.persisted-queries")
record PersistedQuerySettings(
    @DefaultValue("false") boolean safelist,
    @DefaultValue("true") boolean automatic,
    @DefaultValue("24h") Duration automaticTtl,
    @DefaultValue("10000") int automaticMaxEntries,
    @DefaultValue("32KB") DataSize automaticMaxDocument,
    @DefaultValue("8MB") DataSize automaticLocalCache,
    @DefaultValue("dedw3n:apq:") String redisKeyPrefix,
    Map<String, Duration> maxAge) {

  PersistedQuerySettings {
    if (automaticMaxEntries < 1) {
      throw new IllegalArgumentException(
          "dedw3n.persisted-queries.automatic-max-entries must be at least 1");
    }
    maxAge = maxAge == null ? Map.of() : Map.copyOf(maxAge);
  }
}
