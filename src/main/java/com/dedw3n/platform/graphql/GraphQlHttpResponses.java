package com.dedw3n.platform.graphql;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import org.springframework.core.io.buffer.DataBuffer;
import org.springframework.core.io.buffer.DataBufferUtils;
import org.springframework.graphql.MediaTypes;
import org.springframework.graphql.server.WebGraphQlHandler;
import org.springframework.graphql.server.WebGraphQlResponse;
import org.springframework.graphql.server.webflux.GraphQlHttpHandler;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.codec.CodecConfigurer;
import org.springframework.util.unit.DataSize;
import org.springframework.web.reactive.function.server.ServerRequest;
import org.springframework.web.reactive.function.server.ServerResponse;
import reactor.core.publisher.Mono;

/**
 * spring-graphql's HTTP handler with this API's status codes and response size limit:
 *
 * <ul>
 *   <li>a response that answered nothing (no root field has a value) because a budget is spent is
 *       HTTP 429, and because the server or a dependency cannot answer now HTTP 503; both carry
 *       {@code Retry-After} (the largest {@code extensions.retryAfter} of the errors). Anything
 *       else keeps spring-graphql's status: 200, or 400 for a request error when the client accepts
 *       {@code application/graphql-response+json};
 *   <li>a response body larger than {@code dedw3n.graphql.limits.max-response-size} is replaced by
 *       a {@code RESPONSE_TOO_LARGE} error, so one request cannot make the server write megabytes.
 * </ul>
 */
class GraphQlHttpResponses extends GraphQlHttpHandler {

  private static final List<MediaType> SUPPORTED =
      List.of(
          MediaTypes.APPLICATION_GRAPHQL_RESPONSE,
          MediaType.APPLICATION_JSON,
          new MediaType("application", "graphql+json"));

  private final DataSize maxResponseSize;

  GraphQlHttpResponses(
      WebGraphQlHandler handler, CodecConfigurer codecs, DataSize maxResponseSize) {
    super(handler, codecs);
    this.maxResponseSize = maxResponseSize;
  }

  @Override
  protected Mono<ServerResponse> prepareResponse(
      ServerRequest request, WebGraphQlResponse response) {
    DataBuffer body = encode(response.toMap());
    if (body.readableByteCount() > maxResponseSize.toBytes()) {
      int size = body.readableByteCount();
      DataBufferUtils.release(body);
      response =
          response.transform(
              builder ->
                  builder
                      .data(null)
                      .errors(List.of(GraphQlErrors.responseTooLarge(size, maxResponseSize))));
      body = encode(response.toMap());
    }
    MediaType type = responseType(request);
    HttpStatus status = status(response, type);
    String cacheControl = null;
    String etag = null;
    if (request.attribute(PersistedQueries.BY_GET).isPresent()) {
      // a public read of a persisted query may be cached by browsers and CDNs; anything else
      // sent by GET (it may depend on the caller, or failed) never is
      var cacheFor = request.attribute(PersistedQueries.CACHE_FOR);
      if (cacheFor.isPresent() && status == HttpStatus.OK && response.getErrors().isEmpty()) {
        cacheControl = "public, max-age=" + ((Duration) cacheFor.get()).toSeconds();
        etag = etag(body);
        if (matches(request.headers().header(HttpHeaders.IF_NONE_MATCH), etag)) {
          DataBufferUtils.release(body);
          return ServerResponse.status(HttpStatus.NOT_MODIFIED)
              .eTag(etag)
              .header(HttpHeaders.CACHE_CONTROL, cacheControl)
              .headers(headers -> headers.setVary(varyAlsoByAccept(request)))
              .build();
        }
      } else {
        cacheControl = "private, no-store";
      }
    }
    ServerResponse.BodyBuilder builder = ServerResponse.status(status);
    if (cacheControl != null) {
      builder.header(HttpHeaders.CACHE_CONTROL, cacheControl);
      if (etag != null) {
        builder.eTag(etag).headers(headers -> headers.setVary(varyAlsoByAccept(request)));
      }
    }
    WebGraphQlResponse answered = response;
    builder.headers(headers -> headers.putAll(answered.getResponseHeaders()));
    long retryAfter = GraphQlErrors.retryAfter(response.getErrors());
    if (retryAfter > 0) {
      builder.header(HttpHeaders.RETRY_AFTER, Long.toString(retryAfter));
    }
    return builder.contentType(type).bodyValue(body);
  }

  /**
   * What a cached answer varies by: what the filters before said (Origin, by the CORS policy) and
   * the Accept header, which picks the media type. The answer's headers replace the exchange's, so
   * Accept alone would drop Origin, and a CDN would hand one origin's copy to another.
   */
  private static List<String> varyAlsoByAccept(ServerRequest request) {
    List<String> vary = new ArrayList<>(request.exchange().getResponse().getHeaders().getVary());
    if (!vary.contains(HttpHeaders.ACCEPT)) {
      vary.add(HttpHeaders.ACCEPT);
    }
    return vary;
  }

  /**
   * Whether If-None-Match names this entity tag (compared weakly, as RFC 9110 has it for GET). (The
   * exchange's own checkNotModified does not apply: the request reaches this handler as the POST
   * the GET was turned into.)
   */
  private static boolean matches(List<String> ifNoneMatch, String etag) {
    for (String header : ifNoneMatch) {
      for (String tag : header.split(",")) {
        String candidate = tag.strip();
        if (candidate.startsWith("W/")) {
          candidate = candidate.substring(2);
        }
        if (candidate.equals("*") || candidate.equals(etag)) {
          return true;
        }
      }
    }
    return false;
  }

  /** A strong validator of the response body: the first 128 bits of its SHA-256. */
  private static String etag(DataBuffer body) {
    try {
      MessageDigest digest = MessageDigest.getInstance("SHA-256");
      try (DataBuffer.ByteBufferIterator buffers = body.readableByteBuffers()) {
        buffers.forEachRemaining(digest::update);
      }
      byte[] hash = digest.digest();
      return "\""
          + Base64.getUrlEncoder().withoutPadding().encodeToString(Arrays.copyOf(hash, 16))
          + "\"";
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  private HttpStatus status(WebGraphQlResponse response, MediaType type) {
    if (!answeredAnything(response)) {
      HttpStatus retryLater = GraphQlErrors.retryLaterStatus(response.getErrors());
      if (retryLater != null) {
        return retryLater;
      }
    }
    return selectResponseStatus(response, type);
  }

  /** Whether any root field has a value (a partial answer keeps its 200). */
  private static boolean answeredAnything(WebGraphQlResponse response) {
    Object data = response.getExecutionResult().getData();
    if (data instanceof Map<?, ?> fields) {
      for (Object value : fields.values()) {
        if (value != null) {
          return true;
        }
      }
    }
    return false;
  }

  private static MediaType responseType(ServerRequest request) {
    try {
      for (MediaType accepted : request.headers().accept()) {
        if (SUPPORTED.contains(accepted)) {
          return accepted;
        }
      }
    } catch (RuntimeException e) {
      // an unreadable Accept header: answer with the default
    }
    return MediaType.APPLICATION_JSON;
  }
}
