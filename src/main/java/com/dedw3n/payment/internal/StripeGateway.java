package com.dedw3n.payment.internal;

import com.dedw3n.platform.graphql.ApiException;
import com.stripe.StripeClient;
import com.stripe.exception.ApiConnectionException;
import com.stripe.exception.StripeException;
import com.stripe.model.PaymentIntent;
import com.stripe.model.Refund;
import com.stripe.net.RequestOptions;
import com.stripe.param.PaymentIntentCreateParams;
import com.stripe.param.RefundCreateParams;
import com.stripe.param.RefundListParams;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import org.jspecify.annotations.Nullable;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;
import reactor.util.retry.Retry;

/**
 * Stripe's API as the payment feature uses it: create, read and cancel PaymentIntents, create
 * refunds. Every create carries an idempotency key derived from what it is for, so a retried or
 * concurrent call gets the first call's object back from Stripe instead of a second one.
 *
 * <p>stripe-java blocks on its HTTP calls, so they run on the bounded elastic scheduler, never on a
 * Netty thread. A Stripe that cannot be reached, times out, answers 5xx or 429 is UNAVAILABLE (code
 * {@code STRIPE_UNAVAILABLE}) for the client, which retries. A 409 (the idempotency key is in use
 * by a concurrent request still in flight at Stripe) is retried here for a few seconds, then is
 * UNAVAILABLE too.
 */
final class StripeGateway {

  private static final Log log = LogFactory.getLog(StripeGateway.class);

  /** Waits of 0.1, 0.2, 0.4, 0.8, 1 and 1 s (about 3.5 s in all, jittered) for a key in use. */
  private static final int KEY_IN_USE_RETRIES = 6;

  /** Where to reach Stripe and with which keys; the real ones, or the fake's. */
  record Access(String apiBase, String secretKey, String publishableKey, String webhookSecret) {}

  /** What checkout and the expiry sweep need of a PaymentIntent, its amounts in our units. */
  record Intent(
      String id, String clientSecret, String status, long amount, long received, String currency) {}

  private final @Nullable StripeClient client;
  private final @Nullable Access access;

  StripeGateway(@Nullable Access access, PaymentSettings.Stripe settings) {
    this.access = access;
    this.client =
        access == null
            ? null
            : StripeClient.builder()
                .setApiKey(access.secretKey())
                .setApiBase(access.apiBase())
                .setConnectTimeout((int) settings.connectTimeout().toMillis())
                .setReadTimeout((int) settings.readTimeout().toMillis())
                .setMaxNetworkRetries(settings.maxNetworkRetries())
                .build();
  }

  boolean configured() {
    return client != null;
  }

  /** The publishable key the apps confirm payments with. */
  String publishableKey() {
    return access().publishableKey();
  }

  /** The webhook endpoint's signing secret; empty when none is set. */
  String webhookSecret() {
    return access == null || access.webhookSecret() == null ? "" : access.webhookSecret();
  }

  /**
   * Creates the PaymentIntent of one attempt to pay an order, or answers the one an earlier call
   * with the same key created.
   */
  Mono<Intent> createIntent(
      long orderId, int attempt, long amount, String currency, @Nullable String cryptoQuote) {
    PaymentIntentCreateParams.Builder params =
        PaymentIntentCreateParams.builder()
            .setAmount(StripeAmounts.toStripe(currency, amount))
            .setCurrency(currency.toLowerCase(Locale.ROOT))
            .setDescription("Dedw3n order " + orderId)
            .putMetadata("order_id", String.valueOf(orderId))
            .putMetadata("attempt", String.valueOf(attempt));
    if (cryptoQuote == null) {
      params.setAutomaticPaymentMethods(
          PaymentIntentCreateParams.AutomaticPaymentMethods.builder().setEnabled(true).build());
    } else {
      // Stripe's stablecoin payments; the locked quote is what the buyer agreed to
      params.addPaymentMethodType("crypto").putMetadata("price_quote", cryptoQuote);
    }
    RequestOptions options =
        RequestOptions.builder().setIdempotencyKey(intentKey(orderId, attempt)).build();
    return call(
            "create a PaymentIntent",
            () -> client().paymentIntents().create(params.build(), options))
        .map(StripeGateway::intent);
  }

  /** The idempotency key of an order's attempt: one PaymentIntent per order and attempt. */
  static String intentKey(long orderId, int attempt) {
    return "dedw3n-order-" + orderId + "-attempt-" + attempt;
  }

  Mono<Intent> retrieveIntent(String id) {
    return call("read a PaymentIntent", () -> client().paymentIntents().retrieve(id))
        .map(StripeGateway::intent);
  }

  /** Cancels a PaymentIntent; answers it afterwards (succeeded when it was paid first). */
  Mono<Intent> cancelIntent(String id) {
    return call(
            "cancel a PaymentIntent",
            () -> {
              PaymentIntent intent = client().paymentIntents().retrieve(id);
              // paid, cancelled already, or a bank debit under way, which Stripe refuses to cancel
              // (it succeeds or fails within days, and its webhook says which)
              if ("succeeded".equals(intent.getStatus())
                  || "canceled".equals(intent.getStatus())
                  || "processing".equals(intent.getStatus())) {
                return intent;
              }
              return client().paymentIntents().cancel(id);
            })
        .map(StripeGateway::intent);
  }

