package com.dedw3n.mail.internal;

import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.github.resilience4j.circuitbreaker.CircuitBreakerConfig;
import io.github.resilience4j.reactor.circuitbreaker.operator.CircuitBreakerOperator;
import io.netty.channel.ChannelOption;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.jspecify.annotations.Nullable;
import org.springframework.http.HttpStatusCode;
import org.springframework.http.MediaType;
import org.springframework.http.client.reactive.ReactorClientHttpConnector;
import org.springframework.web.reactive.function.client.WebClient;
import reactor.core.publisher.Mono;
import reactor.netty.http.client.HttpClient;

/**
 * Brevo's transactional e-mail endpoint ({@code POST /smtp/email}) behind a circuit breaker. Each
 * request carries the outbox row's UUID as Brevo's {@code headers.idempotencyKey}, so a request
 * retried after a lost answer sends one mail, not two.
 */
final class BrevoApi {

  /** What became of one send. */
  sealed interface Outcome {}

  /** Brevo took the mail. */
  record Accepted(@Nullable String messageId) implements Outcome {}

  /** 429: nothing sent; try again after this long. Not a failure of Brevo's. */
  record RateLimited(Duration retryAfter) implements Outcome {}

  /** A 4xx other than 429: the mail itself is refused (bad address...); retrying cannot help. */
  record Refused(int status, String body) implements Outcome {}

  /** 5xx, a timeout or no connection: worth retrying later; counts against the breaker. */
  static final class Unavailable extends RuntimeException {
    Unavailable(String message) {
      super(message, null, false, false);
    }
  }

  private final MailSettings settings;
  private final WebClient client;
  private final CircuitBreaker breaker;
  private final Clock clock;

  BrevoApi(MailSettings settings, WebClient.Builder builder, Clock clock) {
    this.settings = settings;
    this.clock = clock;
    MailSettings.Brevo brevo = settings.brevo();
    HttpClient http =
        HttpClient.create()
            .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) brevo.timeout().toMillis())
            .responseTimeout(brevo.timeout());
    this.client =
        builder
            .baseUrl(brevo.baseUrl().toString())
            .clientConnector(new ReactorClientHttpConnector(http))
            .defaultHeader("api-key", brevo.apiKey())
            .build();
    this.breaker =
        CircuitBreaker.of(
            "brevo",
            CircuitBreakerConfig.custom()
                .slidingWindowType(CircuitBreakerConfig.SlidingWindowType.COUNT_BASED)
                .slidingWindowSize(brevo.breakerFailures())
                .minimumNumberOfCalls(brevo.breakerFailures())
                .failureRateThreshold(100)
                .waitDurationInOpenState(brevo.breakerOpenFor())
                .permittedNumberOfCallsInHalfOpenState(1)
                .recordException(e -> e instanceof Unavailable)
                // the application's clock, which also dates the outbox's retries
                .clock(clock)
                .build());
  }

  CircuitBreaker breaker() {
    return breaker;
  }

  /**
   * Sends one mail. Emits an {@link Outcome}, or fails with {@link Unavailable} (also when the
   * breaker is open: {@code CallNotPermittedException}).
   */
  Mono<Outcome> send(UUID idempotencyKey, String to, String subject, String body) {
    Map<String, Object> request =
        Map.of(
            "sender", Map.of("email", settings.fromAddress(), "name", settings.fromName()),
            "to", List.of(Map.of("email", to)),
            "subject", subject,
            "textContent", body,
            "headers", Map.of("idempotencyKey", idempotencyKey.toString()));
    Duration timeout = settings.brevo().timeout();
    return client
        .post()
        .uri("/smtp/email")
        .contentType(MediaType.APPLICATION_JSON)
        .accept(MediaType.APPLICATION_JSON)
        .bodyValue(request)
        .exchangeToMono(
            response -> {
              HttpStatusCode status = response.statusCode();
              if (status.is2xxSuccessful()) {
                return response
                    .bodyToMono(Map.class)
                    .map(json -> (Outcome) new Accepted(messageId(json)))
                    .defaultIfEmpty(new Accepted(null));
              }
              if (status.value() == 429) {
                Duration wait =
                    retryAfter(response.headers().asHttpHeaders().getFirst("Retry-After"));
                return response.releaseBody().thenReturn(new RateLimited(wait));
              }
              return response
                  .bodyToMono(String.class)
                  .defaultIfEmpty("")
                  .flatMap(
                      text ->
                          status.is5xxServerError()
                              ? Mono.error(new Unavailable("Brevo answered " + status.value()))
                              : Mono.just(
                                  (Outcome)
                                      new Refused(
                                          status.value(),
                                          text.length() > 500 ? text.substring(0, 500) : text)));
            })
        // the response timeout covers a silent server; this covers a slow body as well
        .timeout(timeout.plus(timeout))
        .onErrorMap(
            e -> !(e instanceof Unavailable),
            e -> new Unavailable("Brevo not reachable: " + e.getClass().getSimpleName()))
        .transformDeferred(CircuitBreakerOperator.of(breaker));
  }

  private static @Nullable String messageId(Map<?, ?> json) {
    Object id = json.get("messageId");
    return id == null ? null : id.toString();
  }

  /** Retry-After as seconds or an HTTP date; the default when absent or unreadable. */
  private Duration retryAfter(@Nullable String header) {
    Duration fallback = settings.brevo().defaultRetryAfter();
    if (header == null || header.isBlank()) {
      return fallback;
    }
    try {
      return Duration.ofSeconds(Math.max(0, Long.parseLong(header.strip())));
    } catch (NumberFormatException notSeconds) {
      try {
        Instant at =
            ZonedDateTime.parse(header.strip(), DateTimeFormatter.RFC_1123_DATE_TIME).toInstant();
        Duration wait = Duration.between(clock.instant(), at);
        return wait.isNegative() ? Duration.ZERO : wait;
      } catch (RuntimeException notADate) {
        return fallback;
      }
    }
  }
}
