package com.dedw3n.payment.internal;

import static org.assertj.core.api.Assertions.assertThat;

import com.dedw3n.ApiTests;
import com.dedw3n.BlockingCalls;
import io.micrometer.core.instrument.MeterRegistry;
import java.math.BigDecimal;
import java.net.URI;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.core.io.FileSystemResource;
import org.springframework.graphql.client.WebSocketGraphQlClient;
import org.springframework.graphql.support.ResourceDocumentSource;
import org.springframework.http.HttpHeaders;
import org.springframework.http.MediaType;
import org.springframework.web.reactive.socket.client.ReactorNettyWebSocketClient;
import reactor.core.publisher.Flux;

/**
 * Payments through the GraphQL API and the webhook endpoint, against the fake Stripe the
 * development profile starts on loopback (stripe-java speaks HTTP to it). The tests deliver the
 * webhook events themselves, signed as Stripe signs them, so they choose the order, the duplicates
 * and the faults; one test lets the fake deliver them, as in development.
 */
class PaymentTests extends ApiTests {

  @Autowired FakeStripe stripe;
  @Autowired UnpaidOrderExpiry expiry;
  @Autowired RefundCheck refundCheck;
  @Autowired MeterRegistry meters;

  @Value("${dedw3n.order.status-recheck}")
  Duration statusRecheck;

  @BeforeEach
  void testsDeliverTheEvents() {
    stripe.webhookUrl(null);
    stripe.pendingRefunds(false);
    stripe.failWith(0);
    stripe.delay(Duration.ZERO);
    stripe.processing(Duration.ZERO);
  }

  @AfterEach
  void healthyAgain() {
    stripe.pendingRefunds(false);
    stripe.failWith(0);
    stripe.delay(Duration.ZERO);
    stripe.processing(Duration.ZERO);
  }

  @Test
  void concurrentCheckoutsOfOneOrderShareOnePaymentIntentForTheOrdersTotal() {
    var seller = signUp("Seller");
    var buyer = signUp("Buyer");
    String order = placeOrder(buyer, product(seller, 1250, 5), 2);
    int before = stripe.intents();
    int refusedBefore = stripe.keyInUseRefusals();
    // Stripe works on the first create for a while and answers 409 to the others meanwhile
    stripe.processing(Duration.ofMillis(500));
    Set<String> intents = ConcurrentHashMap.newKeySet();
    Flux.range(0, 8)
        .parallel(8)
        .runOn(BlockingCalls.SCHEDULER)
        .doOnNext(i -> intents.add(checkout(buyer, order).paymentIntentId()))
        .sequential()
        .blockLast(Duration.ofSeconds(60));
    assertThat(intents).hasSize(1);
    assertThat(stripe.intents()).isEqualTo(before + 1);
    // the 409s happened, and were waited out instead of failing a checkout
    assertThat(stripe.keyInUseRefusals()).isGreaterThan(refusedBefore);
    stripe.processing(Duration.ZERO);
    var intent = stripe.intent(intents.iterator().next());
    assertThat(intent.get("amount")).isEqualTo(2500L);
    assertThat(intent.get("currency")).isEqualTo("usd");
    var answer = buyer.graphQl().documentName("checkout").variable("orderId", order).execute();
    answer
        .path("checkout.publishableKey")
        .entity(String.class)
        .isEqualTo(FakeStripe.PUBLISHABLE_KEY);
    answer.path("checkout.amount.amount").entity(Long.class).isEqualTo(2500L);
    answer
        .path("checkout.clientSecret")
        .entity(String.class)
        .satisfies(s -> assertThat(s).startsWith(intents.iterator().next()));
  }

  @Test
  void aSignedSuccessEventMarksTheOrderPaidAndQueuesOneConfirmationMail() {
    var seller = signUp("Seller");
    var buyer = signUp("Buyer");
    String order = placeOrder(buyer, product(seller, 999, 3), 1);
    String pi = checkout(buyer, order).paymentIntentId();
    assertThat(payment(buyer, order).get("expiresAt")).isNotNull();
    String event = event("payment_intent.succeeded", stripe.pay(pi));
    assertThat(deliver(event, sign(event, now()))).isEqualTo(200);
    var payment = payment(buyer, order);
    assertThat(payment.get("status")).isEqualTo("PAID");
    // paid, it no longer expires
    assertThat(payment.get("expiresAt")).isNull();
    assertThat(((Map<?, ?>) payment.get("payment")).get("status")).isEqualTo("SUCCEEDED");
    assertThat(((Map<?, ?>) payment.get("payment")).get("paidAt")).isNotNull();
    assertThat(mails("order-paid:" + order)).isEqualTo(1);
    // paid: nothing left to pay
    buyer
        .graphQl()
        .documentName("checkout")
        .variable("orderId", order)
        .execute()
        .errors()
        .expect(e -> e.getErrorType().toString().equals("CONFLICT"))
        .verify();
  }

  @Test
  void tenConcurrentDeliveriesOfOneEventHaveOneEffect() {
    var seller = signUp("Seller");
    var buyer = signUp("Buyer");
    String order = placeOrder(buyer, product(seller, 700, 3), 1);
    String pi = checkout(buyer, order).paymentIntentId();
    String event = event("payment_intent.succeeded", stripe.pay(pi));
    String signature = sign(event, now());
    List<Integer> statuses = new java.util.concurrent.CopyOnWriteArrayList<>();
    Flux.range(0, 10)
        .parallel(10)
        .runOn(BlockingCalls.SCHEDULER)
        .doOnNext(i -> statuses.add(deliver(event, signature)))
        .sequential()
        .blockLast(Duration.ofSeconds(60));
    assertThat(statuses).hasSize(10).allMatch(s -> s == 200);
    assertThat(count("SELECT count(*) FROM stripe_events WHERE order_id = $1", order)).isEqualTo(1);
    assertThat(mails("order-paid:" + order)).isEqualTo(1);
    assertThat(payment(buyer, order).get("status")).isEqualTo("PAID");
    // and once more later: still one effect
    assertThat(deliver(event, sign(event, now()))).isEqualTo(200);
    assertThat(mails("order-paid:" + order)).isEqualTo(1);
  }

  @Test
  void eventsInAnyOrderEndTheSame() {
    var seller = signUp("Seller");
    var buyer = signUp("Buyer");
    String order = placeOrder(buyer, product(seller, 1000, 3), 1);
    String pi = checkout(buyer, order).paymentIntentId();
    Map<String, Object> created = stripe.intent(pi);
    Map<String, Object> paid = stripe.pay(pi);
    // the refund's event first, then the success, then the creation
    Map<String, Object> refund = refundAtStripe("re_early_" + order, pi, 400, "succeeded");
    delivered("refund.updated", refund);
    assertThat(payment(buyer, order).get("status")).isEqualTo("PENDING_PAYMENT");
    delivered("payment_intent.succeeded", paid);
    delivered("payment_intent.created", created);
    var after = payment(buyer, order);
    assertThat(after.get("status")).isEqualTo("PARTIALLY_REFUNDED");
    var payment = (Map<?, ?>) after.get("payment");
    assertThat(payment.get("status")).isEqualTo("PARTIALLY_REFUNDED");
    assertThat(((Map<?, ?>) payment.get("refunded")).get("amount")).isEqualTo(400);
    // a later, older view of the refund (pending, as it was at its creation) lowers nothing
    refund.put("status", "pending");
    delivered("refund.created", refund);
    assertThat(refunded(buyer, order)).isEqualTo(400);
    delivered("refund.updated", refundAtStripe("re_rest_" + order, pi, 600, "succeeded"));
    assertThat(payment(buyer, order).get("status")).isEqualTo("REFUNDED");
  }

  @Test
  void aFailureThenASuccessEndsPaidWhateverTheirOrder() {
    var seller = signUp("Seller");
    var buyer = signUp("Buyer");
    String first = placeOrder(buyer, product(seller, 500, 3), 1);
    String pi = checkout(buyer, first).paymentIntentId();
    Map<String, Object> declined = stripe.intent(pi);
    declined.put("last_payment_error", Map.of("message", "Your card was declined."));
    String failed = event("payment_intent.payment_failed", declined);
    assertThat(deliver(failed, sign(failed, now()))).isEqualTo(200);
    assertThat(payment(buyer, first).get("status")).isEqualTo("PAYMENT_FAILED");
    assertThat(((Map<?, ?>) payment(buyer, first).get("payment")).get("status"))
        .isEqualTo("FAILED");
    // retry possible: checkout again answers the same PaymentIntent, which is then paid
    assertThat(checkout(buyer, first).paymentIntentId()).isEqualTo(pi);
    String succeeded = event("payment_intent.succeeded", stripe.pay(pi));
    assertThat(deliver(succeeded, sign(succeeded, now()))).isEqualTo(200);
    assertThat(payment(buyer, first).get("status")).isEqualTo("PAID");
    // the failure arriving after the success changes nothing
    String late = event("payment_intent.payment_failed", declined);
    assertThat(deliver(late, sign(late, now()))).isEqualTo(200);
    assertThat(payment(buyer, first).get("status")).isEqualTo("PAID");
  }

  @Test
  void badSignaturesReSerialisedBodiesAndStaleOrFutureTimestampsAre400WithNoEffect() {
    var seller = signUp("Seller");
    var buyer = signUp("Buyer");
    String order = placeOrder(buyer, product(seller, 300, 3), 1);
    String pi = checkout(buyer, order).paymentIntentId();
    String event = event("payment_intent.succeeded", stripe.pay(pi));
    long now = now();
    String forged = FakeStripe.signature(event, "whsec_someone_else", now);
    assertThat(deliver(event, forged)).isEqualTo(400);
    assertThat(deliver(event.replace(",", ", "), sign(event, now))).isEqualTo(400);
    assertThat(deliver(event, sign(event, now - 301))).isEqualTo(400);
    assertThat(deliver(event, sign(event, now + 600))).isEqualTo(400);
    assertThat(deliver(event, null)).isEqualTo(400);
    assertThat(deliver(event, "t=" + now + ",v1=" + "0".repeat(64))).isEqualTo(400);
    assertThat(count("SELECT count(*) FROM stripe_events WHERE order_id = $1", order)).isZero();
    assertThat(payment(buyer, order).get("status")).isEqualTo("PENDING_PAYMENT");
    // within the tolerance it is taken
    assertThat(deliver(event, sign(event, now - 250))).isEqualTo(200);
    assertThat(payment(buyer, order).get("status")).isEqualTo("PAID");
  }

