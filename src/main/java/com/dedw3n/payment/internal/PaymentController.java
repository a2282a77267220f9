package com.dedw3n.payment.internal;

import com.dedw3n.order.OrderLifecycle;
import com.dedw3n.order.OrderSummary;
import com.dedw3n.order.OrderView;
import com.dedw3n.platform.ThrottledLog;
import com.dedw3n.platform.graphql.ApiException;
import com.dedw3n.platform.graphql.IdempotencyKey;
import com.dedw3n.platform.graphql.Ids;
import com.dedw3n.platform.graphql.Money;
import com.dedw3n.platform.security.Viewer;
import com.dedw3n.price.internal.LockedPriceQuote;
import com.dedw3n.price.internal.PriceQuotes;
import java.math.BigDecimal;
import java.time.Clock;
import java.time.OffsetDateTime;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.hibernate.validator.constraints.Range;
import org.jspecify.annotations.Nullable;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.graphql.data.method.annotation.Argument;
import org.springframework.graphql.data.method.annotation.BatchMapping;
import org.springframework.graphql.data.method.annotation.MutationMapping;
import org.springframework.stereotype.Controller;
import org.springframework.transaction.reactive.TransactionalOperator;
import reactor.core.publisher.Mono;

/** checkout, refund and {@code Order.payment}. */
@Controller
class PaymentController {

  private static final ThrottledLog log = new ThrottledLog(PaymentController.class);

  private final StripeGateway stripe;
  private final Payments payments;
  private final OrderLifecycle orders;
  private final PaymentProgress progress;
  private final PriceQuotes quotes;
  private final TransactionalOperator transaction;
  private final Clock clock;

  PaymentController(
      StripeGateway stripe,
      Payments payments,
      OrderLifecycle orders,
      PaymentProgress progress,
      PriceQuotes quotes,
      TransactionalOperator transaction,
      ObjectProvider<Clock> clock) {
    this.stripe = stripe;
    this.payments = payments;
    this.orders = orders;
    this.progress = progress;
    this.quotes = quotes;
    this.transaction = transaction;
    this.clock = clock.getIfUnique(Clock::systemUTC);
  }

  /**
   * Three steps, so that no transaction waits on Stripe: (1) under the order's lock, check it and
   * start its payment at the order's total; (2) ask Stripe for the attempt's PaymentIntent with the
   * attempt's idempotency key, which answers the same PaymentIntent to every retried or concurrent
   * checkout, or read it back once it is linked; (3) link it to the payment. Stripe failing in (2)
   * changes nothing that a retry would not reuse.
   */
  @MutationMapping
  Mono<Checkout> checkout(@Argument String orderId, @Argument @Nullable String quoteId) {
    long id = Ids.parse("orderId", orderId);
    Long quote = quoteId == null ? null : Ids.parse("quoteId", quoteId);
    return Viewer.requireId()
        .flatMap(
            buyer -> {
              if (!stripe.configured()) {
                return Mono.error(StripeGateway.notConfigured());
              }
              // whether it is still honoured is checked in (1): a payment started with it keeps it
              Mono<LockedPriceQuote> locked =
                  quote == null ? Mono.empty() : quotes.ofBuyer(quote, buyer);
              return locked
                  .map(java.util.Optional::of)
                  .defaultIfEmpty(java.util.Optional.empty())
                  .flatMap(found -> start(id, buyer, found.orElse(null)))
                  .flatMap(
                      payment -> {
                        String unchargeable =
                            StripeAmounts.unchargeable(payment.currency(), payment.amount());
                        return unchargeable != null
                            ? Mono.<Checkout>error(
                                ApiException.conflict(
                                    "Order "
                                        + id
                                        + " cannot be paid by card: "
                                        + unchargeable
                                        + " Nothing was charged."))
                            : intentOf(payment)
                                .onErrorResume(
                                    e ->
                                        e instanceof StripeGateway.StripeRefusal refusal
                                            && (refusal.ofThePaymentMethod()
                                                || refusal.ofTheCurrency()
                                                || refusal.ofTheAmount())
                                            && payment.quoteId() != null
                                            && payment.paymentIntentId() == null,
                                    e ->
                                        releaseQuote(payment)
                                            .then(
                                                Mono.error(
                                                    ((StripeGateway.StripeRefusal) e)
                                                            .ofThePaymentMethod()
                                                        ? cryptoRefused(id, e)
                                                        : e)))
                                .onErrorMap(
                                    e ->
                                        e instanceof StripeGateway.StripeRefusal refusal
                                            && (refusal.ofTheAmount() || refusal.ofTheCurrency()),
                                    e ->
                                        refused(
                                            id,
                                            payment.currency(),
                                            (StripeGateway.StripeRefusal) e))
                                .flatMap(intent -> link(payment, intent));
                      });
            });
  }

