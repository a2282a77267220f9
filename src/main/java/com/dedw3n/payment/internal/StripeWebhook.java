package com.dedw3n.payment.internal;

import com.dedw3n.order.OrderLifecycle;
import com.dedw3n.platform.db.DatabaseErrors;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import com.stripe.exception.SignatureVerificationException;
import com.stripe.model.Event;
import com.stripe.net.Webhook;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import org.jspecify.annotations.Nullable;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.transaction.reactive.TransactionalOperator;
import org.springframework.web.reactive.function.server.ServerRequest;
import org.springframework.web.reactive.function.server.ServerResponse;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * {@code POST /webhooks/stripe}: Stripe's events about our PaymentIntents and charges.
 *
 * <ul>
 *   <li>The signature is verified on the raw body by stripe-java's {@code Webhook.constructEvent}
 *       with the endpoint's secret, refusing a timestamp older than the tolerance (300 s) and,
 *       here, one further in the future than the allowed skew: 400 and no effect.
 *   <li>Each event id is recorded in the transaction of its effect: a duplicate, even delivered ten
 *       times at once, waits on the id's primary key and then changes nothing.
 *   <li>Events commute: they add facts to the payment (succeeded, amount refunded), and the order's
 *       status follows from the facts ({@link PaymentProgress}), so any order of arrival ends the
 *       same.
 *   <li>2xx only once the effect committed; a database that cannot answer is 503, so Stripe
 *       delivers again.
 * </ul>
 */
class StripeWebhook {

  private static final Log log = LogFactory.getLog(StripeWebhook.class);

  /** The events whose object is one refund, as Stripe names them in API versions old and new. */
  private static final Set<String> REFUND_EVENTS =
      Set.of("refund.created", "refund.updated", "refund.failed", "charge.refund.updated");

  private final StripeGateway stripe;
  private final Payments payments;
  private final OrderLifecycle orders;
  private final PaymentProgress progress;
  private final TransactionalOperator transaction;
  private final PaymentSettings settings;
  private final Clock clock;

  StripeWebhook(
      StripeGateway stripe,
      Payments payments,
      OrderLifecycle orders,
      PaymentProgress progress,
      TransactionalOperator transaction,
      PaymentSettings settings,
      Clock clock) {
    this.stripe = stripe;
    this.payments = payments;
    this.orders = orders;
    this.progress = progress;
    this.transaction = transaction;
    this.settings = settings;
    this.clock = clock;
  }

  Mono<ServerResponse> receive(ServerRequest request) {
    String secret = stripe.webhookSecret();
    if (secret.isBlank()) {
      // Stripe keeps the event and retries; the log says what to configure
      log.warn("A Stripe webhook arrived but STRIPE_WEBHOOK_SECRET is not set");
      return answer(HttpStatus.SERVICE_UNAVAILABLE, "webhooks are not configured");
    }
    String signature = request.headers().firstHeader("Stripe-Signature");
    return request
        .bodyToMono(String.class)
        .defaultIfEmpty("")
        .flatMap(
            payload -> {
              Event event;
              try {
                event = verified(payload, signature, secret);
              } catch (SignatureVerificationException | RuntimeException e) {
                return answer(HttpStatus.BAD_REQUEST, "refused: " + e.getMessage());
              }
              return apply(event)
                  .as(transaction::transactional)
                  .flatMap(outcome -> answer(HttpStatus.OK, outcome))
                  .onErrorResume(
                      e -> {
                        if (DatabaseErrors.classify(e) != null) {
                          log.warn("Stripe event " + event.getId() + " not applied now: " + e);
                          return answer(HttpStatus.SERVICE_UNAVAILABLE, "retry later");
                        }
                        log.error("Stripe event " + event.getId() + " failed", e);
                        return answer(HttpStatus.INTERNAL_SERVER_ERROR, "retry later");
                      });
            });
  }

  /** The event, if the header signs this exact payload within the time window; throws otherwise. */
  private Event verified(String payload, @Nullable String header, String secret)
      throws SignatureVerificationException {
    if (header == null) {
      throw new SignatureVerificationException("no Stripe-Signature header", null);
    }
    long signedAt = timestamp(header);
    long latest = clock.instant().plus(settings.webhookFutureSkew()).getEpochSecond();
    if (signedAt > latest) {
      throw new SignatureVerificationException("timestamp in the future", header);
    }
    return Webhook.constructEvent(
        payload, header, secret, settings.webhookTolerance().toSeconds(), clock);
  }

  private static long timestamp(String header) throws SignatureVerificationException {
    for (String part : header.split(",")) {
      String[] kv = part.split("=", 2);
      if (kv.length == 2 && kv[0].strip().equals("t")) {
        try {
          return Long.parseLong(kv[1].strip());
        } catch (NumberFormatException e) {
          break;
        }
      }
    }
    throw new SignatureVerificationException("no timestamp in Stripe-Signature", header);
  }

