package com.dedw3n.media.internal;

import java.io.IOException;
import java.io.InputStream;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.time.Clock;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;
import java.util.regex.Pattern;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.springframework.core.io.FileSystemResource;
import org.springframework.core.io.buffer.DataBuffer;
import org.springframework.core.io.buffer.DataBufferUtils;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.web.reactive.function.BodyInserters;
import org.springframework.web.reactive.function.server.RouterFunction;
import org.springframework.web.reactive.function.server.RouterFunctions;
import org.springframework.web.reactive.function.server.ServerRequest;
import org.springframework.web.reactive.function.server.ServerResponse;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Scheduler;

/**
 * The store without a bucket (development, or a single server with {@code MEDIA_LOCAL_DIR}):
 * objects are files under a directory, and this server plays Cloud Storage's part itself under
 * {@code /media/}: it accepts the signed PUT and serves the GET under the same rules. A URL is
 * signed with an HMAC-SHA256 over the method, the object, the content type, the exact size and the
 * expiry, so it cannot be reused for another object, type or size, or after it expired; a PUT can
 * only create an object, never replace one. Public objects are read without a signature, with the
 * cache headers of their type; private ones only with a signed GET.
 *
 * <p>Object names are checked before they touch the file system: ASCII letters, digits, dot, dash
 * and underscore in slash-separated segments, none of them {@code .} or {@code ..}, and nothing
 * percent-encoded (no encoded slash or dot can sneak a segment in). The bytes are streamed to a
 * temporary file and counted; a body longer than signed is cut off, a shorter one discarded.
 */
final class LocalObjectStore implements ObjectStore {

  static final String PATH = "/media/";

  private static final Pattern SAFE_PATH = Pattern.compile("[A-Za-z0-9._-]+(/[A-Za-z0-9._-]+)+");

  /** A stored object's content type, kept beside it (the file system has no metadata). */
  private static final String META = ".meta";

  private static final String TEMP = ".tmp";

  private final Path root;
  private final byte[] secret;
  private final Supplier<String> baseUrl;
  private final List<ObjectRef> publicPrefixes;
  private final CacheControls cacheControls;
  private final Scheduler blocking;
  private final Clock clock;

  /**
   * @param publicPrefixes objects whose bucket is the prefix's and whose name starts with its name
   *     and a slash are public
   */
  LocalObjectStore(
      Path root,
      byte[] secret,
      Supplier<String> baseUrl,
      List<ObjectRef> publicPrefixes,
      CacheControls cacheControls,
      Scheduler blocking,
      Clock clock) {
    this.root = root.toAbsolutePath().normalize();
    this.secret = secret.clone();
    this.baseUrl = baseUrl;
    this.publicPrefixes = List.copyOf(publicPrefixes);
    this.cacheControls = cacheControls;
    this.blocking = blocking;
    this.clock = clock;
  }

  @Override
  public Mono<SignedRequest> signUpload(
      ObjectRef object, String contentType, long byteSize, String cacheControl, Duration lifetime) {
    long expires = clock.instant().plus(lifetime).getEpochSecond();
    String signature = sign("PUT", object, contentType, byteSize, expires);
    String url =
        url(object)
            + "?expires="
            + expires
            + "&type="
            + URLEncoder.encode(contentType, StandardCharsets.UTF_8)
            + "&size="
            + byteSize
            + "&signature="
            + signature;
    return Mono.just(new SignedRequest(url, "PUT", Map.of("Content-Type", contentType)));
  }

  @Override
  public Mono<StoredObject> stat(ObjectRef object) {
    return Mono.fromCallable(
            () -> {
              Path file = file(object);
              Optional<String> type = contentTypeOf(object);
              if (type.isEmpty() || !Files.isRegularFile(file)) {
                return null;
              }
              return new StoredObject(
                  type.get(), Files.size(file), cacheControls.of(type.get(), isPublic(object)));
            })
        .subscribeOn(blocking);
  }

  @Override
  public Mono<byte[]> head(ObjectRef object, int maxBytes) {
    return Mono.fromCallable(
            () -> {
              try (InputStream in = Files.newInputStream(file(object))) {
                return in.readNBytes(maxBytes);
              }
            })
        .subscribeOn(blocking);
  }

  @Override
  public String publicUrl(ObjectRef object) {
    return url(object);
  }

  @Override
  public Mono<String> signDownload(ObjectRef object, Duration lifetime) {
    long expires = clock.instant().plus(lifetime).getEpochSecond();
    return Mono.just(
        url(object) + "?expires=" + expires + "&signature=" + sign("GET", object, "", 0, expires));
  }

  @Override
  public Mono<Void> delete(ObjectRef object) {
    return Mono.fromCallable(
            () -> {
              Files.deleteIfExists(file(object));
              Files.deleteIfExists(meta(object));
              return true;
            })
        .subscribeOn(blocking)
        .then();
  }