  /**
   * Step (2): the attempt's PaymentIntent, created with the attempt's idempotency key; once one is
   * linked, read back by its id. Stripe keeps a key for 24 hours: a checkout after that (an order
   * without an expiry, from before V20) would otherwise create a second PaymentIntent, which the
   * payment does not link and whose success its webhook would not count.
   */
  private Mono<StripeGateway.Intent> intentOf(PaymentRow payment) {
    if (payment.paymentIntentId() != null) {
      return stripe.retrieveIntent(payment.paymentIntentId());
    }
    return stripe.createIntent(
        payment.orderId(),
        payment.attempt(),
        payment.amount(),
        payment.currency(),
        payment.quoteId() == null ? null : payment.quoteId().toString());
  }

  /**
   * The account does not take crypto (an operator's setting at Stripe, logged for them): the buyer
   * may pay by card, without the quote.
   */
  private static ApiException cryptoRefused(long orderId, Throwable e) {
    log.warn("Stripe refused a crypto PaymentIntent; is crypto activated on the account?", e);
    return ApiException.conflict(
        "Order "
            + orderId
            + " cannot be paid in crypto now; check out without a quote to pay another way."
            + " Nothing was charged.");
  }

  /**
   * A checkout with a quote that Stripe refused for good (crypto payments not activated on the
   * account, the order's currency or amount) lets go of its quote, so that the order can be paid by
   * card: the payment kept it, and every later checkout was CONFLICT ("started with quote N") until
   * the order expired. Any other failure keeps it, and its rate: Stripe unreachable, 5xx or 429,
   * and a refusal of ours (a revoked key, a missing permission), which the operator can fix.
   */
  private Mono<Void> releaseQuote(PaymentRow payment) {
    return orders
        .lock(payment.orderId())
        .then(payments.releaseQuote(payment.orderId(), payment.attempt()))
        .as(transaction::transactional);
  }

  /**
   * Stripe refused the amount (under its minimum charge for the currency, or over its maximum): the
   * buyer learns why, where an unclassified failure would say only INTERNAL_ERROR. The order stays
   * unpaid until it expires. Stripe's other refusals stay internal errors, logged for operators.
   */
  private static ApiException refused(
      long orderId, String currency, StripeGateway.StripeRefusal e) {
    if (e.ofTheCurrency()) {
      return ApiException.conflict(
          "The payment provider does not take payments in "
              + currency
              + ", the currency of order "
              + orderId
              + ". Nothing was charged.");
    }
    return ApiException.conflict(
        "The payment provider refuses to take payment for order "
            + orderId
            + ": "
            + e.reason()
            + " Nothing was charged.");
  }

  /**
   * Step (3): links the PaymentIntent, unless the order stopped waiting for payment meanwhile (it
   * expired): then the PaymentIntent is cancelled at Stripe, so that nobody pays a cancelled order.
   */
  private Mono<Checkout> link(PaymentRow payment, StripeGateway.Intent intent) {
    long orderId = payment.orderId();
    return orders
        .lock(orderId)
        .filter(order -> order.status().isUnpaid())
        .flatMap(
            order ->
                payments
                    .linkIntent(orderId, payment.attempt(), intent.id())
                    .thenReturn(checkout(payment, intent)))
        .as(transaction::transactional)
        .switchIfEmpty(
            Mono.defer(
                () ->
                    stripe
                        .cancelIntent(intent.id())
                        .then(
                            Mono.error(
                                ApiException.conflict(
                                    "Order " + orderId + " is no longer waiting for payment.")))));
  }

