package com.dedw3n.payment.internal;

import com.stripe.Stripe;
import com.stripe.net.Webhook;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.QueryStringDecoder;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.security.GeneralSecurityException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import org.jspecify.annotations.Nullable;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;
import reactor.netty.DisposableServer;
import reactor.netty.http.server.HttpServer;
import reactor.netty.resources.LoopResources;

/**
 * A Stripe API on a loopback port, speaking Stripe's wire format (form-encoded requests, JSON
 * objects and errors, {@code Idempotency-Key} replay), for the development profile without keys and
 * for the tests: PaymentIntents (create, retrieve, cancel, confirm), refunds, and webhook events
 * signed with Stripe's scheme ({@code Stripe-Signature: t=...,v1=HMAC-SHA256(secret, t.payload)}).
 * Refunds are created, listed by PaymentIntent, and settled later when a test says so ({@link
 * #settleRefund}).
 *
 * <p>Confirming a PaymentIntent ({@code POST /v1/payment_intents/{id}/confirm} with {@code
 * payment_method=pm_card_visa}, or {@code pm_card_chargeDeclined} to fail) sends the webhook to the
 * application, as {@code stripe listen --forward-to} does against real Stripe. As with Stripe's
 * test card, a refund of a charge paid with {@code pm_card_refundFail} succeeds, then fails two
 * seconds later ({@code refund.updated}, {@code refund.failed}). Tests may also make it answer
 * errors ({@link #failWith}), answer late after doing the work ({@link #delay}), or take long over
 * creates, answering 409 to the same idempotency key meanwhile ({@link #processing}).
 */
public final class FakeStripe implements AutoCloseable {

  private static final Log log = LogFactory.getLog(FakeStripe.class);
  private static final java.util.regex.Pattern INTENT_PATH =
      java.util.regex.Pattern.compile("/v1/payment_intents/([A-Za-z0-9_]+)(/(cancel|confirm))?");

  private static final Duration REFUND_FAILS_AFTER = Duration.ofSeconds(2);
  private static final Duration STOP_WITHIN = Duration.ofSeconds(10);

  /** The keys of the fake; not secrets, and no real Stripe account takes them. */
  public static final String SECRET_KEY = "sk_test_dedw3n_fake_stripe";

  public static final String PUBLISHABLE_KEY = "pk_test_dedw3n_fake_stripe";
  public static final String WEBHOOK_SECRET = "whsec_dedw3n_fake_stripe_development_only";

  // its own event loop: Reactor Netty's global one is disposed whenever a Spring context of the
  // same JVM closes (tests start several), which would close this server's port under it
  private final LoopResources loop = LoopResources.create("fake-stripe", 1, true);
  private final DisposableServer server;
  private final Map<String, Map<String, Object>> intents = new ConcurrentHashMap<>();
  private final Map<String, Map<String, Object>> charges = new ConcurrentHashMap<>();
  // in the order they were made, as Stripe keeps them (guarded by itself)
  private final Map<String, Map<String, Object>> refunds = new LinkedHashMap<>();
  // charges paid with pm_card_refundFail: their refunds succeed, then fail
  private final java.util.Set<String> refundsFail = ConcurrentHashMap.newKeySet();
  private final Map<String, Replay> replays = new ConcurrentHashMap<>();
  // keys whose first request is being processed (guarded by replays)
  private final java.util.Set<String> inFlight = new java.util.HashSet<>();
  private final AtomicInteger keyInUse = new AtomicInteger();
  private final AtomicInteger intentCreates = new AtomicInteger();
  private final AtomicInteger cancels = new AtomicInteger();
  private final Map<String, AtomicInteger> intentReads = new ConcurrentHashMap<>();
  private final AtomicInteger refundCreates = new AtomicInteger();
  private final HttpClient webhookClient =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
  private volatile @Nullable String webhookUrl;
  private volatile int failStatus;
  private volatile Duration delay = Duration.ZERO;
  private volatile Duration processing = Duration.ZERO;
  private volatile boolean pendingRefunds;
  private volatile boolean cryptoRefused;

