package com.dedw3n.mail.internal;

import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.github.resilience4j.circuitbreaker.CircuitBreakerConfig;
import io.github.resilience4j.circuitbreaker.CircuitBreakerRegistry;
import io.github.resilience4j.micrometer.tagged.TaggedCircuitBreakerMetrics;
import io.github.resilience4j.reactor.circuitbreaker.operator.CircuitBreakerOperator;
import io.micrometer.core.instrument.MeterRegistry;
import io.netty.channel.ChannelOption;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.regex.Pattern;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import org.jspecify.annotations.Nullable;
import org.springframework.http.HttpHeaders;
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

  /** Brevo took the mail (no message id when it had taken it before, under the same key). */
  record Accepted(@Nullable String messageId) implements Outcome {}

  /** 429: nothing sent; try again after this long. Not a failure of Brevo's. */
  record RateLimited(Duration retryAfter) implements Outcome {}

  /**
   * A 4xx other than 429 and the account's: the mail itself is refused (bad address...); retrying
   * cannot help.
   */
  record Refused(int status, String body) implements Outcome {}

  /**
   * 5xx, 401/402/403 (the account), a timeout or no connection: worth retrying later; counts
   * against the breaker.
   */
  static final class Unavailable extends RuntimeException {
    Unavailable(String message) {
      super(message, null, false, false);
    }
  }

  private static final Log log = LogFactory.getLog(BrevoApi.class);

  /** Brevo's error code for a repeated {@code headers.idempotencyKey}. */
  private static final Pattern DUPLICATE =
      Pattern.compile("\"code\"\\s*:\\s*\"duplicate_parameter\"");

  private final MailSettings settings;
  private final WebClient client;
  private final CircuitBreaker breaker;
  private final Clock clock;

  BrevoApi(MailSettings settings, WebClient.Builder builder, Clock clock, MeterRegistry meters) {
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
    CircuitBreakerRegistry breakers =
        CircuitBreakerRegistry.of(
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
    // resilience4j.circuitbreaker.state{name=brevo} and the other breaker meters, for alerts
    TaggedCircuitBreakerMetrics.ofCircuitBreakerRegistry(breakers).bindTo(meters);
    this.breaker = breakers.circuitBreaker("brevo");
    breaker
        .getEventPublisher()
        .onStateTransition(
            event -> log.warn("Brevo: circuit breaker " + event.getStateTransition()));
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
                // Brevo's own header (its rate-limit documentation names no other), then
                // Retry-After should a proxy in between answer the 429
                HttpHeaders headers = response.headers().asHttpHeaders();
                String reset = headers.getFirst("x-sib-ratelimit-reset");
                Duration wait =
                    retryAfter(reset != null ? reset : headers.getFirst(HttpHeaders.RETRY_AFTER));
                return response.releaseBody().thenReturn(new RateLimited(wait));
              }
              return response
                  .bodyToMono(String.class)
                  .defaultIfEmpty("")
                  .flatMap(text -> refusal(status.value(), text));
            })
        // the response timeout covers a silent server; this covers a slow body as well
        .timeout(timeout.plus(timeout))
        .onErrorMap(
            e -> !(e instanceof Unavailable),
            e -> new Unavailable("Brevo not reachable: " + e.getClass().getSimpleName()))
        .transformDeferred(CircuitBreakerOperator.of(breaker));
  }

  /**
   * What an answer other than 2xx and 429 means. A 5xx is Brevo's trouble. 401, 402 and 403 are the
   * account's (a wrong or rotated {@code BREVO_API_KEY}, an address not on the key's allowlist, no
   * credits left, a suspended account): every mail would be refused alike until an operator acts,
   * so they are retried like an outage and count against the breaker: no mail is given up at once
   * for them, only after max-attempts like any mail Brevo keeps failing. Brevo answers a key it has
   * seen in the last 30 minutes with {@code duplicate_parameter} and sends nothing: the mail was
   * sent by the attempt whose answer was lost. Any other 4xx is the mail's own fault (a bad
   * address...).
   */
  private static Mono<Outcome> refusal(int status, String body) {
    String shown = body.length() > 500 ? body.substring(0, 500) : body;
    if (status >= 500 || status == 401 || status == 402 || status == 403) {
      return Mono.error(new Unavailable("Brevo answered " + status + " " + shown));
    }
    if (DUPLICATE.matcher(body).find()) {
      return Mono.just(new Accepted(null));
    }
    return Mono.just(new Refused(status, shown));
  }

  private static @Nullable String messageId(Map<?, ?> json) {
    Object id = json.get("messageId");
    return id == null ? null : id.toString();
  }

  /**
   * x-sib-ratelimit-reset or Retry-After as seconds, or Retry-After as an HTTP date; the default
   * when absent or unreadable.
   */
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