  @Test
  void anEventWhoseAmountIsNotTheOrdersChangesNothing() {
    var seller = signUp("Seller");
    var buyer = signUp("Buyer");
    String order = placeOrder(buyer, product(seller, 2000, 3), 1);
    String pi = checkout(buyer, order).paymentIntentId();
    Map<String, Object> paid = stripe.pay(pi);
    paid.put("amount_received", 1L);
    String event = event("payment_intent.succeeded", paid);
    assertThat(deliver(event, sign(event, now()))).isEqualTo(200);
    assertThat(payment(buyer, order).get("status")).isEqualTo("PENDING_PAYMENT");
    Map<String, Object> otherCurrency = stripe.intent(pi);
    otherCurrency.put("currency", "eur");
    String wrong = event("payment_intent.succeeded", otherCurrency);
    assertThat(deliver(wrong, sign(wrong, now()))).isEqualTo(200);
    assertThat(payment(buyer, order).get("status")).isEqualTo("PENDING_PAYMENT");
    Map<String, Object> noCurrency = stripe.intent(pi);
    noCurrency.remove("currency");
    String unnamed = event("payment_intent.succeeded", noCurrency);
    assertThat(deliver(unnamed, sign(unnamed, now()))).isEqualTo(200);
    assertThat(payment(buyer, order).get("status")).isEqualTo("PENDING_PAYMENT");
    assertThat(mismatches(order)).isEqualTo(3);
  }

  @Test
  void aRefundEventThatContradictsWhatWasPaidChangesNothing() {
    var seller = signUp("Seller");
    var buyer = signUp("Buyer");
    String order = placeOrder(buyer, product(seller, 2000, 3), 1);
    String pi = pay(buyer, order);
    List<Map<String, Object>> contradictions = new ArrayList<>();
    contradictions.add(charge(pi, 2000, 5000)); // more refunded than was paid
    contradictions.add(charge(pi, 1, 1)); // a charge that is not the order's total
    contradictions.add(charge(pi, 5000, 2000)); // nor is this one, though 2000 looks like a refund
    Map<String, Object> euro = charge(pi, 2000, 500);
    euro.put("currency", "eur");
    contradictions.add(euro);
    Map<String, Object> noCurrency = charge(pi, 2000, 500);
    noCurrency.remove("currency");
    contradictions.add(noCurrency);
    for (Map<String, Object> charge : contradictions) {
      String event = event("charge.refunded", charge);
      // answered, so that Stripe does not deliver it for days; logged as an error for a person
      assertThat(deliver(event, sign(event, now()))).isEqualTo(200);
      var after = payment(buyer, order);
      assertThat(after.get("status")).as("after %s", charge).isEqualTo("PAID");
      assertThat(((Map<?, ?>) ((Map<?, ?>) after.get("payment")).get("refunded")).get("amount"))
          .isEqualTo(0);
    }
    assertThat(mismatches(order)).isEqualTo(contradictions.size());
    assertThat(
            count(
                "SELECT count(*) FROM mail_outbox WHERE recipient = $1 AND dedup_key LIKE 'refund-succeeded:%'",
                buyer.email()))
        .isZero();
    // the amount a charge reports refunded is not applied: it counts refunds still pending
    delivered("charge.refunded", charge(pi, 2000, 500));
    assertThat(payment(buyer, order).get("status")).isEqualTo("PAID");
    // a refund the charge lists (older API versions list them) is applied by its own status
    Map<String, Object> listing = charge(pi, 2000, 500);
    listing.put(
        "refunds",
        Map.of(
            "object",
            "list",
            "data",
            List.of(refundAtStripe("re_listed_" + order, pi, 500, "succeeded"))));
    delivered("charge.refunded", listing);
    assertThat(payment(buyer, order).get("status")).isEqualTo("PARTIALLY_REFUNDED");
    assertThat(refunded(buyer, order)).isEqualTo(500);
  }

  @Test
  void aPendingRefundCountsOnlyOnceStripeSaysItSucceeded() {
    var seller = signUp("Seller");
    var buyer = signUp("Buyer");
    String order = placeOrder(buyer, product(seller, 1000, 3), 1);
    String pi = pay(buyer, order);
    stripe.pendingRefunds(true);
    String key = UUID.randomUUID().toString();
    refund(seller, order, 400, key).path("refund.status").entity(String.class).isEqualTo("PENDING");
    Map<String, Object> pending = stripe.refundsOf(pi).get(0);
    // what Stripe sends at once: the charge counts the pending refund as refunded
    delivered("charge.refunded", charge(pi, 1000, 400));
    delivered("refund.created", pending);
    assertThat(payment(buyer, order).get("status")).isEqualTo("PAID");
    assertThat(refunded(buyer, order)).isZero();
    // meanwhile the pending amount stays reserved: it cannot be refunded twice
    expectError(refund(seller, order, 601, UUID.randomUUID().toString()), "CONFLICT");
    delivered("refund.updated", stripe.settleRefund((String) pending.get("id"), "succeeded", null));
    assertThat(payment(buyer, order).get("status")).isEqualTo("PARTIALLY_REFUNDED");
    assertThat(refunded(buyer, order)).isEqualTo(400);
    // a stale report of it pending, arriving last, takes nothing back
    delivered("refund.created", pending);
    assertThat(refunded(buyer, order)).isEqualTo(400);
    // the same key answers the refund as it is now
    refund(seller, order, 400, key)
        .path("refund.status")
        .entity(String.class)
        .isEqualTo("SUCCEEDED");
    assertThat(
            count(
                "SELECT count(*) FROM mail_outbox WHERE dedup_key LIKE 'refund-succeeded:' || $1 || ':%'",
                order))
        .isEqualTo(1);
  }

  @Test
  void aPendingRefundThatFailsRefundsNothingFreesItsAmountAndTellsTheSeller() {
    var seller = signUp("Seller");
    var buyer = signUp("Buyer");
    String order = placeOrder(buyer, product(seller, 900, 3), 1);
    String pi = pay(buyer, order);
    stripe.pendingRefunds(true);
    double failedBefore = meters.counter("dedw3n.payment.refund_failed").count();
    String key = UUID.randomUUID().toString();
    String refundId =
        refund(seller, order, 900, key)
            .path("refund.status")
            .entity(String.class)
            .isEqualTo("PENDING")
            .path("refund.id")
            .entity(String.class)
            .get();
    Map<String, Object> pending = stripe.refundsOf(pi).get(0);
    Map<String, Object> failed =
        stripe.settleRefund((String) pending.get("id"), "failed", "expired_or_canceled_card");
    // the failure first, then the reports from before it: they take nothing back
    delivered("refund.failed", failed);
    delivered("charge.refunded", charge(pi, 900, 900));
    delivered("refund.created", pending);
    delivered("refund.updated", failed);
    assertThat(payment(buyer, order).get("status")).isEqualTo("PAID");
    assertThat(refunded(buyer, order)).isZero();
    refund(seller, order, 900, key).path("refund.status").entity(String.class).isEqualTo("FAILED");
    assertThat(mails("refund-failed:" + refundId)).isEqualTo(1);
    assertThat(
            count(
                "SELECT count(*) FROM mail_outbox WHERE recipient = $1 AND subject LIKE '%did not go through'",
                seller.email()))
        .isEqualTo(1);
    // counted once, as the failure committed; the reports after it changed nothing
    assertThat(meters.counter("dedw3n.payment.refund_failed").count()).isEqualTo(failedBefore + 1);
    // the buyer was never told of a refund, nor of its failure
    assertThat(mails("refund-reversed:" + refundId)).isZero();
    assertThat(
            count(
                "SELECT count(*) FROM mail_outbox WHERE dedup_key LIKE 'refund-succeeded:' || $1 || ':%'",
                order))
        .isZero();
    // the amount is free again
    stripe.pendingRefunds(false);
    refund(seller, order, 900, UUID.randomUUID().toString())
        .path("refund.status")
        .entity(String.class)
        .isEqualTo("SUCCEEDED");
    assertThat(payment(buyer, order).get("status")).isEqualTo("REFUNDED");
  }

  @Test
  void aRefundThatFailsAfterItSucceededIsTakenBackAndBothSidesAreTold() {
    // Stripe's test card whose refunds succeed and then fail; the fake delivers the events
    stripe.webhookUrl("http://127.0.0.1:" + port + "/webhooks/stripe");
    var seller = signUp("Seller");
    var buyer = signUp("Buyer");
    String order = placeOrder(buyer, product(seller, 700, 3), 1);
    double reversedBefore = meters.counter("dedw3n.payment.refund_reversed").count();
    confirmAtStripe(checkout(buyer, order).paymentIntentId(), "pm_card_refundFail");
    assertThat(awaitStatus(buyer, order, "PAID")).isEqualTo("PAID");
    String key = UUID.randomUUID().toString();
    // answered SUCCEEDED (the failure comes two seconds later)
    String refundId =
        refund(seller, order, 700, key)
            .path("refund.status")
            .entity(String.class)
            .isEqualTo("SUCCEEDED")
            .path("refund.id")
            .entity(String.class)
            .get();
    assertThat(awaitRefund(seller, order, 700, key, "FAILED")).isEqualTo("FAILED");
    // Stripe sends the failure three ways (refund.updated, charge.refund.updated, refund.failed)
    awaitEvents(order, 3);
    // one reversal, counted once however many ways Stripe told of it (counted just after the
    // commit the test reads the events of, so waited for)
    assertThat(awaitCount("dedw3n.payment.refund_reversed", reversedBefore + 1))
        .isEqualTo(reversedBefore + 1);
    var after = payment(buyer, order);
    assertThat(after.get("status")).isEqualTo("REFUNDED"); // final: the order does not go back
    assertThat(((Map<?, ?>) after.get("payment")).get("status")).isEqualTo("SUCCEEDED");
    assertThat(refunded(buyer, order)).isZero();
    // each side told once: the buyer that it was refunded, then that it did not reach them
    assertThat(mailsTo(buyer, "did not reach you")).isEqualTo(1);
    assertThat(mailsTo(buyer, "A refund for your order " + order)).isEqualTo(2);
    assertThat(mailsTo(seller, "did not go through")).isEqualTo(1);
    assertThat(mails("refund-reversed:" + refundId)).isEqualTo(1);
    List<Map<String, Object>> told = awaitMail(seller.email(), "did not go through");
    assertThat((String) told.get(0).get("body"))
        .contains("7.00 USD")
        .contains("expired_or_canceled_card");
    // the seller may refund it again (on this card it fails again)
    String again = UUID.randomUUID().toString();
    refund(seller, order, 700, again).path("refund.id").entity(String.class).get();
    assertThat(awaitRefund(seller, order, 700, again, "FAILED")).isEqualTo("FAILED");
    awaitEvents(order, 6); // nothing of this test still on its way
    assertThat(mailsTo(seller, "did not go through")).isEqualTo(2);
    // the second refund succeeded and failed too: two reversals, each counted once
    assertThat(awaitCount("dedw3n.payment.refund_reversed", reversedBefore + 2))
        .isEqualTo(reversedBefore + 2);
  }