  @Override
  public String describe() {
    return "local directory " + root;
  }

  /** {@code PUT} and {@code GET} of {@code /media/<bucket>/<object name>}. */
  RouterFunction<ServerResponse> routes() {
    return RouterFunctions.route().PUT(PATH + "**", this::put).GET(PATH + "**", this::get).build();
  }

  private Mono<ServerResponse> put(ServerRequest request) {
    ObjectRef object = objectOf(request);
    if (object == null) {
      return refuseUnread(HttpStatus.BAD_REQUEST, "This is not an object name.");
    }
    String contentType = request.queryParam("type").orElse("");
    long size = number(request.queryParam("size"));
    long expires = number(request.queryParam("expires"));
    String refusal = checkSignature(request, "PUT", object, contentType, size, expires);
    if (refusal != null) {
      return refuseUnread(HttpStatus.FORBIDDEN, refusal);
    }
    String sentType = request.headers().firstHeader(HttpHeaders.CONTENT_TYPE);
    if (!contentType.equals(sentType)) {
      return refuseUnread(
          HttpStatus.BAD_REQUEST,
          "Content-Type must be " + contentType + " as the URL was signed.");
    }
    var length = request.headers().contentLength();
    if (length.isPresent() && length.getAsLong() != size) {
      return refuseUnread(
          length.getAsLong() > size ? HttpStatus.CONTENT_TOO_LARGE : HttpStatus.BAD_REQUEST,
          "The body must be exactly " + size + " bytes as the URL was signed.");
    }
    Path temp = root.resolve(TEMP).resolve(UUID.randomUUID().toString());
    AtomicLong received = new AtomicLong();
    var body =
        request
            .bodyToFlux(DataBuffer.class)
            .handle(
                (DataBuffer buffer, reactor.core.publisher.SynchronousSink<DataBuffer> sink) -> {
                  if (received.addAndGet(buffer.readableByteCount()) > size) {
                    DataBufferUtils.release(buffer);
                    sink.error(new TooLarge());
                  } else {
                    sink.next(buffer);
                  }
                });
    return Mono.fromCallable(() -> Files.createDirectories(temp.getParent()))
        .subscribeOn(blocking)
        .then(DataBufferUtils.write(body, temp, StandardOpenOption.CREATE_NEW))
        .then(
            Mono.fromCallable(
                    () -> {
                      if (received.get() != size) {
                        return refused(
                            HttpStatus.BAD_REQUEST,
                            "The body must be exactly " + size + " bytes as the URL was signed.");
                      }
                      Path file = file(object);
                      Files.createDirectories(file.getParent());
                      try {
                        // a hard link fails if the name is taken: created, never replaced
                        Files.createLink(file, temp);
                      } catch (FileAlreadyExistsException taken) {
                        return refused(HttpStatus.CONFLICT, "The object exists already.");
                      }
                      Files.createDirectories(meta(object).getParent());
                      Files.writeString(meta(object), contentType);
                      return (Refusal) null;
                    })
                .subscribeOn(blocking))
        .flatMap(r -> refuse(r.status(), r.message()))
        .switchIfEmpty(Mono.defer(() -> ServerResponse.ok().build()))
        .onErrorResume(
            TooLarge.class,
            e ->
                refuseUnread(
                    HttpStatus.CONTENT_TOO_LARGE,
                    "The body must be exactly " + size + " bytes as the URL was signed."))
        .doFinally(
            signal ->
                blocking.schedule(
                    () -> {
                      try {
                        Files.deleteIfExists(temp);
                      } catch (IOException e) {
                        // a stray temporary file; nothing refers to it
                      }
                    }));
  }

  private Mono<ServerResponse> get(ServerRequest request) {
    ObjectRef object = objectOf(request);
    if (object == null) {
      return refuse(HttpStatus.BAD_REQUEST, "This is not an object name.");
    }
    boolean signed = request.queryParam("signature").isPresent();
    if (signed) {
      long expires = number(request.queryParam("expires"));
      String refusal = checkSignature(request, "GET", object, "", 0, expires);
      if (refusal != null) {
        return refuse(HttpStatus.FORBIDDEN, refusal);
      }
    } else if (!isPublic(object)) {
      return refuse(HttpStatus.FORBIDDEN, "This object is private: read it with a signed URL.");
    }
    return stat(object)
        .flatMap(
            stored ->
                ServerResponse.ok()
                    .contentType(MediaType.parseMediaType(stored.contentType()))
                    .contentLength(stored.byteSize())
                    .header(
                        HttpHeaders.CACHE_CONTROL,
                        signed && !isPublic(object) ? "private, no-store" : stored.cacheControl())
                    .header("X-Content-Type-Options", "nosniff")
                    .body(BodyInserters.fromResource(new FileSystemResource(file(object)))))
        .switchIfEmpty(Mono.defer(() -> refuse(HttpStatus.NOT_FOUND, "No such object.")));
  }