  /**
   * Step (1): the order's payment, started or as it stands, for its buyer only. A quote must be
   * honoured when the payment starts with it, not afterwards: a checkout retried after a failure at
   * Stripe, or for the client secret again, keeps the rate the payment started at until the order
   * expires.
   */
  private Mono<PaymentRow> start(long orderId, long buyer, @Nullable LockedPriceQuote quote) {
    return orders
        .lock(orderId)
        .filter(order -> order.buyerId() == buyer || order.sellerIds().contains(buyer))
        .switchIfEmpty(Mono.error(() -> ApiException.notFound("Order", orderId)))
        .flatMap(
            order -> {
              if (order.buyerId() != buyer) {
                return Mono.error(
                    ApiException.forbidden("Only the buyer of order " + orderId + " pays it."));
              }
              if (!order.status().isUnpaid()) {
                return Mono.error(
                    ApiException.conflict(
                        "Order "
                            + orderId
                            + " is "
                            + order.status()
                            + "; there is nothing to pay."));
              }
              OffsetDateTime expiresAt = order.expiresAt();
              if (expiresAt != null && !clock.instant().isBefore(expiresAt.toInstant())) {
                return Mono.error(
                    ApiException.conflict(
                        "Order " + orderId + " expired at " + expiresAt + "; place it again."));
              }
              CryptoPrice crypto = quote == null ? null : cryptoPrice(order, quote);
              return payments
                  .start(
                      orderId,
                      order.total().amount(),
                      order.total().currency(),
                      quote == null ? null : quote.id(),
                      quote == null ? null : quote.quote().symbol(),
                      quote == null ? null : quote.quote().price(),
                      crypto == null ? null : crypto.amount())
                  .flatMap(
                      started ->
                          started && quote != null
                              ? quotes.honoured(quote).then(payments.lock(orderId))
                              : payments.lock(orderId))
                  .flatMap(payment -> sameQuote(payment, quote))
                  .flatMap(
                      payment ->
                          "canceled".equals(payment.stripeStatus())
                              ? payments.nextAttempt(orderId).then(payments.lock(orderId))
                              : Mono.just(payment));
            })
        .as(transaction::transactional);
  }

  /**
   * A payment keeps the quote it started with (its PaymentIntent was created for it): a checkout
   * with another quote, or with none after one with a quote, is CONFLICT.
   */
  private static Mono<PaymentRow> sameQuote(PaymentRow payment, @Nullable LockedPriceQuote quote) {
    Long wanted = quote == null ? null : quote.id();
    if (java.util.Objects.equals(payment.quoteId(), wanted)) {
      return Mono.just(payment);
    }
    return Mono.error(
        ApiException.conflict(
            "Order "
                + payment.orderId()
                + "'s payment was started "
                + (payment.quoteId() == null
                    ? "without a quote"
                    : "with quote " + payment.quoteId())
                + "; check out the same way."));
  }

  /**
   * The order's total in the quote's coin, converted as {@code Product.priceIn} converts it
   * (rounded up to the coin's decimals: 6 for USDC, 8 for BTC); BAD_REQUEST for another currency.
   */
  private CryptoPrice cryptoPrice(OrderSummary order, LockedPriceQuote quote) {
    if (!quote.quote().currency().equals(order.total().currency())) {
      throw ApiException.badRequest(
          "Quote "
              + quote.id()
              + " is in "
              + quote.quote().currency()
              + " but order "
              + order.id()
              + " is in "
              + order.total().currency()
              + ".");
    }
    return new CryptoPrice(
        quote.quote().symbol(), quotes.coins(order.total(), quote).stripTrailingZeros());
  }