  @Test
  void aRefundFailureWhoseHandlingRolledBackIsCountedOnceWhenStripeDeliversItAgain() {
    var seller = signUp("Seller");
    var buyer = signUp("Buyer");
    String order = placeOrder(buyer, product(seller, 800, 3), 1);
    String pi = pay(buyer, order);
    stripe.pendingRefunds(true);
    String refundId =
        refund(seller, order, 800, UUID.randomUUID().toString())
            .path("refund.id")
            .entity(String.class)
            .get();
    Map<String, Object> failed =
        stripe.settleRefund(
            (String) stripe.refundsOf(pi).get(0).get("id"), "failed", "expired_or_canceled_card");
    double failedBefore = meters.counter("dedw3n.payment.refund_failed").count();
    String event = event("refund.failed", failed);
    // the event's last write fails, after the failure was applied and its mail queued: all of it
    // rolls back, and Stripe is asked to deliver it again
    String refuse = "test_refuse_outcome_" + order;
    db.sql(
            "CREATE FUNCTION "
                + refuse
                + "() RETURNS trigger LANGUAGE plpgsql AS"
                + " $$ BEGIN RAISE EXCEPTION 'the event''s outcome cannot be written'; END $$")
        .then()
        .block();
    db.sql(
            "CREATE TRIGGER "
                + refuse
                + " BEFORE UPDATE ON stripe_events FOR EACH ROW WHEN (NEW.order_id = "
                + Long.parseLong(order)
                + ") EXECUTE FUNCTION "
                + refuse
                + "()")
        .then()
        .block();
    try {
      // any 5xx: Stripe delivers it again later
      assertThat(deliver(event, sign(event, now()))).isBetween(500, 599);
    } finally {
      db.sql("DROP TRIGGER " + refuse + " ON stripe_events").then().block();
      db.sql("DROP FUNCTION " + refuse + "()").then().block();
    }
    assertThat(meters.counter("dedw3n.payment.refund_failed").count()).isEqualTo(failedBefore);
    assertThat(mails("refund-failed:" + refundId)).isZero();
    assertThat(count("SELECT count(*) FROM refunds WHERE id = $1 AND status = 'pending'", refundId))
        .isEqualTo(1);
    // delivered again: applied, told and counted once
    assertThat(deliver(event, sign(event, now()))).isEqualTo(200);
    assertThat(meters.counter("dedw3n.payment.refund_failed").count()).isEqualTo(failedBefore + 1);
    assertThat(mails("refund-failed:" + refundId)).isEqualTo(1);
    assertThat(refunded(buyer, order)).isZero();
  }

  @Test
  void aRefundFromBeforeV35IsTakenOutOfItsLumpSumNotCountedTwice() {
    var seller = signUp("Seller");
    var buyer = signUp("Buyer");
    String order = placeOrder(buyer, product(seller, 1000, 3), 1);
    String pi = pay(buyer, order);
    // as V35 leaves an order the old code had seen refunded 500 in the Dashboard
    db.sql(
            "INSERT INTO refunds (order_id, idempotency_key, amount, status)"
                + " VALUES ($1, 'outside-the-api-before-v35', 500, 'succeeded')")
        .bind(0, Long.parseLong(order))
        .then()
        .block();
    db.sql("UPDATE payments SET amount_refunded = 500 WHERE order_id = $1")
        .bind(0, Long.parseLong(order))
        .then()
        .block();
    // one of those, made an hour ago, is reported succeeded, then failed
    Map<String, Object> old = refundAtStripe("re_old_" + order, pi, 300, "succeeded");
    old.put("created", now() - 3600);
    delivered("refund.updated", old);
    assertThat(refunded(buyer, order)).isEqualTo(500);
    assertThat(mailsTo(buyer, "A refund for your order " + order)).isZero();
    old.put("status", "failed");
    delivered("refund.failed", old);
    assertThat(refunded(buyer, order)).isEqualTo(200);
    assertThat(mailsTo(buyer, "did not reach you")).isEqualTo(1);
    // a Dashboard refund made after V35 ran is a new one
    Map<String, Object> fresh = refundAtStripe("re_new_" + order, pi, 100, "succeeded");
    fresh.put("created", now() + 60);
    delivered("refund.updated", fresh);
    assertThat(refunded(buyer, order)).isEqualTo(300);
    assertThat(
            count(
                "SELECT amount FROM refunds WHERE order_id = $1"
                    + " AND idempotency_key = 'outside-the-api-before-v35'",
                order))
        .isEqualTo(200);
  }

  /**
   * An amount is a Long wherever money is: an order in rupiah (two decimals) of a laptop is more
   * than 2^31 minor units, and its seller refunds it in one refund, not in three.
   */
  @Test
  void anAmountBeyondTwoToThe31IsRefundedInOne() {
    var seller = signUp("Seller");
    var buyer = signUp("Buyer");
    long laptop = 3_000_000_000L;
    String order = placeOrder(buyer, product(seller, laptop, "IDR", 1), 1);
    pay(buyer, order);
    refund(seller, order, laptop, UUID.randomUUID().toString())
        .path("refund.status")
        .entity(String.class)
        .isEqualTo("SUCCEEDED")
        .path("refund.amount.amount")
        .entity(Long.class)
        .isEqualTo(laptop);
    assertThat(refunded(buyer, order)).isEqualTo(laptop);
  }

  /**
   * Stripe counts some currencies unlike ISO 4217, whose minor units our amounts are in: the króna
   * has two decimals at Stripe (100 is 1 kr), the ariary none. Each amount is converted on its way
   * to Stripe and back, so 5,000 kr is charged 5,000 kr (it was charged 50), and the payment, its
   * refund and their events agree.
   */
  @Test
  void amountsAreInStripesUnitsAtStripeAndInOursHere() {
    var seller = signUp("Seller");
    var buyer = signUp("Buyer");
    String order = placeOrder(buyer, product(seller, 5000, "ISK", 1), 1);
    String pi = pay(buyer, order);
    assertThat(stripe.intent(pi).get("amount")).as("5,000 kr at Stripe").isEqualTo(500000L);
    refund(seller, order, 2000, UUID.randomUUID().toString())
        .path("refund.status")
        .entity(String.class)
        .isEqualTo("SUCCEEDED")
        .path("refund.amount.amount")
        .entity(Long.class)
        .isEqualTo(2000L);
    assertThat(stripe.refundsOf(pi))
        .singleElement()
        .extracting(r -> r.get("amount"))
        .isEqualTo(200000L);
    assertThat(refunded(buyer, order)).isEqualTo(2000);

    // the shilling as the króna: 380,000 USh is 38000000 at Stripe, not 3,800 USh
    String shillings = placeOrder(buyer, product(seller, 380000, "UGX", 1), 1);
    String shillingIntent = pay(buyer, shillings);
    assertThat(stripe.intent(shillingIntent).get("amount")).isEqualTo(38000000L);
    refund(seller, shillings, 1000, UUID.randomUUID().toString())
        .path("refund.amount.amount")
        .entity(Long.class)
        .isEqualTo(1000L);
    assertThat(stripe.refundsOf(shillingIntent))
        .singleElement()
        .extracting(r -> r.get("amount"))
        .isEqualTo(100000L);

    // 5,000.00 Ar is 5,000 at Stripe, which takes no fractions of an ariary
    String ariary = placeOrder(buyer, product(seller, 500000, "MGA", 1), 1);
    String ariaryIntent = pay(buyer, ariary);
    assertThat(stripe.intent(ariaryIntent).get("amount")).isEqualTo(5000L);
    String fraction = placeOrder(buyer, product(seller, 500050, "MGA", 1), 1);
    buyer
        .graphQl()
        .documentName("checkout")
        .variable("orderId", fraction)
        .execute()
        .errors()
        .expect(
            e ->
                e.getErrorType().toString().equals("CONFLICT")
                    && e.getMessage().contains("whole ariary"))
        .verify();
    assertThat(stripe.intentsOfOrder(fraction)).isEmpty();

    // three decimals on both sides, but the last one 0
    String dinar = placeOrder(buyer, product(seller, 12350, "KWD", 1), 1);
    String dinarIntent = pay(buyer, dinar);
    assertThat(stripe.intent(dinarIntent).get("amount")).isEqualTo(12350L);
    refund(seller, dinar, 1235, UUID.randomUUID().toString())
        .errors()
        .expect(e -> e.getErrorType().toString().equals("BAD_REQUEST"))
        .verify();
    assertThat(stripe.refundsOf(dinarIntent)).isEmpty();
  }

  /**
   * V35's lump sum is its row without a seller: a seller's refund sent with the same key is a
   * refund of its own, never taken for it (a Dashboard refund's event shrank the seller's row, and
   * the seller's retry with that key then made a second refund at Stripe).
   */
  @Test
  void aSellersRefundWithV35sKeyIsNotTakenForItsLumpSum() {
    var seller = signUp("Seller");
    var buyer = signUp("Buyer");
    String order = placeOrder(buyer, product(seller, 1000, 3), 1);
    String pi = pay(buyer, order);
    refund(seller, order, 300, "outside-the-api-before-v35")
        .path("refund.status")
        .entity(String.class)
        .isEqualTo("SUCCEEDED");
    // a Dashboard refund made before the seller's, whose event comes late
    Map<String, Object> dashboard = refundAtStripe("re_dash_" + order, pi, 100, "succeeded");
    dashboard.put("created", now() - 3600);
    delivered("refund.updated", dashboard);
    assertThat(
            count(
                "SELECT amount FROM refunds WHERE order_id = $1 AND seller_id IS NOT NULL", order))
        .isEqualTo(300);
    assertThat(refunded(buyer, order)).isEqualTo(400);
  }

  @Test
  void refundsWhoseEventsNeverCameAreSettledByAskingStripe() {
    var seller = signUp("Seller");
    var buyer = signUp("Buyer");
    String order = placeOrder(buyer, product(seller, 1000, 3), 1);
    String pi = pay(buyer, order);
    stripe.pendingRefunds(true);
    String key = UUID.randomUUID().toString();
    refund(seller, order, 300, key).path("refund.status").entity(String.class).isEqualTo("PENDING");
    stripe.pendingRefunds(false);
    // at Stripe it succeeds, and someone refunds 200 in the Dashboard; no event reaches us
    stripe.settleRefund((String) stripe.refundsOf(pi).get(0).get("id"), "succeeded", null);
    refundInStripesDashboard(pi, 200);
    // in flight for less than refund-check-after (1 h): Stripe is not asked yet
    refundCheck.check().block(Duration.ofSeconds(30));
    assertThat(payment(buyer, order).get("status")).isEqualTo("PAID");
    inFlightSince("2 hours", order);
    assertThat(refundCheck.check().block(Duration.ofSeconds(30))).isPositive();
    assertThat(payment(buyer, order).get("status")).isEqualTo("PARTIALLY_REFUNDED");
    assertThat(refunded(buyer, order)).isEqualTo(500);
    refund(seller, order, 300, key)
        .path("refund.status")
        .entity(String.class)
        .isEqualTo("SUCCEEDED");
    // another refund stays pending at Stripe: checked again, nothing is counted twice, and the
    // one still in flight goes to the back of the line
    stripe.pendingRefunds(true);
    refund(seller, order, 100, UUID.randomUUID().toString())
        .path("refund.status")
        .entity(String.class)
        .isEqualTo("PENDING");
    inFlightSince("2 hours", order);
    assertThat(refundCheck.check().block(Duration.ofSeconds(30))).isPositive();
    assertThat(refunded(buyer, order)).isEqualTo(500);
    assertThat(count("SELECT count(*) FROM refunds WHERE order_id = $1", order)).isEqualTo(3);
    assertThat(
            count(
                "SELECT count(*) FROM refunds WHERE order_id = $1 AND status = 'pending'"
                    + " AND updated_at > now() - interval '1 minute'",
                order))
        .isEqualTo(1);
  }

