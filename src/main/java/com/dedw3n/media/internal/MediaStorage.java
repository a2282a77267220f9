package com.dedw3n.media.internal;

import com.dedw3n.media.internal.ObjectStore.ObjectRef;
import com.dedw3n.platform.graphql.ApiException;
import java.util.List;
import java.util.Locale;
import java.util.UUID;
import org.jspecify.annotations.Nullable;

/**
 * The store media go to and the layout of objects in it: public objects under the first public path
 * ({@code PUBLIC_OBJECT_SEARCH_PATHS}), private ones under {@code PRIVATE_OBJECT_DIR}, each named
 * {@code <path>/<purpose>/<uploader id>/<random id>} by the server, so a name never comes from a
 * client and every uploader has a namespace of its own. Without a store (production with neither a
 * bucket nor the local directory configured) media cannot be uploaded.
 */
final class MediaStorage {

  private final @Nullable ObjectStore store;
  private final ObjectRef publicDir;
  private final ObjectRef privateDir;
  private final CacheControls cacheControls;

  MediaStorage(
      @Nullable ObjectStore store,
      ObjectRef publicDir,
      ObjectRef privateDir,
      CacheControls cacheControls) {
    this.store = store;
    this.publicDir = publicDir;
    this.privateDir = privateDir;
    this.cacheControls = cacheControls;
  }

  /** The store, or UNAVAILABLE (code MEDIA_NOT_CONFIGURED) when this deployment has none. */
  ObjectStore store() {
    if (store == null) {
      throw ApiException.unavailable(
          "MEDIA_NOT_CONFIGURED",
          "Media storage is not configured on this server (PUBLIC_OBJECT_SEARCH_PATHS and"
              + " PRIVATE_OBJECT_DIR).",
          3600);
    }
    return store;
  }

  boolean configured() {
    return store != null;
  }

  /** A new object's place: the server picks the whole name. */
  ObjectRef newObject(MediaPurpose purpose, long uploaderId, UUID id) {
    ObjectRef dir = purpose.isPublic() ? publicDir : privateDir;
    String kind = purpose.name().toLowerCase(Locale.ROOT).replace('_', '-');
    String prefix = dir.name().isEmpty() ? "" : dir.name() + "/";
    return new ObjectRef(dir.bucket(), prefix + kind + "/" + uploaderId + "/" + id);
  }

  /** The Cache-Control of an object of this type, public or private. */
  String cacheControl(String contentType, boolean isPublic) {
    return cacheControls.of(contentType, isPublic);
  }

  /** {@code /bucket/prefix/...} as an object reference; the prefix may be empty. */
  static ObjectRef parsePath(String variable, String path) {
    String trimmed = path.strip();
    if (!trimmed.startsWith("/") || trimmed.length() < 2) {
      throw new IllegalStateException(
          variable + " must look like /bucket-id/prefix, not '" + path + "'");
    }
    String[] parts = trimmed.substring(1).split("/", 2);
    String prefix = parts.length > 1 ? parts[1].replaceAll("/+$", "") : "";
    if (parts[0].isEmpty() || prefix.contains("..") || prefix.contains("//")) {
      throw new IllegalStateException(
          variable + " must look like /bucket-id/prefix, not '" + path + "'");
    }
    return new ObjectRef(parts[0], prefix);
  }

  /** Public paths as object references, the first being where new public objects go. */
  static List<ObjectRef> parsePaths(String variable, List<String> paths) {
    return paths.stream().map(path -> parsePath(variable, path)).toList();
  }
}
