package com.dedw3n.media.internal;

import java.time.Duration;
import java.util.Map;
import org.jspecify.annotations.Nullable;
import reactor.core.publisher.Mono;

/**
 * Where media objects are kept: a Google Cloud Storage bucket ({@link GcsObjectStore}), or a local
 * directory this server serves itself ({@link LocalObjectStore}). Clients move the bytes with the
 * signed requests it issues; the server only reads an object's metadata and first bytes.
 */
interface ObjectStore {

  /** An object: a bucket and a name in it (the local store's "bucket" is a directory). */
  record ObjectRef(String bucket, String name) {}

  /** An HTTP request a client makes as it is: URL, method and headers, all bound by a signature. */
  record SignedRequest(String url, String method, Map<String, String> headers) {}

  /** What the store says of an object. */
  record StoredObject(String contentType, long byteSize, @Nullable String cacheControl) {}

  /**
   * A PUT of exactly {@code byteSize} bytes of {@code contentType} to {@code object}, valid for
   * {@code lifetime}, that can only create the object, never replace one.
   */
  Mono<SignedRequest> signUpload(
      ObjectRef object, String contentType, long byteSize, String cacheControl, Duration lifetime);

  /** The object's metadata; empty when it does not exist. */
  Mono<StoredObject> stat(ObjectRef object);

  /**
   * The first {@code maxBytes} of the object (fewer only if it ends before); callers pass at most
   * the size {@link #stat} reported.
   */
  Mono<byte[]> head(ObjectRef object, int maxBytes);

  /** Where anyone reads a public object: a plain, cacheable URL. */
  String publicUrl(ObjectRef object);

  /** A GET of a private object, valid for {@code lifetime}. */
  Mono<String> signDownload(ObjectRef object, Duration lifetime);

  /** Deletes the object; completes normally when it is gone, whether or not it existed. */
  Mono<Void> delete(ObjectRef object);

  /** For logs and health: which store this is. */
  String describe();
}