  @Test
  void aRefundStripeNeverMadeEndsFailedAfterItsKeyExpiredAndItsSellerIsTold() {
    var seller = signUp("Seller");
    var buyer = signUp("Buyer");
    String order = placeOrder(buyer, product(seller, 1000, 3), 1);
    String pi = pay(buyer, order);
    // what two creates Stripe never answered (UNAVAILABLE) leave, a day and more ago, never
    // retried: Stripe never made the first; it made the second, and its events were lost
    String key = UUID.randomUUID().toString();
    long neverMade = unansweredRefund(order, seller, key, 400);
    long made = unansweredRefund(order, seller, UUID.randomUUID().toString(), 200);
    postToStripe("/v1/refunds", "payment_intent=" + pi + "&amount=200&metadata[refund_id]=" + made);
    // their amounts are reserved, and past Stripe's idempotency window a key no longer sends one
    expectError(refund(seller, order, 401, UUID.randomUUID().toString()), "CONFLICT");
    int creates = stripe.refundCreates();
    refund(seller, order, 400, key).path("refund.status").entity(String.class).isEqualTo("PENDING");
    assertThat(stripe.refundCreates()).isEqualTo(creates);
    // the check asks Stripe: the one it made is applied, the one it never made ends
    assertThat(refundCheck.check().block(Duration.ofSeconds(30))).isPositive();
    refund(seller, order, 400, key).path("refund.status").entity(String.class).isEqualTo("FAILED");
    assertThat(count("SELECT count(*) FROM refunds WHERE id = $1 AND status = 'succeeded'", made))
        .isEqualTo(1);
    assertThat(mails("refund-failed:" + neverMade)).isEqualTo(1);
    assertThat(mailsTo(seller, "did not go through")).isEqualTo(1);
    assertThat(payment(buyer, order).get("status")).isEqualTo("PARTIALLY_REFUNDED");
    assertThat(refunded(buyer, order)).isEqualTo(200);
    refund(seller, order, 800, UUID.randomUUID().toString())
        .path("refund.status")
        .entity(String.class)
        .isEqualTo("SUCCEEDED");
    assertThat(payment(buyer, order).get("status")).isEqualTo("REFUNDED");
  }

  /** A refund row as a create Stripe never answered leaves it, 26 hours ago; answers its id. */
  private long unansweredRefund(String order, Client seller, String key, long amount) {
    return db.sql(
            "INSERT INTO refunds (order_id, seller_id, idempotency_key, amount, created_at,"
                + " updated_at) VALUES ($1, $2, $3, $4, now() - interval '26 hours',"
                + " now() - interval '2 hours') RETURNING id")
        .bind(0, Long.parseLong(order))
        .bind(1, Long.parseLong(seller.id()))
        .bind(2, key)
        .bind(3, amount)
        .map(r -> r.get(0, Long.class))
        .one()
        .block();
  }

  @Test
  void aRefundMadeInStripesDashboardIsFollowedAndLimitsTheSellers() {
    var seller = signUp("Seller");
    var buyer = signUp("Buyer");
    String order = placeOrder(buyer, product(seller, 1000, 3), 1);
    String pi = pay(buyer, order);
    Map<String, Object> dashboard = refundAtStripe("re_dashboard_" + order, pi, 600, "pending");
    delivered("refund.created", dashboard);
    assertThat(payment(buyer, order).get("status")).isEqualTo("PAID");
    // what the Dashboard refund holds, the seller cannot refund
    expectError(refund(seller, order, 401, UUID.randomUUID().toString()), "CONFLICT");
    dashboard.put("status", "succeeded");
    delivered("refund.updated", dashboard);
    assertThat(payment(buyer, order).get("status")).isEqualTo("PARTIALLY_REFUNDED");
    assertThat(refunded(buyer, order)).isEqualTo(600);
    // reports that contradict the payment are not applied
    Map<String, Object> euro = refundAtStripe("re_euro_" + order, pi, 100, "succeeded");
    euro.put("currency", "eur");
    Map<String, Object> tooMuch = refundAtStripe("re_much_" + order, pi, 500, "succeeded");
    Map<String, Object> otherAmount = refundAtStripe("re_dashboard_" + order, pi, 300, "succeeded");
    for (Map<String, Object> contradiction : List.of(euro, tooMuch, otherAmount)) {
      delivered("refund.updated", contradiction);
    }
    assertThat(mismatches(order)).isEqualTo(3);
    assertThat(refunded(buyer, order)).isEqualTo(600);
    refund(seller, order, 400, UUID.randomUUID().toString())
        .path("refund.status")
        .entity(String.class)
        .isEqualTo("SUCCEEDED");
    assertThat(payment(buyer, order).get("status")).isEqualTo("REFUNDED");
    assertThat(refunded(buyer, order)).isEqualTo(1000);
  }

  @Test
  void onlyTheBuyerChecksOut() {
    var seller = signUp("Seller");
    var buyer = signUp("Buyer");
    var stranger = signUp("Stranger");
    String order = placeOrder(buyer, product(seller, 100, 3), 1);
    int before = stripe.intentCreates();
    expectError(
        stranger.graphQl().documentName("checkout").variable("orderId", order).execute(),
        "NOT_FOUND");
    expectError(
        seller.graphQl().documentName("checkout").variable("orderId", order).execute(),
        "FORBIDDEN");
    expectError(
        anonymous().documentName("checkout").variable("orderId", order).execute(), "UNAUTHORIZED");
    expectError(
        buyer.graphQl().documentName("checkout").variable("orderId", "x").execute(), "BAD_REQUEST");
    assertThat(stripe.intentCreates()).isEqualTo(before);
  }

  /** Stripe takes no charge under its minimum (50 cents in USD): the buyer is told so. */
  @Test
  void aPaymentStripeRefusesIsAClearConflictAndChargesNothing() {
    var seller = signUp("Seller");
    var buyer = signUp("Buyer");
    String order = placeOrder(buyer, product(seller, 30, 3), 1);
    buyer
        .graphQl()
        .documentName("checkout")
        .variable("orderId", order)
        .execute()
        .errors()
        .expect(
            e ->
                e.getErrorType().toString().equals("CONFLICT")
                    && e.getMessage().contains("Amount must be at least $0.50 usd.")
                    && e.getMessage().contains("Nothing was charged"))
        .verify();
    assertThat(payment(buyer, order).get("status")).isEqualTo("PENDING_PAYMENT");

    // a currency Stripe does not charge in: CONFLICT naming it, not an internal error
    String rials = placeOrder(buyer, product(seller, 500000, "IRR", 1), 1);
    buyer
        .graphQl()
        .documentName("checkout")
        .variable("orderId", rials)
        .execute()
        .errors()
        .expect(
            e ->
                e.getErrorType().toString().equals("CONFLICT")
                    && e.getMessage().contains("does not take payments in IRR")
                    && e.getMessage().contains("Nothing was charged"))
        .verify();
  }

  @Test
  void stripeDownOrSlowIsUnavailableAndTheNextCheckoutReusesThePaymentIntent() {
    var seller = signUp("Seller");
    var buyer = signUp("Buyer");
    String order = placeOrder(buyer, product(seller, 100, 3), 1);
    int intents = stripe.intents();
    stripe.failWith(503);
    // nothing of the response could be answered: HTTP 503, as for any UNAVAILABLE
    assertThat(rawCheckout(buyer, order)).contains("STRIPE_UNAVAILABLE").contains("UNAVAILABLE");
    assertThat(payment(buyer, order).get("status")).isEqualTo("PENDING_PAYMENT");
    stripe.failWith(0);
    // slow: Stripe creates the PaymentIntent, but the answer comes after the client's timeout
    stripe.delay(Duration.ofSeconds(3));
    assertThat(rawCheckout(buyer, order)).contains("STRIPE_UNAVAILABLE");
    stripe.delay(Duration.ZERO);
    String pi = checkout(buyer, order).paymentIntentId();
    assertThat(checkout(buyer, order).paymentIntentId()).isEqualTo(pi);
    // the attempt that timed out and the ones after it: one PaymentIntent (one idempotency key)
    assertThat(stripe.intents()).isEqualTo(intents + 1);
    assertThat(payment(buyer, order).get("status")).isEqualTo("PENDING_PAYMENT");
  }

  /**
   * A PaymentIntent we did not create, whose metadata names one of our orders (another integration
   * on the Stripe account), changes nothing of that order while its own PaymentIntent is not linked
   * yet: ours name their attempt in their metadata. It used to mark the order paid.
   */
  @Test
  void aPaymentIntentNotOursNamingAnOrderChangesNothing() {
    var seller = signUp("Seller");
    var buyer = signUp("Buyer");
    String order = placeOrder(buyer, product(seller, 100, 3), 1);
    stripe.failWith(503);
    assertThat(rawCheckout(buyer, order)).contains("STRIPE_UNAVAILABLE");
    stripe.failWith(0);
    Map<String, Object> foreign = new LinkedHashMap<>();
    foreign.put("id", "pi_foreign_" + order);
    foreign.put("object", "payment_intent");
    foreign.put("amount", 100L);
    foreign.put("amount_received", 100L);
    foreign.put("currency", "usd");
    foreign.put("status", "succeeded");
    foreign.put("metadata", Map.of("order_id", order));
    delivered("payment_intent.succeeded", foreign);
    foreign.put("status", "requires_payment_method");
    foreign.put("last_payment_error", Map.of("message", "Your card was declined."));
    delivered("payment_intent.payment_failed", foreign);
    assertThat(payment(buyer, order).get("status")).isEqualTo("PENDING_PAYMENT");
    assertThat(intentLinkedTo(order)).isNull();
    // its own checkout still pays it
    pay(buyer, order);
  }

  /**
   * Stripe keeps an idempotency key for 24 hours; an order from before V20 has no expiry and may be
   * checked out again days later, when the attempt's key would create a second PaymentIntent.
   */
  @Test
  void aCheckoutAfterStripeForgotItsKeyAnswersThePaymentIntentItLinked() {
    var seller = signUp("Seller");
    var buyer = signUp("Buyer");
    String order = placeOrder(buyer, product(seller, 100, 3), 1);
    String pi = checkout(buyer, order).paymentIntentId();
    stripe.forgetIdempotencyKeys();
    // checks out again, pays what it answers and sees the order PAID
    assertThat(pay(buyer, order)).isEqualTo(pi);
    assertThat(stripe.intentsOfOrder(order)).hasSize(1);
  }