  private record Replay(String fingerprint, int status, String body) {}

  public FakeStripe() {
    this.server =
        HttpServer.create()
            .runOn(loop)
            .host("127.0.0.1")
            .port(0)
            .handle(
                (request, response) ->
                    request
                        .receive()
                        .aggregate()
                        .asString()
                        .defaultIfEmpty("")
                        .flatMap(
                            body -> {
                              Duration slow = delay;
                              return Mono.fromCallable(
                                      () ->
                                          answer(
                                              request.method().name(),
                                              new QueryStringDecoder(request.uri()).path(),
                                              request.requestHeaders().get("Authorization"),
                                              request.requestHeaders().get("Idempotency-Key"),
                                              // a GET's parameters are in its query string
                                              request.method().name().equals("GET")
                                                  ? form(
                                                      new QueryStringDecoder(request.uri())
                                                          .rawQuery())
                                                  : form(body)))
                                  // creates wait while their idempotency key is in use
                                  .subscribeOn(Schedulers.boundedElastic())
                                  // slow is the answer, not the work: as with a Stripe whose
                                  // answer is lost, the PaymentIntent exists all the same
                                  .delayElement(slow);
                            })
                        .flatMap(
                            answer ->
                                response
                                    .status(HttpResponseStatus.valueOf(answer.status()))
                                    .header("Content-Type", "application/json")
                                    .header("Request-Id", "req_" + UUID.randomUUID())
                                    .sendString(Mono.just(answer.body()))
                                    .then()))
            .bindNow();
  }

  /** The base URL stripe-java's {@code apiBase} takes. */
  public String baseUrl() {
    return "http://127.0.0.1:" + server.port();
  }

  /** Where confirmations send their webhook events; null: nowhere (tests deliver them). */
  public void webhookUrl(@Nullable String url) {
    this.webhookUrl = url;
  }

  /** From now on every request answers this status with Stripe's error body; 0: healthy again. */
  public void failWith(int status) {
    this.failStatus = status;
  }

  /**
   * From now on a PaymentIntent for crypto is refused, as for an account without stablecoin
   * payments activated; false: taken again.
   */
  public void refuseCrypto(boolean refused) {
    this.cryptoRefused = refused;
  }

  /** Each answer is held back this long, after the request's work is done. */
  public void delay(Duration delay) {
    this.delay = delay;
  }

  /**
   * Each create with an idempotency key takes this long while its key is in use: another request
   * with the key meanwhile is answered 409, as Stripe answers it.
   */
  public void processing(Duration processing) {
    this.processing = processing;
  }

  /** Forgets every idempotency key, as Stripe does with keys at least 24 hours old. */
  public void forgetIdempotencyKeys() {
    synchronized (replays) {
      replays.clear();
    }
  }

  /** Requests refused with 409 because the first request with their key was in flight. */
  public int keyInUseRefusals() {
    return keyInUse.get();
  }

  /** PaymentIntent create requests received (replays included). */
  public int intentCreates() {
    return intentCreates.get();
  }

  /** Distinct PaymentIntents created. */
  public int intents() {
    return intents.size();
  }

  public int refundCreates() {
    return refundCreates.get();
  }

  /** A PaymentIntent as Stripe would send it in an event, or null when unknown. */
  public @Nullable Map<String, Object> intent(String id) {
    Map<String, Object> intent = intents.get(id);
    return intent == null ? null : new LinkedHashMap<>(intent);
  }

  /** The PaymentIntents whose metadata names the order, oldest first. */
  public List<Map<String, Object>> intentsOfOrder(String orderId) {
    return intents.values().stream()
        .filter(i -> orderId.equals(((Map<?, ?>) i.get("metadata")).get("order_id")))
        .sorted(java.util.Comparator.comparingLong(i -> (Long) i.get("created")))
        .map(i -> (Map<String, Object>) new LinkedHashMap<>(i))
        .toList();
  }