  /** Why the request's signature is not good, or null when it is. */
  private String checkSignature(
      ServerRequest request,
      String method,
      ObjectRef object,
      String contentType,
      long size,
      long expires) {
    String given = request.queryParam("signature").orElse("");
    byte[] expected =
        sign(method, object, contentType, size, expires).getBytes(StandardCharsets.US_ASCII);
    if (!MessageDigest.isEqual(expected, given.getBytes(StandardCharsets.US_ASCII))) {
      return "The signature does not match this request.";
    }
    if (clock.instant().getEpochSecond() > expires) {
      return "The URL has expired; request a new one.";
    }
    return null;
  }

  private String sign(
      String method, ObjectRef object, String contentType, long size, long expires) {
    String canonical =
        String.join(
            "\n",
            method,
            object.bucket(),
            object.name(),
            contentType,
            Long.toString(size),
            Long.toString(expires));
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(new SecretKeySpec(secret, "HmacSHA256"));
      return HexFormat.of().formatHex(mac.doFinal(canonical.getBytes(StandardCharsets.UTF_8)));
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("HmacSHA256 is part of every JDK", e);
    }
  }

  /** The object the request names, or null when its path is not a safe object name. */
  private ObjectRef objectOf(ServerRequest request) {
    String raw = request.requestPath().pathWithinApplication().value();
    if (!raw.startsWith(PATH)) {
      return null;
    }
    String path = raw.substring(PATH.length());
    return safe(path) ? refOf(path) : null;
  }

  static boolean safe(String path) {
    if (!SAFE_PATH.matcher(path).matches()) {
      return false; // percent-encoding, backslashes, empty segments, anything unusual
    }
    for (String segment : path.split("/")) {
      if (segment.equals(".")
          || segment.equals("..")
          || segment.equals(META)
          || segment.equals(TEMP)) {
        return false;
      }
    }
    return true;
  }

  private static ObjectRef refOf(String path) {
    int slash = path.indexOf('/');
    return new ObjectRef(path.substring(0, slash), path.substring(slash + 1));
  }

  private boolean isPublic(ObjectRef object) {
    return publicPrefixes.stream()
        .anyMatch(
            prefix ->
                prefix.bucket().equals(object.bucket())
                    && object.name().startsWith(prefix.name() + "/"));
  }

  private String url(ObjectRef object) {
    return baseUrl.get() + PATH + object.bucket() + "/" + object.name();
  }

  private Path file(ObjectRef object) {
    if (!safe(object.bucket() + "/" + object.name())) {
      throw new IllegalArgumentException("Unsafe object name: " + object);
    }
    Path file = root.resolve(object.bucket()).resolve(object.name()).normalize();
    if (!file.startsWith(root)) {
      throw new IllegalArgumentException("Object outside the store: " + object);
    }
    return file;
  }

  private Path meta(ObjectRef object) {
    file(object); // the same checks
    return root.resolve(META).resolve(object.bucket()).resolve(object.name());
  }

  private Optional<String> contentTypeOf(ObjectRef object) throws IOException {
    try {
      return Optional.of(Files.readString(meta(object)).strip());
    } catch (NoSuchFileException absent) {
      return Optional.empty();
    }
  }

  private static long number(Optional<String> value) {
    try {
      return value.map(Long::parseLong).orElse(-1L);
    } catch (NumberFormatException e) {
      return -1;
    }
  }

  private record Refusal(HttpStatus status, String message) {}

  private static Refusal refused(HttpStatus status, String message) {
    return new Refusal(status, message);
  }

  private static Mono<ServerResponse> refuse(HttpStatus status, String message) {
    return ServerResponse.status(status)
        .contentType(MediaType.APPLICATION_JSON)
        .bodyValue(Map.of("errors", List.of(Map.of("message", message))));
  }

  /**
   * A refusal sent before the request's body was read (or while part of it is unread): the
   * connection is closed after it. Kept open, it was handed back to the client's pool with the
   * unread body still on it, and the next request on it (MediaTests' second PUT) never got an
   * answer.
   */
  private static Mono<ServerResponse> refuseUnread(HttpStatus status, String message) {
    return ServerResponse.status(status)
        .header(HttpHeaders.CONNECTION, "close")
        .contentType(MediaType.APPLICATION_JSON)
        .bodyValue(Map.of("errors", List.of(Map.of("message", message))));
  }

  /** The body is longer than the URL allows. */
  private static final class TooLarge extends RuntimeException {
    TooLarge() {
      super(null, null, false, false);
    }
  }
}