  /**
   * After a cancelled attempt, the next one has no PaymentIntent until its checkout links one
   * (here: Stripe is down meanwhile); a late event of the cancelled one's must not count for it.
   */
  @Test
  void aLateEventOfACancelledAttemptLeavesTheNextAttemptAlone() {
    var seller = signUp("Seller");
    var buyer = signUp("Buyer");
    String order = placeOrder(buyer, product(seller, 100, 3), 1);
    String first = checkout(buyer, order).paymentIntentId();
    Map<String, Object> declined = stripe.intent(first);
    declined.put("last_payment_error", Map.of("message", "Your card was declined."));
    String failed = event("payment_intent.payment_failed", declined);
    postToStripe("/v1/payment_intents/" + first + "/cancel", "");
    delivered("payment_intent.canceled", stripe.intent(first));
    stripe.failWith(503);
    assertThat(rawCheckout(buyer, order)).contains("STRIPE_UNAVAILABLE");
    stripe.failWith(0);
    assertThat(intentLinkedTo(order)).as("the next attempt has none yet").isNull();
    assertThat(deliver(failed, sign(failed, now()))).isEqualTo(200);
    assertThat(payment(buyer, order).get("status")).isEqualTo("PENDING_PAYMENT");
    assertThat(((Map<?, ?>) payment(buyer, order).get("payment")).get("status"))
        .isEqualTo("REQUIRES_PAYMENT");
    String second = checkout(buyer, order).paymentIntentId();
    assertThat(second).isNotEqualTo(first);
    assertThat(intentLinkedTo(order)).isEqualTo(second);
  }

  @Test
  void aCryptoCheckoutRetriedAfterItsQuoteExpiredKeepsTheRateItStartedAt() {
    var seller = signUp("Seller");
    var buyer = signUp("Buyer");
    String order = placeOrder(buyer, product(seller, 10000, 3), 1); // 100.00 USD
    long quote = quote(buyer, "BTC", "USD", "50000", Duration.ofMinutes(10));
    // the payment starts with the quote, but Stripe is down
    stripe.failWith(503);
    assertThat(rawCheckout(buyer, order, quote)).contains("STRIPE_UNAVAILABLE");
    stripe.failWith(0);
    db.sql("UPDATE price_quotes SET expires_at = now() - interval '1 minute' WHERE id = $1")
        .bind(0, quote)
        .then()
        .block();
    var answer = checkout(buyer, order, quote);
    answer.path("checkout.crypto.quoteId").entity(String.class).isEqualTo(String.valueOf(quote));
    answer.path("checkout.crypto.amount").entity(String.class).isEqualTo("0.002");
    // a new order is not started with the expired quote
    String another = placeOrder(buyer, product(seller, 10000, 3), 1);
    expectError(checkout(buyer, another, quote), "CONFLICT");
    assertThat(count("SELECT count(*) FROM payments WHERE order_id = $1", another)).isZero();
  }

  @Test
  void sellersRefundPartlyOrFullyNeverMoreThanPaidAndOncePerKey() {
    var seller = signUp("Seller");
    var other = signUp("OtherSeller");
    var buyer = signUp("Buyer");
    long mine = product(seller, 1000, 3);
    long theirs = product(other, 500, 3);
    String order =
        buyer
            .graphQl()
            .documentName("placeOrder")
            .variable("items", List.of(item(mine, 1), item(theirs, 1)))
            .execute()
            .path("placeOrder.id")
            .entity(String.class)
            .get();
    expectError(refund(seller, order, 100, "early"), "CONFLICT");
    pay(buyer, order);
    String key = UUID.randomUUID().toString();
    var first = refund(seller, order, 300, key);
    first.path("refund.status").entity(String.class).isEqualTo("SUCCEEDED");
    String refundId = first.path("refund.id").entity(String.class).get();
    refund(seller, order, 300, key).path("refund.id").entity(String.class).isEqualTo(refundId);
    expectError(refund(seller, order, 301, key), "CONFLICT");
    assertThat(payment(buyer, order).get("status")).isEqualTo("PARTIALLY_REFUNDED");
    // a seller refunds at most its own items: 1000 - 300 left for this one
    expectError(refund(seller, order, 701, UUID.randomUUID().toString()), "CONFLICT");
    expectError(refund(buyer, order, 1, UUID.randomUUID().toString()), "FORBIDDEN");
    expectError(refund(signUp("Stranger"), order, 1, UUID.randomUUID().toString()), "NOT_FOUND");
    expectError(refund(seller, order, 0, UUID.randomUUID().toString()), "BAD_REQUEST");
    refund(seller, order, 700, UUID.randomUUID().toString())
        .path("refund.status")
        .entity(String.class)
        .isEqualTo("SUCCEEDED");
    refund(other, order, 500, UUID.randomUUID().toString())
        .path("refund.status")
        .entity(String.class)
        .isEqualTo("SUCCEEDED");
    var after = payment(buyer, order);
    assertThat(after.get("status")).isEqualTo("REFUNDED");
    assertThat(((Map<?, ?>) ((Map<?, ?>) after.get("payment")).get("refunded")).get("amount"))
        .isEqualTo(1500);
    expectError(refund(other, order, 1, UUID.randomUUID().toString()), "CONFLICT");
    assertThat(
            count(
                "SELECT count(*) FROM mail_outbox WHERE dedup_key LIKE 'refund-succeeded:' || $1 || ':%'",
                order))
        .isEqualTo(3);
  }

  @Test
  void concurrentRefundsNeverAddUpToMoreThanWasPaid() {
    var seller = signUp("Seller");
    var buyer = signUp("Buyer");
    String order = placeOrder(buyer, product(seller, 1000, 3), 1);
    pay(buyer, order);
    List<String> outcomes = new java.util.concurrent.CopyOnWriteArrayList<>();
    Flux.range(0, 6)
        .parallel(6)
        .runOn(BlockingCalls.SCHEDULER)
        .doOnNext(
            i -> {
              var errors =
                  refund(seller, order, 300, UUID.randomUUID().toString())
                      .returnResponse()
                      .getErrors();
              outcomes.add(errors.isEmpty() ? "ok" : errors.get(0).getErrorType().toString());
            })
        .sequential()
        .blockLast(Duration.ofSeconds(60));
    assertThat(outcomes).filteredOn("ok"::equals).hasSize(3);
    assertThat(outcomes).filteredOn("CONFLICT"::equals).hasSize(3);
    assertThat(
            count(
                "SELECT coalesce(sum(amount), 0) FROM refunds WHERE order_id = $1 AND status = 'succeeded'",
                order))
        .isEqualTo(900);
  }

  @Test
  void unpaidOrdersExpireOnceGivingTheirStockBackAndTheirPaymentIntentIsCancelled() {
    var seller = signUp("Seller");
    var buyer = signUp("Buyer");
    long product = product(seller, 100, 5);
    String withIntent = placeOrder(buyer, product, 2);
    String pi = checkout(buyer, withIntent).paymentIntentId();
    String without = placeOrder(buyer, product, 1);
    assertThat(stock(product)).isEqualTo(2);
    expiredAgo("1 second", Long.parseLong(withIntent), Long.parseLong(without));
    expiry.sweep().block(Duration.ofSeconds(30));
    assertThat(stock(product)).isEqualTo(5);
    assertThat(payment(buyer, withIntent).get("status")).isEqualTo("CANCELLED");
    assertThat(payment(buyer, without).get("status")).isEqualTo("CANCELLED");
    assertThat(stripe.intent(pi).get("status")).isEqualTo("canceled");
    expiry.sweep().block(Duration.ofSeconds(30));
    assertThat(stock(product)).isEqualTo(5);
    expectError(
        buyer.graphQl().documentName("checkout").variable("orderId", without).execute(),
        "CONFLICT");
  }

  /**
   * An instance without a Stripe key cannot cancel a PaymentIntent, and an order whose intent can
   * still be paid must not be cancelled: it waits for an instance with the key.
   */
  @Test
  void anInstanceWithoutAStripeKeyLeavesAnOrderWithAPaymentIntentToOneWithIt(
      @Autowired com.dedw3n.order.OrderLifecycle orders,
      @Autowired Payments payments,
      @Autowired PaymentProgress progress,
      @Autowired org.springframework.transaction.reactive.TransactionalOperator transaction,
      @Autowired PaymentSettings settings) {
    var seller = signUp("Seller");
    var buyer = signUp("Buyer");
    long product = product(seller, 100, 5);
    String withIntent = placeOrder(buyer, product, 2);
    String pi = checkout(buyer, withIntent).paymentIntentId();
    String without = placeOrder(buyer, product, 1);
    // an hour on, both have expired for it, and for no other sweep yet
    var anHourOn = java.time.Clock.offset(java.time.Clock.systemUTC(), Duration.ofHours(1));
    var keyless =
        new UnpaidOrderExpiry(
            orders,
            payments,
            progress,
            new StripeGateway(
                null,
                new PaymentSettings.Stripe(
                    "",
                    "",
                    "",
                    "http://127.0.0.1:9",
                    Duration.ofSeconds(1),
                    Duration.ofSeconds(1),
                    0)),
            transaction,
            settings,
            new org.springframework.beans.factory.support.StaticListableBeanFactory(
                    Map.of("clock", anHourOn))
                .getBeanProvider(java.time.Clock.class));
    try {
      keyless.sweep().block(Duration.ofSeconds(30));
    } finally {
      keyless.destroy();
    }
    // the order without a PaymentIntent needs no Stripe, and expires
    assertThat(payment(buyer, without).get("status")).isEqualTo("CANCELLED");
    assertThat(payment(buyer, withIntent).get("status")).isEqualTo("PENDING_PAYMENT");
    assertThat(stripe.intent(pi).get("status")).isNotEqualTo("canceled");
    assertThat(stock(product)).isEqualTo(3);
    expiredAgo("1 second", Long.parseLong(withIntent));
    expiry.sweep().block(Duration.ofSeconds(30));
    assertThat(payment(buyer, withIntent).get("status")).isEqualTo("CANCELLED");
    assertThat(stripe.intent(pi).get("status")).isEqualTo("canceled");
    assertThat(stock(product)).isEqualTo(5);
  }

  @Test
  void aFailedPaymentLeftUnpaidIsCancelledOnceAndItsStockReturned() {
    var seller = signUp("Seller");
    var buyer = signUp("Buyer");
    long product = product(seller, 100, 5);
    String order = placeOrder(buyer, product, 2);
    String pi = checkout(buyer, order).paymentIntentId();
    Map<String, Object> declined = stripe.intent(pi);
    declined.put("last_payment_error", Map.of("message", "Your card was declined."));
    String failed = event("payment_intent.payment_failed", declined);
    assertThat(deliver(failed, sign(failed, now()))).isEqualTo(200);
    assertThat(payment(buyer, order).get("status")).isEqualTo("PAYMENT_FAILED");
    assertThat(stock(product)).isEqualTo(3);
    expiredAgo("1 second", Long.parseLong(order));
    expiry.sweep().block(Duration.ofSeconds(30));
    assertThat(payment(buyer, order).get("status")).isEqualTo("CANCELLED");
    assertThat(stock(product)).isEqualTo(5);
    assertThat(stripe.intent(pi).get("status")).isEqualTo("canceled");
    // once: another sweep, and a late failure, give nothing back twice
    expiry.sweep().block(Duration.ofSeconds(30));
    String late = event("payment_intent.payment_failed", declined);
    assertThat(deliver(late, sign(late, now()))).isEqualTo(200);
    assertThat(payment(buyer, order).get("status")).isEqualTo("CANCELLED");
    assertThat(stock(product)).isEqualTo(5);
    expectError(
        buyer.graphQl().documentName("checkout").variable("orderId", order).execute(), "CONFLICT");
  }