  /**
   * Marks the PaymentIntent processing, as a confirmed bank debit (ACH, SEPA) stays for days, and
   * sends its event; Stripe refuses to cancel it meanwhile.
   */
  public void startProcessing(String intentId) {
    Map<String, Object> intent = intents.get(intentId);
    synchronized (intent) {
      intent.put("status", "processing");
      send("payment_intent.processing", intent);
    }
  }

  /**
   * A processing debit that failed (the account could not cover it): the intent can be paid again.
   */
  public void failDebit(String intentId) {
    Map<String, Object> intent = intents.get(intentId);
    synchronized (intent) {
      intent.put("status", "requires_payment_method");
      failed(intent, "insufficient_funds", "Insufficient funds.");
    }
  }

  /** Reads (GET) of this PaymentIntent received. */
  public int intentReads(String intentId) {
    AtomicInteger reads = intentReads.get(intentId);
    return reads == null ? 0 : reads.get();
  }

  /** PaymentIntent cancel requests received. */
  public int cancels() {
    return cancels.get();
  }

  /** Marks the PaymentIntent paid (as a confirmed card does) and answers it; sends its events. */
  public Map<String, Object> pay(String intentId) {
    Map<String, Object> intent = intents.get(intentId);
    synchronized (intent) {
      if ("processing".equals(intent.get("status"))) {
        intent.put("status", "requires_payment_method"); // the debit clears
      }
    }
    return confirm(intentId, "pm_card_visa");
  }

  /** Stripe's event envelope around an object. */
  public static String event(String id, String type, Map<String, Object> object, long created) {
    Map<String, Object> event = new LinkedHashMap<>();
    event.put("id", id);
    event.put("object", "event");
    event.put("api_version", Stripe.API_VERSION);
    event.put("created", created);
    event.put("livemode", false);
    event.put("pending_webhooks", 1);
    event.put("type", type);
    event.put("data", Map.of("object", object));
    return Json.write(event);
  }