  /**
   * A seller gives back part or all of what was paid for their items. The amount is reserved (a
   * pending refund row) under the payment's lock before Stripe is called, so concurrent refunds can
   * never add up to more than was paid; the same key again answers the same refund.
   */
  @MutationMapping
  Mono<RefundResult> refund(
      @Argument String orderId,
      @Argument @Range(min = 1, max = Long.MAX_VALUE, message = "must be at least 1 minor unit")
          long amount,
      @Argument @IdempotencyKey String idempotencyKey) {
    long id = Ids.parse("orderId", orderId);
    return Viewer.requireId()
        .flatMap(
            seller -> {
              if (!stripe.configured()) {
                return Mono.error(StripeGateway.notConfigured());
              }
              return reserve(id, seller, amount, idempotencyKey)
                  .flatMap(
                      reserved ->
                          send(reserved.refund(), reserved.intentId(), reserved.currency()));
            });
  }

  private record Reserved(Payments.RefundRow refund, String intentId, String currency) {}

  private Mono<Reserved> reserve(long orderId, long seller, long amount, String key) {
    return orders
        .lock(orderId)
        .filter(order -> order.buyerId() == seller || order.sellerIds().contains(seller))
        .switchIfEmpty(Mono.error(() -> ApiException.notFound("Order", orderId)))
        .flatMap(
            order -> {
              if (!order.sellerIds().contains(seller)) {
                return Mono.error(
                    ApiException.forbidden("Only a seller of order " + orderId + " refunds it."));
              }
              return payments
                  .lock(orderId)
                  .filter(PaymentRow::succeeded)
                  .switchIfEmpty(
                      Mono.error(
                          () ->
                              ApiException.conflict(
                                  "Order "
                                      + orderId
                                      + " is not paid; there is nothing to refund.")))
                  .flatMap(
                      payment ->
                          payments
                              .refund(orderId, seller, key)
                              .flatMap(
                                  earlier ->
                                      earlier.amount() == amount
                                          ? Mono.just(earlier)
                                          : Mono.error(
                                              ApiException.conflict(
                                                  "The idempotency key "
                                                      + key
                                                      + " was used for a refund of "
                                                      + earlier.amount()
                                                      + "; use a new key for a new refund.")))
                              .switchIfEmpty(
                                  Mono.defer(() -> newRefund(order, payment, seller, amount, key)))
                              .map(
                                  refund ->
                                      new Reserved(
                                          refund, payment.paymentIntentId(), payment.currency())));
            })
        .as(transaction::transactional);
  }

  private Mono<Payments.RefundRow> newRefund(
      OrderSummary order, PaymentRow payment, long seller, long amount, String key) {
    String unchargeable = StripeAmounts.unchargeable(payment.currency(), amount);
    if (unchargeable != null) {
      return Mono.error(ApiException.badRequest("amount: " + unchargeable));
    }
    return Mono.zip(
            payments.reserved(order.id(), null),
            payments.reserved(order.id(), seller),
            orders.sellerTotal(order.id(), seller))
        .flatMap(
            sums -> {
              long refundable =
                  payment.amountReceived() - Math.max(sums.getT1(), payment.amountRefunded());
              long yours = sums.getT3() - sums.getT2();
              long limit = Math.min(refundable, yours);
              if (amount > limit) {
                return Mono.error(
                    ApiException.conflict(
                        "At most "
                            + PaymentProgress.money(Math.max(0, limit), payment.currency())
                            + " of order "
                            + order.id()
                            + " can still be refunded by you; nothing was refunded."));
              }
              return payments.insertRefund(order.id(), seller, key, amount);
            });
  }