  @Test
  void aPaidOrderRefundedInFullIsRefunded() {
    var seller = signUp("Seller");
    var buyer = signUp("Buyer");
    String order = placeOrder(buyer, product(seller, 650, 3), 2);
    String pi = pay(buyer, order);
    refund(seller, order, 1300, UUID.randomUUID().toString())
        .path("refund.status")
        .entity(String.class)
        .isEqualTo("SUCCEEDED");
    var after = payment(buyer, order);
    assertThat(after.get("status")).isEqualTo("REFUNDED");
    var payment = (Map<?, ?>) after.get("payment");
    assertThat(payment.get("status")).isEqualTo("REFUNDED");
    assertThat(((Map<?, ?>) payment.get("refunded")).get("amount")).isEqualTo(1300);
    // Stripe's own event about it, arriving later, agrees and changes nothing
    String event = event("charge.refunded", charge(pi, 1300, 1300));
    assertThat(deliver(event, sign(event, now()))).isEqualTo(200);
    assertThat(payment(buyer, order).get("status")).isEqualTo("REFUNDED");
    expectError(refund(seller, order, 1, UUID.randomUUID().toString()), "CONFLICT");
    assertThat(
            count(
                "SELECT count(*) FROM mail_outbox WHERE dedup_key LIKE 'refund-succeeded:' || $1 || ':%'",
                order))
        .isEqualTo(1);
  }

  @Test
  void aSuccessForAPaymentIntentTheCheckoutNeverLinkedIsFoundByItsMetadata() {
    var seller = signUp("Seller");
    var buyer = signUp("Buyer");
    String order = placeOrder(buyer, product(seller, 900, 3), 1);
    // Stripe creates the PaymentIntent, but its answer comes after the checkout gave up
    stripe.delay(Duration.ofSeconds(3));
    assertThat(rawCheckout(buyer, order)).contains("STRIPE_UNAVAILABLE");
    stripe.delay(Duration.ZERO);
    String pi = awaitIntentOf(order);
    assertThat(intentLinkedTo(order)).isNull();
    // the buyer paid it anyway (the app had it from an earlier answer, or Stripe's own retry)
    String event = event("payment_intent.succeeded", stripe.pay(pi));
    assertThat(deliver(event, sign(event, now()))).isEqualTo(200);
    var after = payment(buyer, order);
    assertThat(after.get("status")).isEqualTo("PAID");
    assertThat(((Map<?, ?>) after.get("payment")).get("status")).isEqualTo("SUCCEEDED");
    assertThat(intentLinkedTo(order)).isEqualTo(pi);
    assertThat(mails("order-paid:" + order)).isEqualTo(1);
  }

  @Test
  void aFloodOfExpiredOrdersIsCancelledInOneSweepPastTheOnesItMustLeave() {
    var seller = signUp("Seller");
    var buyer = signUp("Buyer");
    long product = product(seller, 100, 400);
    // the oldest: a bank debit processing at Stripe, its event still to come, so every sweep
    // leaves it
    String paid = placeOrder(buyer, product, 1);
    stripe.startProcessing(checkout(buyer, paid).paymentIntentId());
    List<Long> flood = new ArrayList<>();
    for (int i = 0; i < 250; i++) {
      flood.add(Long.parseLong(placeOrder(buyer, product, 1)));
    }
    expiredAgo("1 hour", Long.parseLong(paid));
    expiredAgo("1 second", flood.toArray(Long[]::new));
    assertThat(stock(product)).isEqualTo(149);

    assertThat(expiry.sweep().block(Duration.ofSeconds(60))).isEqualTo(250);
    assertThat(
            count(
                "SELECT count(*) FROM orders WHERE status = 'CANCELLED' AND id = ANY($1)",
                flood.toArray(Long[]::new)))
        .isEqualTo(250);
    assertThat(payment(buyer, paid).get("status")).isEqualTo("PENDING_PAYMENT");
    assertThat(stock(product)).isEqualTo(399);
    // once: the next sweep finds only the order it must leave
    assertThat(expiry.sweep().block(Duration.ofSeconds(60))).isZero();
    assertThat(stock(product)).isEqualTo(399);
  }

  /**
   * Paid at Stripe before it expired, its webhook event not come (it may never: an endpoint not
   * subscribed to it, a secret rotated wrongly): the sweep, told by Stripe that the PaymentIntent
   * succeeded, marks the order paid as the event would, once; the event coming late changes nothing
   * more. It used to leave the order unpaid for ever, its buyer charged, and ask Stripe about it at
   * every sweep.
   */
  @Test
  void anOrderPaidBeforeItsExpiryIsMarkedPaidEvenWithoutItsEvent() {
    var seller = signUp("Seller");
    var buyer = signUp("Buyer");
    long product = product(seller, 100, 5);
    String order = placeOrder(buyer, product, 1);
    String pi = checkout(buyer, order).paymentIntentId();
    stripe.pay(pi); // paid at Stripe; its event not delivered
    expiredAgo("1 second", Long.parseLong(order));
    expiry.sweep().block(Duration.ofSeconds(30));
    assertThat(payment(buyer, order).get("status")).isEqualTo("PAID");
    assertThat(stock(product)).isEqualTo(4);
    assertThat(mailsTo(buyer, "Your order " + order + " is paid")).isEqualTo(1);
    int reads = stripe.intentReads(pi);
    expiry.sweep().block(Duration.ofSeconds(30));
    assertThat(stripe.intentReads(pi)).as("not asked about again").isEqualTo(reads);
    String event = event("payment_intent.succeeded", stripe.intent(pi));
    assertThat(deliver(event, sign(event, now()))).isEqualTo(200);
    assertThat(payment(buyer, order).get("status")).isEqualTo("PAID");
    assertThat(mailsTo(buyer, "Your order " + order + " is paid")).isEqualTo(1);
  }

  /**
   * A bank debit (ACH, SEPA) stays processing for days, and Stripe refuses to cancel it meanwhile:
   * the sweeps leave its order alone without asking Stripe, until its webhook settles it, and ask
   * once an hour all the same (the stored status is the last event's, which may be a stale one).
   */
  @Test
  void anExpiredOrderWhosePaymentIsProcessingIsLeftWithoutAskingStripe() {
    var seller = signUp("Seller");
    var buyer = signUp("Buyer");
    long product = product(seller, 100, 5);
    String order = placeOrder(buyer, product, 1);
    String pi = checkout(buyer, order).paymentIntentId();
    stripe.startProcessing(pi);
    delivered("payment_intent.processing", stripe.intent(pi));
    expiredAgo("90 minutes", Long.parseLong(order));
    int reads = stripe.intentReads(pi);
    int cancels = stripe.cancels();
    for (int i = 0; i < 3; i++) {
      expiry.sweep().block(Duration.ofSeconds(30));
    }
    assertThat(stripe.intentReads(pi) - reads).as("reads of the intent at Stripe").isZero();
    assertThat(payment(buyer, order).get("status")).isEqualTo("PENDING_PAYMENT");

    // one whose processing event has not arrived yet: Stripe's answer says it, and no cancel
    String other = placeOrder(buyer, product, 1);
    String otherPi = checkout(buyer, other).paymentIntentId();
    stripe.startProcessing(otherPi);
    expiredAgo("90 minutes", Long.parseLong(other));
    expiry.sweep().block(Duration.ofSeconds(30));
    assertThat(stripe.cancels() - cancels).as("cancel requests Stripe would refuse").isZero();
    assertThat(payment(buyer, other).get("status")).isEqualTo("PENDING_PAYMENT");
    assertThat(stock(product)).isEqualTo(3);
    // and Stripe's answer is kept: the next sweeps ask no more than for the first (its event may
    // never come, and every instance asked every 30 s for the days a debit takes)
    int otherReads = stripe.intentReads(otherPi);
    for (int i = 0; i < 3; i++) {
      expiry.sweep().block(Duration.ofSeconds(30));
    }
    assertThat(stripe.intentReads(otherPi) - otherReads).as("reads of the other intent").isZero();

    // days later the first debit clears
    stripe.pay(pi);
    delivered("payment_intent.succeeded", stripe.intent(pi));
    assertThat(payment(buyer, order).get("status")).isEqualTo("PAID");

    // a debit that failed while the stored status still says processing (a stale event applied
    // last): asked at the hour since its expiry, cancelled, its stock back
    String third = placeOrder(buyer, product, 1);
    String thirdPi = checkout(buyer, third).paymentIntentId();
    stripe.startProcessing(thirdPi);
    stripe.failDebit(thirdPi);
    db.sql("UPDATE payments SET stripe_status = 'processing' WHERE order_id = $1")
        .bind(0, Long.parseLong(third))
        .then()
        .block();
    expiredAgo("2 hours", Long.parseLong(third));
    expiry.sweep().block(Duration.ofSeconds(30));
    assertThat(payment(buyer, third).get("status")).isEqualTo("CANCELLED");
    assertThat(stock(product)).isEqualTo(3);
  }

  @Test
  void cryptoCheckoutHonoursOnlyTheBuyersValidQuote() {
    var seller = signUp("Seller");
    var buyer = signUp("Buyer");
    var other = signUp("Other");
    String order = placeOrder(buyer, product(seller, 10000, 3), 1); // 100.00 USD
    long valid = quote(buyer, "BTC", "USD", "50000", Duration.ofMinutes(10));
    long expired = quote(buyer, "BTC", "USD", "50000", Duration.ofMinutes(-1));
    long othersQuote = quote(other, "BTC", "USD", "50000", Duration.ofMinutes(10));
    long euro = quote(buyer, "BTC", "EUR", "45000", Duration.ofMinutes(10));
    expectError(checkout(buyer, order, expired), "CONFLICT");
    expectError(checkout(buyer, order, othersQuote), "NOT_FOUND");
    expectError(checkout(buyer, order, euro), "BAD_REQUEST");
    var answer = checkout(buyer, order, valid);
    answer.path("checkout.crypto.quoteId").entity(String.class).isEqualTo(String.valueOf(valid));
    answer.path("checkout.crypto.amount").entity(String.class).isEqualTo("0.002");
    answer.path("checkout.amount.amount").entity(Long.class).isEqualTo(10000L);
    String pi = answer.path("checkout.paymentIntentId").entity(String.class).get();
    assertThat(stripe.intent(pi).get("payment_method_types")).isEqualTo(List.of("crypto"));
    assertThat(((Map<?, ?>) stripe.intent(pi).get("metadata")).get("price_quote"))
        .isEqualTo(String.valueOf(valid));
    // the payment keeps its quote
    expectError(
        buyer.graphQl().documentName("checkout").variable("orderId", order).execute(), "CONFLICT");
    var payment = (Map<?, ?>) ((Map<?, ?>) payment(buyer, order)).get("payment");
    assertThat(((Map<?, ?>) payment.get("crypto")).get("price")).isEqualTo("50000");
  }

