package com.dedw3n.media.internal;

import com.google.auth.ServiceAccountSigner;
import com.google.cloud.ReadChannel;
import com.google.cloud.storage.Blob;
import com.google.cloud.storage.BlobId;
import com.google.cloud.storage.BlobInfo;
import com.google.cloud.storage.HttpMethod;
import com.google.cloud.storage.Storage;
import com.google.cloud.storage.Storage.SignUrlOption;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URLEncoder;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Scheduler;

/**
 * Objects in Google Cloud Storage, uploaded and read with V4 signed URLs. The client library blocks
 * (HTTP calls, and IAM signBlob when the credentials are not a key), so every call runs on a
 * bounded elastic scheduler, never on a Netty thread.
 *
 * <p>An upload URL binds, besides the object and its expiry, the headers the client must send:
 * {@code Content-Type}, {@code x-goog-content-length-range} (exactly the declared size), {@code
 * Cache-Control} (stored as the object's metadata, so browsers and CDNs cache it as the README
 * says) and {@code x-goog-if-generation-match: 0}, so the URL can create the object but never
 * overwrite one.
 */
final class GcsObjectStore implements ObjectStore {

  private final Storage storage;
  private final @Nullable ServiceAccountSigner signer;
  private final String publicBaseUrl;
  private final Scheduler blocking;

  /**
   * @param signer signs URLs; null: the storage's own credentials (a service-account key, or IAM
   *     signBlob for credentials that implement {@link ServiceAccountSigner})
   */
  GcsObjectStore(
      Storage storage,
      @Nullable ServiceAccountSigner signer,
      String publicBaseUrl,
      Scheduler blocking) {
    this.storage = storage;
    this.signer = signer;
    this.publicBaseUrl = publicBaseUrl.replaceAll("/+$", "");
    this.blocking = blocking;
  }

  @Override
  public Mono<SignedRequest> signUpload(
      ObjectRef object, String contentType, long byteSize, String cacheControl, Duration lifetime) {
    Map<String, String> headers = new LinkedHashMap<>();
    headers.put("Content-Type", contentType);
    headers.put("Cache-Control", cacheControl);
    headers.put("x-goog-content-length-range", byteSize + "," + byteSize);
    headers.put("x-goog-if-generation-match", "0");
    return Mono.fromCallable(
            () -> {
              BlobInfo blob = BlobInfo.newBuilder(blobId(object)).build();
              var url =
                  storage.signUrl(
                      blob,
                      lifetime.toSeconds(),
                      TimeUnit.SECONDS,
                      options(
                          SignUrlOption.withV4Signature(),
                          SignUrlOption.httpMethod(HttpMethod.PUT),
                          SignUrlOption.withExtHeaders(headers)));
              return new SignedRequest(url.toString(), "PUT", Map.copyOf(headers));
            })
        .subscribeOn(blocking);
  }

  @Override
  public Mono<StoredObject> stat(ObjectRef object) {
    return Mono.fromCallable(
            () -> {
              Blob blob = storage.get(blobId(object));
              return blob == null
                  ? null
                  : new StoredObject(
                      blob.getContentType() == null ? "" : blob.getContentType(),
                      blob.getSize() == null ? -1 : blob.getSize(),
                      blob.getCacheControl());
            })
        .subscribeOn(blocking);
  }

  @Override
  public Mono<byte[]> head(ObjectRef object, int maxBytes) {
    return Mono.fromCallable(
            () -> {
              try (ReadChannel reader = storage.reader(blobId(object))) {
                reader.limit(maxBytes);
                ByteBuffer buffer = ByteBuffer.allocate(maxBytes);
                while (buffer.hasRemaining() && reader.read(buffer) >= 0) {
                  // read until the limit or the end of the object
                }
                return Arrays.copyOf(buffer.array(), buffer.position());
              } catch (IOException e) {
                throw new UncheckedIOException(e);
              }
            })
        .subscribeOn(blocking);
  }

  @Override
  public String publicUrl(ObjectRef object) {
    StringBuilder url = new StringBuilder(publicBaseUrl).append('/').append(object.bucket());
    for (String segment : object.name().split("/", -1)) {
      url.append('/')
          .append(URLEncoder.encode(segment, StandardCharsets.UTF_8).replace("+", "%20"));
    }
    return url.toString();
  }

  @Override
  public Mono<String> signDownload(ObjectRef object, Duration lifetime) {
    return Mono.fromCallable(
            () ->
                storage
                    .signUrl(
                        BlobInfo.newBuilder(blobId(object)).build(),
                        lifetime.toSeconds(),
                        TimeUnit.SECONDS,
                        options(
                            SignUrlOption.withV4Signature(),
                            SignUrlOption.httpMethod(HttpMethod.GET)))
                    .toString())
        .subscribeOn(blocking);
  }

  @Override
  public Mono<Void> delete(ObjectRef object) {
    // false means it was not there: gone either way
    return Mono.fromCallable(() -> storage.delete(blobId(object))).subscribeOn(blocking).then();
  }

  @Override
  public String describe() {
    return "Google Cloud Storage";
  }

  private SignUrlOption[] options(SignUrlOption... options) {
    List<SignUrlOption> all = new ArrayList<>(List.of(options));
    if (signer != null) {
      all.add(SignUrlOption.signWith(signer));
    }
    return all.toArray(SignUrlOption[]::new);
  }

  private static BlobId blobId(ObjectRef object) {
    return BlobId.of(object.bucket(), object.name());
  }
}
