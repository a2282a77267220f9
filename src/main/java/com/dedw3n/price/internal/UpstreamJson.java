package com.dedw3n.price.internal;

import java.math.BigDecimal;
import java.net.URI;
import java.time.Clock;
import java.time.Duration;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.function.Consumer;
import org.jspecify.annotations.Nullable;
import org.springframework.http.HttpHeaders;
import org.springframework.http.MediaType;
import org.springframework.web.reactive.function.client.WebClient;
import org.springframework.web.reactive.function.client.WebClientRequestException;
import reactor.core.publisher.Mono;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.DeserializationFeature;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * The HTTP and JSON the providers share: a GET that turns statuses into {@link ProviderRateLimited}
 * and {@link ProviderFailed}, and prices read as exact decimals (JSON numbers never pass through a
 * {@code double}).
 */
final class UpstreamJson {

  private static final JsonMapper JSON =
      JsonMapper.builder().enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS).build();

  private final WebClient client;
  private final Clock clock;

  UpstreamJson(WebClient client, Clock clock) {
    this.client = client;
    this.clock = clock;
  }

  /** GETs the URI and parses the body, or fails as described on {@link PriceProvider#fetch}. */
  Mono<JsonNode> get(String provider, URI uri, Consumer<HttpHeaders> headers) {
    return client
        .get()
        .uri(uri)
        .accept(MediaType.APPLICATION_JSON)
        .headers(headers)
        .exchangeToMono(
            response -> {
              int status = response.statusCode().value();
              if (status == 429) {
                Duration retryAfter =
                    retryAfter(
                        response.headers().asHttpHeaders().getFirst(HttpHeaders.RETRY_AFTER));
                return response
                    .releaseBody()
                    .then(Mono.error(new ProviderRateLimited(provider, retryAfter)));
              }
              if (status >= 500) {
                return response
                    .releaseBody()
                    .then(Mono.error(ProviderFailed.temporarily(provider, "HTTP " + status)));
              }
              if (status < 200 || status > 299) {
                // 401/403: a wrong or exhausted key; asking again will not help
                return response
                    .releaseBody()
                    .then(Mono.error(ProviderFailed.permanently(provider, "HTTP " + status)));
              }
              return response
                  .bodyToMono(String.class)
                  .defaultIfEmpty("")
                  .map(body -> parse(provider, body));
            })
        .onErrorMap(
            WebClientRequestException.class,
            e ->
                ProviderFailed.temporarily(
                    provider, "no connection: " + e.getMostSpecificCause().getMessage()));
  }

  static JsonNode parse(String provider, String body) {
    try {
      JsonNode root = JSON.readTree(body);
      if (root == null || !root.isObject()) {
        throw ProviderFailed.permanently(provider, "answer is not a JSON object");
      }
      return root;
    } catch (JacksonException e) {
      throw ProviderFailed.permanently(provider, "answer is not JSON: " + e.getOriginalMessage());
    }
  }

  /** A positive JSON number as an exact decimal, or null (missing, null, a string, zero...). */
  static @Nullable BigDecimal positivePrice(@Nullable JsonNode node) {
    if (node == null || !node.isNumber()) {
      return null;
    }
    BigDecimal value = node.decimalValue();
    return value.signum() > 0 ? value : null;
  }

  /** Why {@link #positivePrice} refused a node, for logs and metrics. */
  static String rejection(@Nullable JsonNode node) {
    return node == null || node.isMissingNode() || node.isNull()
        ? "missing"
        : "not a positive number";
  }

  /** Retry-After as seconds or as an HTTP date; null when absent or unreadable. */
  @Nullable Duration retryAfter(@Nullable String header) {
    if (header == null || header.isBlank()) {
      return null;
    }
    String value = header.strip();
    try {
      return Duration.ofSeconds(Math.max(0, Long.parseLong(value)));
    } catch (NumberFormatException notSeconds) {
      try {
        ZonedDateTime at = ZonedDateTime.parse(value, DateTimeFormatter.RFC_1123_DATE_TIME);
        Duration wait = Duration.between(clock.instant(), at.toInstant());
        return wait.isNegative() ? Duration.ZERO : wait;
      } catch (DateTimeParseException notADate) {
        return null;
      }
    }
  }
}