  /**
   * Stripe refusing a crypto PaymentIntent for good (stablecoin payments not activated on the
   * account) leaves the order payable by card: the payment kept the quote it started with, and
   * every checkout without it was CONFLICT until the order expired.
   */
  @Test
  void aCryptoCheckoutStripeRefusesLeavesTheOrderPayableByCard() {
    var seller = signUp("Seller");
    var buyer = signUp("Buyer");
    String order = placeOrder(buyer, product(seller, 10000, 3), 1);
    long quote = quote(buyer, "BTC", "USD", "50000", Duration.ofMinutes(10));
    stripe.refuseCrypto(true);
    try {
      checkout(buyer, order, quote)
          .errors()
          .expect(
              e ->
                  e.getErrorType().toString().equals("CONFLICT")
                      && e.getMessage().contains("check out without a quote"))
          .verify();
    } finally {
      stripe.refuseCrypto(false);
    }
    assertThat(stripe.intentsOfOrder(order)).isEmpty();
    String pi = checkout(buyer, order).paymentIntentId();
    assertThat(stripe.intent(pi).get("payment_method_types")).isNotEqualTo(List.of("crypto"));

    // a refusal the operator can fix (a revoked key) keeps the quote and its rate for the retry
    String other = placeOrder(buyer, product(seller, 10000, 3), 1);
    long kept = quote(buyer, "BTC", "USD", "50000", Duration.ofMinutes(10));
    stripe.failWith(401);
    try {
      checkout(buyer, other, kept)
          .errors()
          .expect(e -> e.getErrorType().toString().equals("INTERNAL_ERROR"))
          .verify();
    } finally {
      stripe.failWith(0);
    }
    checkout(buyer, other, kept)
        .path("checkout.crypto.quoteId")
        .entity(String.class)
        .isEqualTo(String.valueOf(kept));
    assertThat(((Map<?, ?>) payment(buyer, order)).get("payment"))
        .extracting(p -> ((Map<?, ?>) p).get("crypto"))
        .isNull();
  }

  /**
   * A coin amount has the coin's own decimals, as Product.priceIn shows it: 6 for USDC, whose
   * amounts on chain have no 7th (it was rounded up to 8 for every coin, so the checkout showed an
   * amount nobody could send, and another than the product's page).
   */
  @Test
  void aCryptoCheckoutRoundsToTheCoinsOwnDecimals() {
    var seller = signUp("Seller");
    var buyer = signUp("Buyer");
    String order = placeOrder(buyer, product(seller, 100000, 3), 1); // 1,000.00 USD
    long usdc = quote(buyer, "USDC", "USD", "0.99987", Duration.ofMinutes(10));
    checkout(buyer, order, usdc)
        .path("checkout.crypto.amount")
        .entity(String.class)
        .isEqualTo("1000.130017");
  }

  @Test
  void aSellerShipsAPaidOrderOnceAndMayStillRefundIt() {
    var seller = signUp("Seller");
    var buyer = signUp("Buyer");
    String order = placeOrder(buyer, product(seller, 800, 3), 1);
    expectError(
        seller.graphQl().documentName("markShipped").variable("orderId", order).execute(),
        "CONFLICT");
    pay(buyer, order);
    expectError(
        buyer.graphQl().documentName("markShipped").variable("orderId", order).execute(),
        "FORBIDDEN");
    expectError(
        signUp("Stranger")
            .graphQl()
            .documentName("markShipped")
            .variable("orderId", order)
            .execute(),
        "NOT_FOUND");
    seller
        .graphQl()
        .documentName("markShipped")
        .variable("orderId", order)
        .execute()
        .path("markShipped.status")
        .entity(String.class)
        .isEqualTo("FULFILLED");
    seller
        .graphQl()
        .documentName("markShipped")
        .variable("orderId", order)
        .execute()
        .path("markShipped.status")
        .entity(String.class)
        .isEqualTo("FULFILLED");
    assertThat(mails("order-shipped:" + order)).isEqualTo(1);
    // a return after shipping
    refund(seller, order, 800, UUID.randomUUID().toString())
        .path("refund.status")
        .entity(String.class)
        .isEqualTo("SUCCEEDED");
    assertThat(payment(buyer, order).get("status")).isEqualTo("REFUNDED");
    // final: no way back
    expectError(
        seller.graphQl().documentName("markShipped").variable("orderId", order).execute(),
        "CONFLICT");
  }

  @Test
  void thePaymentIsTheBuyersAlone() {
    var seller = signUp("Seller");
    var buyer = signUp("Buyer");
    String order = placeOrder(buyer, product(seller, 100, 3), 1);
    pay(buyer, order);
    seller
        .graphQl()
        .documentName("orderPayment")
        .variable("id", order)
        .execute()
        .path("order.status")
        .entity(String.class)
        .isEqualTo("PAID")
        .path("order.payment")
        .valueIsNull();
  }

  @Test
  void theBuyerSeesThePaymentConfirmationLive() {
    // the subscription also re-reads its order every status-recheck: only when no re-read comes
    // before the 30 s this test waits does PAID arriving prove the push (pom.xml sets 1 h)
    assertThat(statusRecheck).isGreaterThan(Duration.ofSeconds(30));
    var seller = signUp("Seller");
    var buyer = signUp("Buyer");
    String order = placeOrder(buyer, product(seller, 100, 3), 1);
    String pi = checkout(buyer, order).paymentIntentId();
    var client =
        WebSocketGraphQlClient.builder(
                URI.create("ws://localhost:" + port + "/graphql"),
                new ReactorNettyWebSocketClient())
            .header(HttpHeaders.COOKIE, "SESSION=" + buyer.session())
            .documentSource(
                new ResourceDocumentSource(
                    List.of(new FileSystemResource("api/")), List.of(".graphql")))
            .build();
    List<String> seen = new java.util.concurrent.CopyOnWriteArrayList<>();
    var statuses =
        client
            .documentName("orderStatusChanged")
            .variable("orderId", order)
            .retrieveSubscription("orderStatusChanged")
            .toEntity(Map.class)
            .map(o -> (String) o.get("status"))
            .doOnNext(
                status -> {
                  seen.add(status);
                  if (status.equals("PENDING_PAYMENT")) {
                    String event = event("payment_intent.succeeded", stripe.pay(pi));
                    BlockingCalls.SCHEDULER.schedule(() -> deliver(event, sign(event, now())));
                  }
                })
            .take(2)
            .collectList()
            .block(Duration.ofSeconds(30));
    assertThat(statuses).containsExactly("PENDING_PAYMENT", "PAID");
    client.stop().block(Duration.ofSeconds(5));
    expectErrorSubscription(signUp("Stranger"), order);
  }

  @Test
  void inDevelopmentTheFakeStripeConfirmsThroughTheWebhookAndTheMailReachesTheLocalMailbox() {
    stripe.webhookUrl("http://127.0.0.1:" + port + "/webhooks/stripe");
    var seller = signUp("Seller");
    var buyer = signUp("Buyer");
    String order = placeOrder(buyer, product(seller, 4200, 3), 1);
    confirmAtStripe(checkout(buyer, order).paymentIntentId(), "pm_card_visa");
    String status = awaitStatus(buyer, order, "PAID");
    assertThat(status).isEqualTo("PAID");
    List<Map<String, Object>> mail = awaitMail(buyer.email(), "is paid");
    assertThat(mail).isNotEmpty();
    assertThat((String) mail.get(0).get("body")).contains("42.00 USD");
  }

  @Test
  void paymentsAreUnavailableWithoutStripeKeys() {
    var gateway =
        new StripeGateway(
            null,
            new PaymentSettings.Stripe(
                "", "", "", "http://127.0.0.1:9", Duration.ofSeconds(1), Duration.ofSeconds(1), 0));
    assertThat(gateway.configured()).isFalse();
    assertThat(gateway.webhookSecret()).isEmpty();
    org.assertj.core.api.Assertions.assertThatThrownBy(gateway::publishableKey)
        .hasMessageContaining("STRIPE_SECRET_KEY");
  }

  // --- helpers

  /** What an app does with Stripe's SDK: confirms the PaymentIntent with a payment method. */
  private void confirmAtStripe(String pi, String paymentMethod) {
    postToStripe("/v1/payment_intents/" + pi + "/confirm", "payment_method=" + paymentMethod);
  }

  /** A form POSTed to the fake Stripe with the secret key, as curl or an SDK does; expects 200. */
  private void postToStripe(String path, String form) {
    http()
        .post()
        .uri(URI.create(stripe.baseUrl() + path))
        .header(HttpHeaders.AUTHORIZATION, "Bearer " + FakeStripe.SECRET_KEY)
        .contentType(MediaType.APPLICATION_FORM_URLENCODED)
        .bodyValue(form)
        .exchange()
        .expectStatus()
        .isOk()
        // read to the end: a body left unread is a buffer never released
        .expectBody(Void.class);
  }

  /** Waits until this many refund-settling events of the order were applied. */
  private void awaitEvents(String order, long wanted) {
    long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
    String settling =
        "SELECT count(*) FROM stripe_events WHERE order_id = $1"
            + " AND type IN ('refund.updated', 'charge.refund.updated', 'refund.failed')"
            + " AND outcome <> 'received'";
    while (count(settling, order) < wanted && System.nanoTime() < deadline) {
      reactor.core.publisher.Mono.delay(Duration.ofMillis(100)).block();
    }
    assertThat(count(settling, order)).isEqualTo(wanted);
  }

  /** The counter once it reached {@code wanted}, or what it is after 20 s. */
  private double awaitCount(String counter, double wanted) {
    long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
    while (meters.counter(counter).count() < wanted && System.nanoTime() < deadline) {
      reactor.core.publisher.Mono.delay(Duration.ofMillis(50)).block();
    }
    return meters.counter(counter).count();
  }

  /** Mails to the user whose subject contains this. */
  private long mailsTo(Client user, String subject) {
    return db.sql(
            "SELECT count(*) FROM mail_outbox WHERE recipient = $1 AND strpos(subject, $2) > 0")
        .bind(0, user.email())
        .bind(1, subject)
        .map(r -> r.get(0, Number.class).longValue())
        .one()
        .block();
  }

  /** A refund made in Stripe's Dashboard: at Stripe, with none of our metadata. */
  private void refundInStripesDashboard(String pi, long amount) {
    postToStripe("/v1/refunds", "payment_intent=" + pi + "&amount=" + amount);
  }

  /** Makes the order's refunds in flight look unchanged for {@code ago} (a PostgreSQL interval). */
  private void inFlightSince(String ago, String order) {
    db.sql(
            "UPDATE refunds SET updated_at = now() - $1::interval WHERE order_id = $2"
                + " AND status IN ('pending', 'requires_action')")
        .bind(0, ago)
        .bind(1, Long.parseLong(order))
        .then()
        .block();
  }

  /** Delivers the event as Stripe does, signed now, and expects it taken (200). */
  private void delivered(String type, Map<String, Object> object) {
    String event = event(type, object);
    assertThat(deliver(event, sign(event, now()))).as(type + " " + object).isEqualTo(200);
  }