  /**
   * Asks Stripe for the refund (once per refund id) and records what Stripe answered; answers the
   * refund as stored then (a webhook about it may have arrived first and taken it further).
   */
  private Mono<RefundResult> send(Payments.RefundRow refund, String intentId, String currency) {
    if (refund.stripeRefundId() != null
        || RefundReport.over(refund.status())
        // past Stripe's idempotency window the key would make a second refund were the first made
        // after all: RefundCheck asks Stripe about it instead, and ends it if Stripe never made it
        || refund
            .createdAt()
            .toInstant()
            .isBefore(clock.instant().minus(StripeGateway.IDEMPOTENCY_WINDOW))) {
      return Mono.just(result(refund, currency));
    }
    return stripe
        .refund(intentId, refund.amount(), currency, refund.id())
        // Stripe's answer, applied as its webhook event would be
        .flatMap(
            created ->
                progress
                    .refund(refund.orderId(), RefundReport.of(created))
                    .as(transaction::transactional))
        .then(Mono.defer(() -> payments.refundById(refund.id())))
        .map(stored -> result(stored, currency))
        .onErrorResume(
            StripeGateway.StripeRefusal.class,
            e ->
                payments
                    .refundRefused(refund.id(), e.getMessage())
                    .then(
                        Mono.error(
                            ApiException.conflict(
                                "The payment provider refused the refund; nothing was refunded."))));
  }

  /** The payment of every buyer's order on the page, in one statement; none for sellers. */
  @BatchMapping(typeName = "Order")
  Mono<Map<OrderView, PaymentView>> payment(List<OrderView> page) {
    List<Long> ids = page.stream().filter(OrderView::viewedByBuyer).map(OrderView::id).toList();
    if (ids.isEmpty()) {
      return Mono.just(Map.of());
    }
    return payments
        .ofOrders(ids)
        .collectMap(PaymentRow::orderId, Function.identity())
        .map(
            byOrder ->
                page.stream()
                    .filter(order -> order.viewedByBuyer() && byOrder.containsKey(order.id()))
                    .collect(
                        Collectors.toMap(
                            Function.identity(),
                            order -> PaymentView.of(byOrder.get(order.id())),
                            (a, b) -> a)));
  }

  private Checkout checkout(PaymentRow payment, StripeGateway.Intent intent) {
    return new Checkout(
        String.valueOf(payment.orderId()),
        intent.id(),
        intent.clientSecret(),
        stripe.publishableKey(),
        new Money(payment.amount(), payment.currency()),
        payment.quoteId() == null
            ? null
            : new CryptoCharge(
                String.valueOf(payment.quoteId()),
                payment.quoteSymbol(),
                payment.quotePrice().toPlainString(),
                payment.quoteCryptoAmount().toPlainString()));
  }

  private static RefundResult result(Payments.RefundRow refund, String currency) {
    return new RefundResult(
        String.valueOf(refund.id()),
        String.valueOf(refund.orderId()),
        new Money(refund.amount(), currency),
        refund.status().toUpperCase(java.util.Locale.ROOT));
  }

  private record CryptoPrice(String symbol, BigDecimal amount) {}

  /** The schema's {@code Checkout}. */
  record Checkout(
      String orderId,
      String paymentIntentId,
      String clientSecret,
      String publishableKey,
      Money amount,
      @Nullable CryptoCharge crypto) {}

  /** The schema's {@code CryptoCharge}: the locked quote a crypto checkout charges at. */
  record CryptoCharge(String quoteId, String symbol, String price, String amount) {}

  /** The schema's {@code Refund}. */
  record RefundResult(String id, String orderId, Money amount, String status) {}

  /** The schema's {@code Payment}. */
  record PaymentView(
      String status,
      Money amount,
      String currency,
      @Nullable OffsetDateTime paidAt,
      Money refunded,
      @Nullable CryptoCharge crypto) {

    static PaymentView of(PaymentRow p) {
      return new PaymentView(
          p.status(),
          new Money(p.amount(), p.currency()),
          p.currency(),
          p.paidAt(),
          new Money(p.amountRefunded(), p.currency()),
          p.quoteId() == null
              ? null
              : new CryptoCharge(
                  String.valueOf(p.quoteId()),
                  p.quoteSymbol(),
                  p.quotePrice().toPlainString(),
                  p.quoteCryptoAmount().toPlainString()));
    }
  }
}