  /** Refunds part of a PaymentIntent's charge, once per {@code refundId}. */
  Mono<Refund> refund(String paymentIntentId, long amount, String currency, long refundId) {
    RefundCreateParams params =
        RefundCreateParams.builder()
            .setPaymentIntent(paymentIntentId)
            .setAmount(StripeAmounts.toStripe(currency, amount))
            .putMetadata("refund_id", String.valueOf(refundId))
            .build();
    RequestOptions options =
        RequestOptions.builder().setIdempotencyKey("dedw3n-refund-" + refundId).build();
    return call("create a refund", () -> client().refunds().create(params, options));
  }

  /**
   * How long Stripe keeps an idempotency key (at least 24 h, its documentation says): within it a
   * create retried with the key answers the first one's object; after it, the key makes a new one.
   */
  static final Duration IDEMPOTENCY_WINDOW = Duration.ofHours(24);

  /** All of the PaymentIntent's refunds at Stripe, oldest first (Stripe lists newest first). */
  Mono<List<Refund>> refundsOf(String paymentIntentId) {
    RefundListParams params =
        RefundListParams.builder().setPaymentIntent(paymentIntentId).setLimit(100L).build();
    return call(
        "list refunds",
        () -> {
          List<Refund> all = new ArrayList<>();
          // every page, not the first: what is not listed is taken for never made
          client().refunds().list(params).autoPagingIterable().forEach(all::add);
          Collections.reverse(all);
          return all;
        });
  }

  private <T> Mono<T> call(String what, Callable<T> request) {
    return Mono.fromCallable(request)
        // stripe-java blocks on HTTP: never on a Netty thread
        .subscribeOn(Schedulers.boundedElastic())
        // 409: another request with the same idempotency key (a concurrent checkout) is still in
        // flight at Stripe; once it is done, the same key answers its object
        .retryWhen(
            Retry.backoff(KEY_IN_USE_RETRIES, Duration.ofMillis(100))
                .maxBackoff(Duration.ofSeconds(1))
                .filter(StripeGateway::keyInUse)
                .onRetryExhaustedThrow((spec, signal) -> signal.failure()))
        .onErrorMap(StripeException.class, e -> classify(what, e));
  }

  private static boolean keyInUse(Throwable e) {
    return e instanceof StripeException stripe
        && stripe.getStatusCode() != null
        && stripe.getStatusCode() == 409;
  }

  private static RuntimeException classify(String what, StripeException e) {
    Integer status = e.getStatusCode();
    if (e instanceof ApiConnectionException
        || status == null
        || status >= 500
        || status == 429
        || status == 409) {
      log.warn("Stripe could not " + what + ": " + e.getMessage());
      return ApiException.unavailable(
          "STRIPE_UNAVAILABLE",
          "The payment provider is not reachable right now; retry shortly.",
          2);
    }
    return new StripeRefusal(what, e);
  }

  /** Stripe refused a request (4xx): our request was wrong, or the state at Stripe forbids it. */
  static final class StripeRefusal extends RuntimeException {

    private final @Nullable String code;
    private final @Nullable String param;
    private final String reason;

    StripeRefusal(String what, StripeException cause) {
      super("Stripe refused to " + what + ": " + cause.getMessage(), cause);
      this.code = cause.getCode();
      this.param = cause.getStripeError() != null ? cause.getStripeError().getParam() : null;
      // Stripe's own message, without the request id getMessage() appends
      String message = cause.getStripeError() != null ? cause.getStripeError().getMessage() : null;
      this.reason =
          message == null || message.isBlank()
              ? "it refused the request."
              : message.strip() + (message.strip().endsWith(".") ? "" : ".");
    }

    /**
     * Whether Stripe refused the amount itself (under or over what it charges in the currency): the
     * one refusal a buyer can be told about. The others (a bad or revoked key, a missing
     * permission, a malformed request) are ours, and their messages name our key or account.
     */
    boolean ofTheAmount() {
      return "amount_too_small".equals(code) || "amount_too_large".equals(code);
    }

    /**
     * Whether Stripe refused the currency (one it does not charge in, or not for this account): the
     * buyer is told that, not Stripe's message, which lists every currency it takes.
     */
    boolean ofTheCurrency() {
      return "currency".equals(param);
    }

    /** Whether Stripe refused the payment method, as crypto on an account without it activated. */
    boolean ofThePaymentMethod() {
      return "payment_method_types".equals(param);
    }

    /** Why, in Stripe's words, as one sentence. */
    String reason() {
      return reason;
    }
  }

  private StripeClient client() {
    if (client == null) {
      throw notConfigured();
    }
    return client;
  }

  private Access access() {
    if (access == null) {
      throw notConfigured();
    }
    return access;
  }

  static ApiException notConfigured() {
    return ApiException.unavailable(
        "PAYMENTS_NOT_CONFIGURED",
        "Payments are not configured on this server (STRIPE_SECRET_KEY is not set).",
        3600);
  }

  private static Intent intent(PaymentIntent intent) {
    return new Intent(
        intent.getId(),
        intent.getClientSecret(),
        intent.getStatus(),
        StripeAmounts.fromStripe(intent.getCurrency(), intent.getAmount()),
        intent.getAmountReceived() == null
            ? 0
            : StripeAmounts.fromStripe(intent.getCurrency(), intent.getAmountReceived()),
        intent.getCurrency().toUpperCase(Locale.ROOT));
  }
}