  /** A refund as Stripe's events carry it, of one made outside the API (no metadata of ours). */
  private static Map<String, Object> refundAtStripe(
      String id, String pi, long amount, String status) {
    Map<String, Object> refund = new LinkedHashMap<>();
    refund.put("id", id);
    refund.put("object", "refund");
    refund.put("amount", amount);
    refund.put("currency", "usd");
    refund.put("payment_intent", pi);
    refund.put("status", status);
    refund.put("metadata", Map.of());
    return refund;
  }

  /** What the buyer sees refunded of the order's payment, in minor units. */
  private long refunded(Client buyer, String order) {
    var payment = (Map<?, ?>) payment(buyer, order).get("payment");
    return ((Number) ((Map<?, ?>) payment.get("refunded")).get("amount")).longValue();
  }

  /** Asks for the refund again with its key until it has the wanted status; answers the last. */
  private String awaitRefund(Client seller, String order, int amount, String key, String wanted) {
    long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
    String status;
    do {
      status = refund(seller, order, amount, key).path("refund.status").entity(String.class).get();
      if (status.equals(wanted)) {
        return status;
      }
      reactor.core.publisher.Mono.delay(Duration.ofMillis(100)).block();
    } while (System.nanoTime() < deadline);
    return status;
  }

  private record Started(String paymentIntentId) {}

  /** checkout over plain HTTP, for answers that are not 200: the body, after checking for 503. */
  private String rawCheckout(Client buyer, String order) {
    return rawCheckout(buyer, order, null);
  }

  private String rawCheckout(Client buyer, String order, @Nullable Long quote) {
    Map<String, Object> variables = new LinkedHashMap<>();
    variables.put("o", order);
    variables.put("q", quote == null ? null : String.valueOf(quote));
    return postGraphQl(
            buyer,
            "mutation($o:ID!,$q:ID){checkout(orderId:$o,quoteId:$q){paymentIntentId}}",
            variables)
        .expectStatus()
        .isEqualTo(503)
        .expectBody(String.class)
        .returnResult()
        .getResponseBody();
  }

  private Started checkout(Client buyer, String order) {
    return new Started(
        buyer
            .graphQl()
            .documentName("checkout")
            .variable("orderId", order)
            .execute()
            .path("checkout.paymentIntentId")
            .entity(String.class)
            .get());
  }

  private org.springframework.graphql.test.tester.GraphQlTester.Response checkout(
      Client buyer, String order, long quote) {
    return buyer
        .graphQl()
        .documentName("checkout")
        .variable("orderId", order)
        .variable("quoteId", String.valueOf(quote))
        .execute();
  }

  private org.springframework.graphql.test.tester.GraphQlTester.Response refund(
      Client seller, String order, long amount, String key) {
    return seller
        .graphQl()
        .documentName("refund")
        .variable("orderId", order)
        .variable("amount", amount)
        .variable("idempotencyKey", key)
        .execute();
  }

  /** Pays the order at the fake Stripe and delivers the success event; answers its intent. */
  private String pay(Client buyer, String order) {
    String pi = checkout(buyer, order).paymentIntentId();
    String event = event("payment_intent.succeeded", stripe.pay(pi));
    assertThat(deliver(event, sign(event, now()))).isEqualTo(200);
    assertThat(payment(buyer, order).get("status")).isEqualTo("PAID");
    return pi;
  }

  /** The PaymentIntent the fake Stripe created for the order, once it has. */
  private String awaitIntentOf(String order) {
    long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
    while (System.nanoTime() < deadline) {
      var intents = stripe.intentsOfOrder(order);
      if (!intents.isEmpty()) {
        assertThat(intents).hasSize(1);
        return (String) intents.get(0).get("id");
      }
      reactor.core.publisher.Mono.delay(Duration.ofMillis(50)).block();
    }
    throw new AssertionError("the fake Stripe created no PaymentIntent for order " + order);
  }

  private String intentLinkedTo(String order) {
    return db.sql("SELECT payment_intent_id FROM payments WHERE order_id = $1")
        .bind(0, Long.parseLong(order))
        .map(r -> java.util.Optional.ofNullable(r.get(0, String.class)))
        .one()
        .block()
        .orElse(null);
  }

  /** Events for the order refused because their amount or currency contradicts the order's. */
  private long mismatches(String order) {
    return count(
        "SELECT count(*) FROM stripe_events WHERE order_id = $1"
            + " AND outcome = 'amount or currency mismatch'",
        order);
  }

  private static String event(String type, Map<String, Object> object) {
    return FakeStripe.event(
        "evt_test_" + UUID.randomUUID().toString().replace("-", ""), type, object, now());
  }

  private static Map<String, Object> charge(String pi, long amount, long refunded) {
    Map<String, Object> charge = new LinkedHashMap<>();
    charge.put("id", "ch_test_" + pi);
    charge.put("object", "charge");
    charge.put("amount", amount);
    charge.put("amount_refunded", refunded);
    charge.put("currency", "usd");
    charge.put("payment_intent", pi);
    charge.put("refunded", refunded == amount);
    return charge;
  }

  private static String sign(String payload, long timestamp) {
    return FakeStripe.signature(payload, FakeStripe.WEBHOOK_SECRET, timestamp);
  }

  private static long now() {
    return Instant.now().getEpochSecond();
  }

  /** POSTs the payload as Stripe does; answers the HTTP status. */
  private int deliver(String payload, String signature) {
    var request = http().post().uri("/webhooks/stripe").contentType(MediaType.APPLICATION_JSON);
    if (signature != null) {
      request = request.header("Stripe-Signature", signature);
    }
    return request.bodyValue(payload).exchange().expectBody().returnResult().getStatus().value();
  }

  private Map<?, ?> payment(Client buyer, String order) {
    return buyer
        .graphQl()
        .documentName("orderPayment")
        .variable("id", order)
        .execute()
        .path("order")
        .entity(Map.class)
        .get();
  }

  private String awaitStatus(Client buyer, String order, String wanted) {
    long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
    String status;
    do {
      status = (String) payment(buyer, order).get("status");
      if (status.equals(wanted)) {
        return status;
      }
      reactor.core.publisher.Mono.delay(Duration.ofMillis(100)).block();
    } while (System.nanoTime() < deadline);
    return status;
  }

  @SuppressWarnings("unchecked")
  private List<Map<String, Object>> awaitMail(String to, String subject) {
    long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
    List<Map<String, Object>> found = List.of();
    while (System.nanoTime() < deadline) {
      List<Map<String, Object>> box =
          http()
              .get()
              .uri(b -> b.path("/dev/mailbox").queryParam("to", to).build())
              .exchange()
              .expectStatus()
              .isOk()
              .expectBody(List.class)
              .returnResult()
              .getResponseBody();
      found = new ArrayList<>();
      for (Map<String, Object> mail : box) {
        if (((String) mail.get("subject")).contains(subject)) {
          found.add(mail);
        }
      }
      if (!found.isEmpty()) {
        return found;
      }
      reactor.core.publisher.Mono.delay(Duration.ofMillis(100)).block();
    }
    return found;
  }

  private void expectErrorSubscription(Client stranger, String order) {
    var client =
        WebSocketGraphQlClient.builder(
                URI.create("ws://localhost:" + port + "/graphql"),
                new ReactorNettyWebSocketClient())
            .header(HttpHeaders.COOKIE, "SESSION=" + stranger.session())
            .documentSource(
                new ResourceDocumentSource(
                    List.of(new FileSystemResource("api/")), List.of(".graphql")))
            .build();
    try {
      client
          .documentName("orderStatusChanged")
          .variable("orderId", order)
          .retrieveSubscription("orderStatusChanged")
          .toEntity(Map.class)
          .blockFirst(Duration.ofSeconds(10));
      throw new AssertionError("a stranger subscribed to another's order");
    } catch (org.springframework.graphql.client.SubscriptionErrorException e) {
      assertThat(e.getErrors().get(0).getErrorType().toString()).isEqualTo("NOT_FOUND");
    } finally {
      client.stop().block(Duration.ofSeconds(5));
    }
  }

  private static void expectError(
      org.springframework.graphql.test.tester.GraphQlTester.Response response,
      String classification) {
    response.errors().expect(e -> e.getErrorType().toString().equals(classification)).verify();
  }

  private String placeOrder(Client buyer, long product, int quantity) {
    return buyer
        .graphQl()
        .documentName("placeOrder")
        .variable("items", List.of(item(product, quantity)))
        .execute()
        .path("placeOrder.id")
        .entity(String.class)
        .get();
  }

  /** Moves the orders' expiry into the past, by {@code ago} (a PostgreSQL interval). */
  private void expiredAgo(String ago, Long... orderIds) {
    db.sql("UPDATE orders SET expires_at = now() - $1::interval WHERE id = ANY($2)")
        .bind(0, ago)
        .bind(1, orderIds)
        .then()
        .block();
  }

  private long quote(
      Client buyer, String symbol, String currency, String price, Duration validFor) {
    Instant now = Instant.now();
    return db.sql(
            "INSERT INTO price_quotes (buyer_id, symbol, currency, price, source, freshness, as_of, locked_at, expires_at)"
                + " VALUES ($1, $2, $3, $4, 'coingecko', 'FRESH', $5, $6, $7) RETURNING id")
        .bind(0, Long.parseLong(buyer.id()))
        .bind(1, symbol)
        .bind(2, currency)
        .bind(3, new BigDecimal(price))
        .bind(4, now.atOffset(java.time.ZoneOffset.UTC))
        .bind(5, now.minus(Duration.ofMinutes(20)).atOffset(java.time.ZoneOffset.UTC))
        .bind(6, now.plus(validFor).atOffset(java.time.ZoneOffset.UTC))
        .map(r -> r.get(0, Long.class))
        .one()
        .block();
  }

  private long product(Client seller, long price, int stock) {
    return product(seller, price, "USD", stock);
  }

  private long product(Client seller, long price, String currency, int stock) {
    return db.sql(
            "INSERT INTO products (seller_id, category, title, price_amount, price_currency, stock)"
                + " VALUES ($1, 'payments-test', 'Thing', $2, $4, $3) RETURNING id")
        .bind(0, Long.parseLong(seller.id()))
        .bind(1, price)
        .bind(2, stock)
        .bind(3, currency)
        .map(r -> r.get(0, Long.class))
        .one()
        .block();
  }

  private static Map<String, Object> item(long productId, int quantity) {
    return Map.of("productId", String.valueOf(productId), "quantity", quantity);
  }

  private int stock(long productId) {
    return db.sql("SELECT stock FROM products WHERE id = $1")
        .bind(0, productId)
        .map(r -> r.get(0, Integer.class))
        .one()
        .block();
  }

  private long mails(String dedupKey) {
    return count("SELECT count(*) FROM mail_outbox WHERE dedup_key = $1", dedupKey);
  }

  private long count(String sql, Object parameter) {
    Object value =
        parameter instanceof String s && s.matches("\\d+") && !sql.contains("dedup_key")
            ? Long.parseLong(s)
            : parameter;
    return db.sql(sql).bind(0, value).map(r -> r.get(0, Number.class).longValue()).one().block();
  }
}