  /** Records the event and applies it, in the caller's transaction; answers the outcome. */
  private Mono<String> apply(Event event) {
    String type = event.getType();
    return payments
        .recordEvent(event.getId(), type)
        .flatMap(
            fresh -> {
              if (!fresh) {
                return Mono.just("duplicate");
              }
              JsonObject object = dataObject(event);
              String intentId =
                  type.startsWith("payment_intent.")
                      ? string(object, "id")
                      : type.startsWith("charge.") || type.startsWith("refund.")
                          ? string(object, "payment_intent")
                          : null;
              if (intentId == null) {
                return outcome(event, null, "ignored");
              }
              return orderOf(intentId, object)
                  .flatMap(orderId -> applyTo(orderId, intentId, event, object))
                  .switchIfEmpty(outcome(event, null, "unknown payment intent"));
            });
  }

  /** The order of our PaymentIntent: linked at checkout, or named in its metadata. */
  private Mono<Long> orderOf(String intentId, JsonObject object) {
    return payments
        .orderOfIntent(intentId)
        .switchIfEmpty(
            Mono.justOrEmpty(
                Optional.ofNullable(metadata(object, "order_id")).flatMap(StripeWebhook::parseId)));
  }

  private Mono<String> applyTo(long orderId, String intentId, Event event, JsonObject object) {
    return orders
        .lock(orderId)
        .flatMap(
            order ->
                payments
                    .lock(orderId)
                    .flatMap(
                        before -> {
                          String attempt = metadata(object, "attempt");
                          if (before.paymentIntentId() == null && attempt == null) {
                            // not one we created (ours name their attempt): another integration
                            // on the account may put an order_id in its metadata too
                            return Mono.just("not ours (no attempt in its metadata)");
                          }
                          if (before.paymentIntentId() != null
                              ? !before.paymentIntentId().equals(intentId)
                              : !attempt.equals(String.valueOf(before.attempt()))) {
                            // a canceled earlier attempt's PaymentIntent, also while the next
                            // attempt has none linked yet: its news are not the next attempt's
                            return Mono.just("other attempt");
                          }
                          Mono<Void> link =
                              before.paymentIntentId() == null && attempt != null
                                  ? payments.linkIntent(orderId, before.attempt(), intentId)
                                  : Mono.empty();
                          if (REFUND_EVENTS.contains(event.getType())) {
                            RefundReport refund = RefundReport.of(object);
                            return link.then(
                                refund == null
                                    ? Mono.just("not a refund")
                                    : progress.refund(order, before, refund));
                          }
                          PaymentRow after = after(before, event, object);
                          if (after == null) {
                            return link.thenReturn(PaymentProgress.MISMATCH);
                          }
                          if (event.getType().equals("charge.refunded")) {
                            return link.then(listedRefunds(orderId, object));
                          }
                          return link.then(progress.settle(order, before, after));
                        }))
        .defaultIfEmpty("no payment for order")
        .flatMap(outcome -> outcome(event, orderId, outcome));
  }

  /**
   * The refunds a {@code charge.refunded} lists, each applied as its own event would be. Since API
   * version 2022-11-15 Stripe lists none there, and the refund events carry each refund: the
   * charge's {@code amount_refunded} alone is not applied, because it counts refunds still pending,
   * which may yet fail.
   */
  private Mono<String> listedRefunds(long orderId, JsonObject charge) {
    JsonElement refunds = charge.get("refunds");
    JsonElement data =
        refunds != null && refunds.isJsonObject() ? refunds.getAsJsonObject().get("data") : null;
    if (data == null || !data.isJsonArray() || data.getAsJsonArray().isEmpty()) {
      return Mono.just("recorded (the refund events carry the refunds)");
    }
    List<JsonElement> listed = new ArrayList<>();
    data.getAsJsonArray().forEach(listed::add);
    // Stripe lists a charge's refunds newest first; applied in the order they happened, a refund
    // made again after one that failed is not taken for one too many
    Collections.reverse(listed);
    return Flux.fromIterable(listed)
        .filter(JsonElement::isJsonObject)
        .mapNotNull(refund -> RefundReport.of(refund.getAsJsonObject()))
        // one after the other, each under the order's and the payment's lock, each seeing the last
        .concatMap(refund -> progress.refund(orderId, refund))
        .collect(Collectors.joining("; "))
        .map(outcomes -> outcomes.isEmpty() ? "recorded (no refund listed)" : outcomes);
  }