  /** The Stripe-Signature header Stripe would send with this payload at this time. */
  public static String signature(String payload, String secret, long timestamp) {
    try {
      return Webhook.Signature.generateSignatureHeader(payload, secret, timestamp);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }

  @Override
  public void close() {
    server.disposeNow();
    // Stopped before close() returns, without a quiet period to wait out (nothing of the fake
    // outlives it). LoopResources.dispose() stopped it in the background with a 2 s quiet period
    // and reported a loop not stopped within 15 s as an error dropped on another thread, 15 s
    // later, into whatever ran then (a test's captured log); the loop did not stop once in a CI
    // run, the tasks that kept it busy unknown.
    try {
      loop.disposeLater(Duration.ZERO, STOP_WITHIN).block();
    } catch (RuntimeException e) {
      log.warn("Fake Stripe's event loop did not stop within " + STOP_WITHIN.toSeconds() + " s", e);
    }
  }

  private record Answer(int status, String body) {}

  private Answer answer(
      String method,
      String path,
      @Nullable String authorization,
      @Nullable String idempotencyKey,
      Map<String, String> form) {
    // as Stripe: the key as a bearer token (stripe-java) or as basic auth's user (curl -u key:)
    if (authorization == null
        || !(authorization.equals("Bearer " + SECRET_KEY)
            || authorization.equals(
                "Basic "
                    + java.util.Base64.getEncoder()
                        .encodeToString(
                            (SECRET_KEY + ":")
                                .getBytes(java.nio.charset.StandardCharsets.UTF_8))))) {
      return error(401, "invalid_request_error", "Invalid API Key provided.");
    }
    if (failStatus != 0) {
      return error(failStatus, "api_error", "The fake Stripe was told to fail.");
    }
    if (method.equals("POST") && path.equals("/v1/payment_intents")) {
      intentCreates.incrementAndGet();
      return idempotent(idempotencyKey, form, () -> createIntent(form));
    }
    if (method.equals("POST") && path.equals("/v1/refunds")) {
      refundCreates.incrementAndGet();
      return idempotent(idempotencyKey, form, () -> createRefund(form));
    }
    if (method.equals("GET") && path.equals("/v1/refunds")) {
      List<Map<String, Object>> data =
          new ArrayList<>(refundsOf(form.getOrDefault("payment_intent", "")));
      java.util.Collections.reverse(data); // Stripe lists newest first
      Map<String, Object> list = new LinkedHashMap<>();
      list.put("object", "list");
      list.put("data", data);
      list.put("has_more", false);
      list.put("url", "/v1/refunds");
      return new Answer(200, Json.write(list));
    }
    Matcher m = INTENT_PATH.matcher(path);
    if (m.matches()) {
      String id = m.group(1);
      if (!intents.containsKey(id)) {
        return error(404, "invalid_request_error", "No such payment_intent: '" + id + "'");
      }
      if (method.equals("GET") && m.group(3) == null) {
        intentReads.computeIfAbsent(id, key -> new AtomicInteger()).incrementAndGet();
        return ok(intents.get(id));
      }
      if (method.equals("POST") && "cancel".equals(m.group(3))) {
        return cancel(id);
      }
      if (method.equals("POST") && "confirm".equals(m.group(3))) {
        return ok(confirm(id, form.getOrDefault("payment_method", "pm_card_visa")));
      }
    }
    return error(
        404, "invalid_request_error", "Unrecognized request URL (" + method + ": " + path + ")");
  }

  /**
   * Stripe's idempotency: the same key replays the first answer, or refuses other parameters; while
   * the first request with a key is still being processed, another one with the key is refused with
   * 409 {@code idempotency_key_in_use} (Stripe does not queue it behind the first).
   */
  private Answer idempotent(
      @Nullable String key, Map<String, String> form, java.util.function.Supplier<Answer> create) {
    if (key == null) {
      return create.get();
    }
    String fingerprint = new java.util.TreeMap<>(form).toString();
    synchronized (replays) {
      Replay replay = replays.get(key);
      if (replay != null) {
        if (!replay.fingerprint().equals(fingerprint)) {
          return error(
              400,
              "idempotency_error",
              "Keys for idempotent requests can only be used with the same parameters they were"
                  + " first used with.");
        }
        return new Answer(replay.status(), replay.body());
      }
      if (!inFlight.add(key)) {
        keyInUse.incrementAndGet();
        return error(
            409,
            "invalid_request_error",
            "idempotency_key_in_use",
            "There is currently another in-progress request using this Idempotent Key (that"
                + " probably means you submitted twice, and the other request is still going"
                + " through): "
                + key
                + ". Please try again later.");
      }
    }
    try {
      Duration work = processing;
      if (!work.isZero()) {
        // on a bounded elastic thread: the fake's stand-in for the time Stripe works on a create
        Thread.sleep(work.toMillis());
      }
      Answer answer = create.get();
      synchronized (replays) {
        replays.put(key, new Replay(fingerprint, answer.status(), answer.body()));
      }
      return answer;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return error(500, "api_error", "Interrupted.");
    } finally {
      synchronized (replays) {
        inFlight.remove(key);
      }
    }
  }

  private Answer createIntent(Map<String, String> form) {
    long amount = Long.parseLong(form.getOrDefault("amount", "0"));
    String currency = form.getOrDefault("currency", "usd");
    if (("usd".equals(currency) || "eur".equals(currency)) && amount < 50) {
      // Stripe's minimum charge in these currencies (its documentation lists each currency's)
      return error(
          400,
          "invalid_request_error",
          "amount_too_small",
          "Amount must be at least " + ("usd".equals(currency) ? "$0.50 usd" : "€0.50 eur"));
    }
    if (cryptoRefused && "crypto".equals(form.get("payment_method_types[0]"))) {
      return refusedParameter(
          "payment_method_types",
          "The payment method type \"crypto\" is invalid. Please ensure the provided"
              + " type is activated in your dashboard.");
    }
    if (Set.of("irr", "kpw", "syp", "cup").contains(currency)) {
      // currencies Stripe does not list: refused by parameter, with no code
      return refusedParameter(
          "currency",
          "Invalid currency: "
              + currency
              + ". Stripe currently supports these currencies: usd, aed, afn, ...");
    }
    if (("isk".equals(currency) || "ugx".equals(currency)) && amount % 100 != 0) {
      // Stripe's króna (since April 2023) and shilling: two decimals in its API, whole units only
      return error(
          400,
          "invalid_request_error",
          "invalid_charge_amount_no_decimal_compatible",
          "Invalid amount. Currency "
              + currency.toUpperCase(Locale.ROOT)
              + " has become effectively zero-decimal and charged amounts"
              + " must be evenly divisible by 100.");
    }
    String id = "pi_" + random();
    Map<String, Object> intent = new LinkedHashMap<>();
    intent.put("id", id);
    intent.put("object", "payment_intent");
    intent.put("amount", Long.parseLong(form.getOrDefault("amount", "0")));
    intent.put("amount_received", 0L);
    intent.put("currency", form.getOrDefault("currency", "usd"));
    intent.put("status", "requires_payment_method");
    intent.put("client_secret", id + "_secret_" + random());
    intent.put("created", System.currentTimeMillis() / 1000);
    intent.put("livemode", false);
    intent.put("description", form.get("description"));
    intent.put("last_payment_error", null);
    intent.put("latest_charge", null);
    List<String> types = new ArrayList<>();
    form.forEach(
        (k, v) -> {
          if (k.startsWith("payment_method_types[")) {
            types.add(v);
          }
        });
    intent.put("metadata", metadata(form));
    intent.put("payment_method_types", types.isEmpty() ? List.of("card") : types);
    intents.put(id, intent);
    send("payment_intent.created", intent);
    return ok(intent);
  }

  private Answer cancel(String id) {
    cancels.incrementAndGet();
    synchronized (intents.get(id)) {
      Map<String, Object> intent = intents.get(id);
      if ("succeeded".equals(intent.get("status")) || "processing".equals(intent.get("status"))) {
        return error(
            400,
            "invalid_request_error",
            "You cannot cancel this PaymentIntent because it has a status of "
                + intent.get("status")
                + ".");
      }
      intent.put("status", "canceled");
      send("payment_intent.canceled", intent);
      return ok(intent);
    }
  }

  /** The intent's payment failed, as Stripe says it: its last error, and the event. */
  private void failed(Map<String, Object> intent, String code, String message) {
    intent.put(
        "last_payment_error", Map.of("type", "card_error", "code", code, "message", message));
    send("payment_intent.payment_failed", intent);
  }

  private Map<String, Object> confirm(String id, String paymentMethod) {
    Map<String, Object> intent = intents.get(id);
    synchronized (intent) {
      if (!"requires_payment_method".equals(intent.get("status"))) {
        return new LinkedHashMap<>(intent);
      }
      if (paymentMethod.contains("Declined")) {
        failed(intent, "card_declined", "Your card was declined.");
        return new LinkedHashMap<>(intent);
      }
      String chargeId = "ch_" + random();
      Map<String, Object> charge = new LinkedHashMap<>();
      charge.put("id", chargeId);
      charge.put("object", "charge");
      charge.put("amount", intent.get("amount"));
      charge.put("amount_refunded", 0L);
      charge.put("currency", intent.get("currency"));
      charge.put("payment_intent", id);
      charge.put("refunded", false);
      charge.put("status", "succeeded");
      charges.put(chargeId, charge);
      if (paymentMethod.contains("refundFail")) {
        refundsFail.add(chargeId);
      }
      intent.put("status", "succeeded");
      intent.put("amount_received", intent.get("amount"));
      intent.put("latest_charge", chargeId);
      intent.put("last_payment_error", null);
      send("payment_intent.succeeded", intent);
      return new LinkedHashMap<>(intent);
    }
  }

  private Answer createRefund(Map<String, String> form) {
    Map<String, Object> intent = intents.get(form.getOrDefault("payment_intent", ""));
    if (intent == null || intent.get("latest_charge") == null) {
      return error(
          400,
          "invalid_request_error",
          "This PaymentIntent does not have a successful charge to refund.");
    }
    synchronized (intent) {
      Map<String, Object> charge = charges.get((String) intent.get("latest_charge"));
      long amount =
          Long.parseLong(form.getOrDefault("amount", String.valueOf(charge.get("amount"))));
      long refunded = (Long) charge.get("amount_refunded");
      if (amount <= 0 || refunded + amount > (Long) charge.get("amount")) {
        return error(
            400,
            "invalid_request_error",
            "Refund amount is greater than unrefunded amount on charge.");
      }
      charge.put("amount_refunded", refunded + amount);
      charge.put("refunded", refunded + amount == (Long) charge.get("amount"));
      boolean failing = refundsFail.contains((String) charge.get("id"));
      Map<String, Object> refund = new LinkedHashMap<>();
      refund.put("id", "re_" + random());
      refund.put("object", "refund");
      refund.put("amount", amount);
      refund.put("currency", charge.get("currency"));
      refund.put("charge", charge.get("id"));
      refund.put("payment_intent", intent.get("id"));
      refund.put("status", pendingRefunds ? "pending" : "succeeded");
      refund.put("failure_reason", null);
      refund.put("metadata", metadata(form));
      refund.put("created", System.currentTimeMillis() / 1000);
      synchronized (refunds) {
        refunds.put((String) refund.get("id"), refund);
      }
      send("charge.refunded", charge);
      send("refund.created", refund);
      if (failing) {
        // as Stripe's test card: the refund succeeds, then fails a moment later
        Mono.delay(REFUND_FAILS_AFTER)
            .subscribe(
                tick ->
                    settleRefund((String) refund.get("id"), "failed", "expired_or_canceled_card"));
      }
      return ok(refund);
    }
  }

  /**
   * Settles a refund as Stripe does later, for a refund that was pending (a bank transfer) or that
   * fails after it succeeded (a closed card): sets its status (and why it failed), gives the charge
   * back the amount of a refund that failed, sends {@code refund.updated}, {@code
   * charge.refund.updated} and, for a failure, {@code refund.failed}; answers the refund.
   */
  public Map<String, Object> settleRefund(
      String refundId, String status, @Nullable String failureReason) {
    Map<String, Object> refund;
    synchronized (refunds) {
      refund = refunds.get(refundId);
    }
    if (refund == null) {
      throw new IllegalArgumentException("no refund " + refundId);
    }
    Map<String, Object> intent = intents.get((String) refund.get("payment_intent"));
    synchronized (intent) {
      boolean over = status.equals("failed") || status.equals("canceled");
      String was = (String) refund.get("status");
      if (over && !was.equals("failed") && !was.equals("canceled")) {
        Map<String, Object> charge = charges.get((String) refund.get("charge"));
        long refunded = (Long) charge.get("amount_refunded") - (Long) refund.get("amount");
        charge.put("amount_refunded", refunded);
        charge.put("refunded", false);
      }
      refund.put("status", status);
      refund.put("failure_reason", failureReason);
      send("refund.updated", refund);
      send("charge.refund.updated", refund);
      if (status.equals("failed")) {
        send("refund.failed", refund);
      }
      return new LinkedHashMap<>(refund);
    }
  }

  /** From now on, refunds are created pending (as for a bank debit) until {@link #settleRefund}. */
  public void pendingRefunds(boolean pending) {
    this.pendingRefunds = pending;
  }

  /** The refunds of the PaymentIntent, as Stripe would send them in events, oldest first. */
  public List<Map<String, Object>> refundsOf(String intentId) {
    synchronized (refunds) {
      return refunds.values().stream()
          .filter(r -> intentId.equals(r.get("payment_intent")))
          .map(r -> (Map<String, Object>) new LinkedHashMap<>(r))
          .toList();
    }
  }

  private static Map<String, Object> metadata(Map<String, String> form) {
    Map<String, Object> metadata = new LinkedHashMap<>();
    form.forEach(
        (k, v) -> {
          if (k.startsWith("metadata[") && k.endsWith("]")) {
            metadata.put(k.substring(9, k.length() - 1), v);
          }
        });
    return metadata;
  }

  /** Delivers the event to the webhook URL, if any, signed; in the background, a few tries. */
  private void send(String type, Map<String, Object> object) {
    String url = webhookUrl;
    if (url == null) {
      return;
    }
    String payload =
        event(
            "evt_" + random(),
            type,
            new LinkedHashMap<>(object),
            System.currentTimeMillis() / 1000);
    Mono.fromCallable(
            () -> {
              HttpRequest request =
                  HttpRequest.newBuilder(URI.create(url))
                      .timeout(Duration.ofSeconds(10))
                      .header("Content-Type", "application/json; charset=utf-8")
                      .header(
                          "Stripe-Signature",
                          signature(payload, WEBHOOK_SECRET, System.currentTimeMillis() / 1000))
                      .POST(HttpRequest.BodyPublishers.ofString(payload))
                      .build();
              int status =
                  webhookClient.send(request, HttpResponse.BodyHandlers.discarding()).statusCode();
              if (status / 100 != 2) {
                throw new IllegalStateException("webhook answered " + status);
              }
              return status;
            })
        .subscribeOn(Schedulers.boundedElastic())
        .retryWhen(reactor.util.retry.Retry.backoff(5, Duration.ofSeconds(1)))
        .subscribe(
            status -> {},
            e -> log.warn("Fake Stripe could not deliver " + type + " to " + url + ": " + e));
  }

  private static Answer ok(Map<String, Object> object) {
    return new Answer(200, Json.write(object));
  }

  private static Answer error(int status, String type, String message) {
    return new Answer(
        status, Json.write(Map.of("error", Map.of("type", type, "message", message))));
  }

  /** Stripe's 400 for a parameter it does not take: named in {@code param}, with no code. */
  private static Answer refusedParameter(String param, String message) {
    return new Answer(
        400,
        Json.write(
            Map.of(
                "error",
                Map.of("type", "invalid_request_error", "param", param, "message", message))));
  }

  private static Answer error(int status, String type, String code, String message) {
    return new Answer(
        status,
        Json.write(Map.of("error", Map.of("type", type, "code", code, "message", message))));
  }

  private static Map<String, String> form(String body) {
    Map<String, String> form = new LinkedHashMap<>();
    new QueryStringDecoder("?" + body)
        .parameters()
        .forEach((k, v) -> form.put(k, v.isEmpty() ? "" : v.get(0)));
    return form;
  }

  private static String random() {
    return UUID.randomUUID().toString().replace("-", "").substring(0, 24).toLowerCase(Locale.ROOT);
  }

  /** Stripe's JSON: Gson, as stripe-java itself, with nulls written as Stripe writes them. */
  static final class Json {
    private static final com.google.gson.Gson GSON =
        new com.google.gson.GsonBuilder().serializeNulls().create();

    static String write(Object value) {
      return GSON.toJson(value);
    }
  }
}