  /** The payment's facts after the event; null when the event contradicts the order's amount. */
  private @Nullable PaymentRow after(PaymentRow p, Event event, JsonObject object) {
    String currency = string(object, "currency");
    // Stripe always names the currency of a PaymentIntent and a charge: an event without one is
    // not one we can check, so it is not applied either
    boolean sameCurrency = currency != null && currency.equalsIgnoreCase(p.currency());
    switch (event.getType()) {
      case "payment_intent.succeeded" -> {
        long received = StripeAmounts.fromStripe(currency, number(object, "amount_received"));
        PaymentRow paid =
            p.paidWith(
                received,
                currency,
                Instant.ofEpochSecond(event.getCreated()).atOffset(ZoneOffset.UTC));
        if (paid == null) {
          mismatch(event, p, received + " " + currency + " received");
        }
        return paid;
      }
      case "charge.refunded" -> {
        // the charge is the order's whole payment: its amount is the order's total, and no more
        // than that can have been refunded of it; the refunds themselves apply one by one
        long charged = StripeAmounts.fromStripe(currency, number(object, "amount"));
        long refunded = StripeAmounts.fromStripe(currency, number(object, "amount_refunded"));
        if (charged != p.amount() || !sameCurrency || refunded < 0 || refunded > charged) {
          mismatch(event, p, refunded + " of " + charged + " " + currency + " refunded");
          return null;
        }
        return p;
      }
      case "payment_intent.payment_failed" -> {
        if (p.succeeded()) {
          return p;
        }
        JsonElement error = object.get("last_payment_error");
        String message =
            error != null
                    && error.isJsonObject()
                    && string(error.getAsJsonObject(), "message") != null
                ? string(error.getAsJsonObject(), "message")
                : "The payment failed.";
        return new PaymentRow(
            p.orderId(),
            p.attempt(),
            p.paymentIntentId(),
            p.amount(),
            p.currency(),
            statusOr(object, "requires_payment_method"),
            p.amountReceived(),
            p.amountRefunded(),
            false,
            p.paidAt(),
            message,
            p.quoteId(),
            p.quoteSymbol(),
            p.quotePrice(),
            p.quoteCryptoAmount());
      }
      default -> {
        if (p.succeeded() || !event.getType().startsWith("payment_intent.")) {
          return p;
        }
        // created, processing, requires_action, canceled: Stripe's status, nothing else
        return new PaymentRow(
            p.orderId(),
            p.attempt(),
            p.paymentIntentId(),
            p.amount(),
            p.currency(),
            statusOr(object, p.stripeStatus()),
            p.amountReceived(),
            p.amountRefunded(),
            false,
            p.paidAt(),
            p.lastFailure(),
            p.quoteId(),
            p.quoteSymbol(),
            p.quotePrice(),
            p.quoteCryptoAmount());
      }
    }
  }

  private static void mismatch(Event event, PaymentRow p, String reported) {
    log.error(
        "Stripe event "
            + event.getId()
            + " reports "
            + reported
            + " for order "
            + p.orderId()
            + ", which costs "
            + p.amount()
            + " "
            + p.currency()
            + "; not applied");
  }

  static PaymentRow withRefunded(PaymentRow p, long refunded) {
    return new PaymentRow(
        p.orderId(),
        p.attempt(),
        p.paymentIntentId(),
        p.amount(),
        p.currency(),
        p.stripeStatus(),
        p.amountReceived(),
        refunded,
        p.succeeded(),
        p.paidAt(),
        p.lastFailure(),
        p.quoteId(),
        p.quoteSymbol(),
        p.quotePrice(),
        p.quoteCryptoAmount());
  }

  private Mono<String> outcome(Event event, @Nullable Long orderId, String outcome) {
    return payments.eventOutcome(event.getId(), orderId, outcome).thenReturn(outcome);
  }

  private static Mono<ServerResponse> answer(HttpStatus status, String outcome) {
    return ServerResponse.status(status)
        .contentType(MediaType.APPLICATION_JSON)
        .bodyValue(Map.of("received", status.is2xxSuccessful(), "outcome", outcome));
  }

  private static JsonObject dataObject(Event event) {
    String raw = event.getDataObjectDeserializer().getRawJson();
    return raw == null ? new JsonObject() : JsonParser.parseString(raw).getAsJsonObject();
  }

  private static String statusOr(JsonObject object, String fallback) {
    String status = string(object, "status");
    return status == null ? fallback : status;
  }

  private static @Nullable String string(JsonObject object, String field) {
    JsonElement value = object.get(field);
    return value == null || value.isJsonNull() || !value.isJsonPrimitive()
        ? null
        : value.getAsString();
  }

  private static long number(JsonObject object, String field) {
    JsonElement value = object.get(field);
    return value == null || value.isJsonNull() ? 0 : value.getAsLong();
  }

  private static @Nullable String metadata(JsonObject object, String key) {
    JsonElement metadata = object.get("metadata");
    return metadata != null && metadata.isJsonObject()
        ? string(metadata.getAsJsonObject(), key)
        : null;
  }

  private static Optional<Long> parseId(String text) {
    try {
      return Optional.of(Long.parseLong(text));
    } catch (NumberFormatException e) {
      return Optional.empty();
    }
  }
}
