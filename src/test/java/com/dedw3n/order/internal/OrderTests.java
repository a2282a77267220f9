package com.dedw3n.order.internal;

import static org.assertj.core.api.Assertions.assertThat;

import com.dedw3n.ApiTests;
import com.dedw3n.BlockingCalls;
import com.dedw3n.platform.db.PlanningDatabase;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.r2dbc.pool.ConnectionPool;
import io.r2dbc.spi.Connection;
import io.r2dbc.spi.ConnectionFactory;
import io.r2dbc.spi.Result;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.LongStream;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

class OrderTests extends ApiTests {

  @Autowired ConnectionFactory connections;
  @Autowired MeterRegistry meters;
  @Autowired ConnectionPool pool;

  @Test
  void placingAnOrderTakesStockAndRecordsPrices() {
    var seller = signUp("Seller");
    var buyer = signUp("Buyer");
    long a = product(seller, 500, 10, "USD");
    long b = product(seller, 250, 3, "USD");
    var response =
        buyer
            .graphQl()
            .documentName("placeOrder")
            .variable("items", List.of(item(a, 2), item(b, 3)))
            .execute();
    response.path("placeOrder.total.amount").entity(Long.class).isEqualTo(2 * 500L + 3 * 250L);
    response.path("placeOrder.items").entityList(Object.class).hasSize(2);
    assertThat(stock(a)).isEqualTo(8);
    assertThat(stock(b)).isZero();
  }

  @Test
  void aRetryWithTheSameIdempotencyKeyAnswersTheFirstOrderAndTakesStockOnce() {
    var seller = signUp("Seller");
    var buyer = signUp("Buyer");
    long a = product(seller, 500, 10, "USD");
    String key = java.util.UUID.randomUUID().toString();
    String first =
        placeWithKey(buyer, List.of(item(a, 2)), key)
            .path("placeOrder.id")
            .entity(String.class)
            .get();
    placeWithKey(buyer, List.of(item(a, 2)), key)
        .path("placeOrder.id")
        .entity(String.class)
        .isEqualTo(first)
        .path("placeOrder.status")
        .entity(String.class)
        .isEqualTo("PENDING_PAYMENT");
    assertThat(stock(a)).isEqualTo(8);
    assertThat(ordersOf(buyer)).isEqualTo(1);
    // the same key with other items is refused, and changes nothing
    placeWithKey(buyer, List.of(item(a, 3)), key)
        .errors()
        .expect(
            e -> e.getErrorType().toString().equals("CONFLICT") && e.getMessage().contains(first))
        .verify();
    assertThat(stock(a)).isEqualTo(8);
    // keys are per buyer: another buyer's same key is another order
    var other = signUp("OtherBuyer");
    placeWithKey(other, List.of(item(a, 2)), key)
        .path("placeOrder.id")
        .entity(String.class)
        .satisfies(id -> assertThat(id).isNotEqualTo(first));
    assertThat(stock(a)).isEqualTo(6);
    placeWithKey(buyer, List.of(item(a, 1)), "has space")
        .errors()
        .expect(e -> e.getErrorType().toString().equals("BAD_REQUEST"))
        .verify();
  }

  /**
   * A client that timed out retries with its key: of concurrent attempts with one key, exactly one
   * places the order, and every attempt answers it.
   */
  @Test
  void concurrentAttemptsWithOneKeyPlaceOneOrder() {
    var seller = signUp("Seller");
    var buyer = signUp("Buyer");
    long a = product(seller, 100, 100, "USD");
    String key = java.util.UUID.randomUUID().toString();
    java.util.Set<String> ids = java.util.concurrent.ConcurrentHashMap.newKeySet();
    List<String> failures = new java.util.concurrent.CopyOnWriteArrayList<>();
    Flux.range(0, 8)
        .parallel(8)
        .runOn(BlockingCalls.SCHEDULER)
        .doOnNext(
            i -> {
              var response = placeWithKey(buyer, List.of(item(a, 3)), key).returnResponse();
              if (response.getErrors().isEmpty()) {
                ids.add(
                    ((Map<?, ?>) response.getData()).get("placeOrder") instanceof Map<?, ?> o
                        ? (String) o.get("id")
                        : "?");
              } else {
                failures.add(response.getErrors().toString());
              }
            })
        .sequential()
        .blockLast(Duration.ofSeconds(60));
    assertThat(failures).isEmpty();
    assertThat(ids).hasSize(1);
    assertThat(stock(a)).isEqualTo(97);
    assertThat(ordersOf(buyer)).isEqualTo(1);
  }

  /**
   * Another transaction (an operator's, say) that locks the products in the other order: the order
   * waits for it, and PostgreSQL breaks the deadlock by rolling the order back. The client is told
   * to send it again (UNAVAILABLE, TRANSACTION_CONFLICT, retry after 1 s), the order took nothing,
   * and its retry with the same key places it. PostgreSQL looks for a deadlock once in each wait,
   * deadlock_timeout (1 s) after the wait began: the order, which waits first, finds it as long as
   * this test's second lock, sent as soon as the order is seen waiting, waits within that second.
   */
  @Test
  @SuppressWarnings("unchecked")
  void anOrderRolledBackToBreakADeadlockIsRetryableAndItsRetryPlacesIt()
      throws InterruptedException {
    var seller = signUp("Seller");
    var buyer = signUp("Buyer");
    long a = product(seller, 500, 10, "USD");
    long b = product(seller, 250, 10, "USD");
    String key = java.util.UUID.randomUUID().toString();
    Connection other = Mono.from(connections.create()).block(Duration.ofSeconds(10));
    try {
      Mono.from(other.beginTransaction()).block(Duration.ofSeconds(10));
      Counter conflicts =
          meters.counter(
              "dedw3n.graphql.errors",
              "operation",
              "placeOrder",
              "classification",
              "UNAVAILABLE",
              "code",
              "TRANSACTION_CONFLICT");
      double conflictsBefore = conflicts.count();
      int otherPid =
          Flux.from(other.createStatement("SELECT pg_backend_pid()").execute())
              .flatMap(result -> result.map(row -> row.get(0, Integer.class)))
              .blockFirst(Duration.ofSeconds(10));
      run(other, "SELECT 1 FROM products WHERE id = " + b + " FOR UPDATE");
      var order =
          Mono.fromCallable(
                  () ->
                      postGraphQl(
                              buyer,
                              Files.readString(Path.of("api/placeOrder.graphql")),
                              Map.of(
                                  "items", List.of(item(a, 2), item(b, 1)), "idempotencyKey", key))
                          .expectBody(Map.class)
                          .returnResult())
              .subscribeOn(BlockingCalls.SCHEDULER)
              .toFuture();
      // the order has locked a and waits for b
      long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
      while (blockedBy(otherPid) == 0) {
        assertThat(System.nanoTime()).as("the order waits for b's lock").isLessThan(deadline);
        Thread.sleep(5);
      }
      run(other, "SELECT 1 FROM products WHERE id = " + a + " FOR UPDATE");
      var refused = order.join();
      // counted apart from outages, for an alert on deadlocks
      assertThat(conflicts.count() - conflictsBefore).isEqualTo(1);
      // nothing of the mutation was answered: 503 with Retry-After, and the error says why
      assertThat(refused.getStatus().value()).isEqualTo(503);
      assertThat(refused.getResponseHeaders().getFirst("Retry-After")).isEqualTo("1");
      List<?> errors = (List<?>) refused.getResponseBody().get("errors");
      assertThat(errors).hasSize(1);
      assertThat((Map<String, Object>) ((Map<?, ?>) errors.get(0)).get("extensions"))
          .containsEntry("classification", "UNAVAILABLE")
          .containsEntry("code", "TRANSACTION_CONFLICT")
          .containsEntry("retryAfter", 1);
    } finally {
      try {
        Mono.from(other.rollbackTransaction()).block(Duration.ofSeconds(10));
      } finally {
        Mono.from(other.close()).block(Duration.ofSeconds(10));
      }
    }
    assertThat(stock(a)).isEqualTo(10);
    assertThat(stock(b)).isEqualTo(10);
    assertThat(ordersOf(buyer)).isZero();

    placeWithKey(buyer, List.of(item(a, 2), item(b, 1)), key)
        .path("placeOrder.status")
        .entity(String.class)
        .isEqualTo("PENDING_PAYMENT");
    assertThat(stock(a)).isEqualTo(8);
    assertThat(stock(b)).isEqualTo(9);
  }

  private static void run(Connection connection, String sql) {
    Flux.from(connection.createStatement(sql).execute())
        .flatMap(Result::getRowsUpdated)
        .then()
        .block(Duration.ofSeconds(30));
  }

  /** Backends waiting for a lock that the backend {@code pid} holds. */
  private long blockedBy(int pid) {
    return db.sql("SELECT count(*) FROM pg_stat_activity WHERE $1 = ANY(pg_blocking_pids(pid))")
        .bind(0, pid)
        .map(r -> r.get(0, Long.class))
        .one()
        .block();
  }

  @Test
  void aNewOrderWaitsForPaymentUntilItsExpiry() {
    var seller = signUp("Seller");
    var buyer = signUp("Buyer");
    long a = product(seller, 500, 10, "USD");
    var placed =
        buyer.graphQl().documentName("placeOrder").variable("items", List.of(item(a, 1))).execute();
    placed.path("placeOrder.status").entity(String.class).isEqualTo("PENDING_PAYMENT");
    String expiresAt = placed.path("placeOrder.expiresAt").entity(String.class).get();
    String createdAt = placed.path("placeOrder.createdAt").entity(String.class).get();
    assertThat(
            java.time.Duration.between(
                java.time.OffsetDateTime.parse(createdAt),
                java.time.OffsetDateTime.parse(expiresAt)))
        .isBetween(Duration.ofMinutes(29), Duration.ofMinutes(31));
  }

  private org.springframework.graphql.test.tester.GraphQlTester.Response placeWithKey(
      Client buyer, List<Map<String, Object>> items, String key) {
    return buyer
        .graphQl()
        .documentName("placeOrder")
        .variable("items", items)
        .variable("idempotencyKey", key)
        .execute();
  }

  @Test
  void theSameProductTwiceIsOneItemWithTheQuantitiesAdded() {
    var seller = signUp("Seller");
    var buyer = signUp("Buyer");
    long a = product(seller, 700, 3, "USD");
    var response =
        buyer
            .graphQl()
            .documentName("placeOrder")
            .variable("items", List.of(item(a, 1), item(a, 2)))
            .execute();
    response.path("placeOrder.items[*].quantity").entityList(Integer.class).containsExactly(3);
    response.path("placeOrder.total.amount").entity(Long.class).isEqualTo(2100L);
    assertThat(stock(a)).isZero();
    // each line alone fits the one unit left, together they do not: refused whole
    long b = product(seller, 700, 1, "USD");
    expect(buyer, List.of(item(b, 1), item(b, 1)), "CONFLICT");
    assertThat(stock(b)).isEqualTo(1);
  }

  /**
   * Mutation fields run one after the other with the request's DataLoaders: the second order's
   * product must be the one it left, not the one the first order loaded.
   */
  @Test
  void twoOrdersInOneDocumentEachAnswerTheStockTheyLeft() {
    var seller = signUp("Seller");
    var buyer = signUp("Buyer");
    long p = product(seller, 300, 5, "USD");
    var response =
        buyer
            .graphQl()
            .document(
                "mutation($items:[OrderItemInput!]!){"
                    + " a: placeOrder(items:$items){ items { product { stock } } }"
                    + " b: placeOrder(items:$items){ items { product { stock } } } }")
            .variable("items", List.of(item(p, 1)))
            .execute();
    response.path("a.items[0].product.stock").entity(Integer.class).isEqualTo(4);
    response.path("b.items[0].product.stock").entity(Integer.class).isEqualTo(3);
    assertThat(stock(p)).isEqualTo(3);
  }

  @Test
  void anOrderThatStockCannotCoverChangesNothing() {
    var seller = signUp("Seller");
    var buyer = signUp("Buyer");
    long plenty = product(seller, 100, 10, "USD");
    long scarce = product(seller, 100, 1, "USD");
    long ordersBefore = ordersOf(buyer);
    buyer
        .graphQl()
        .documentName("placeOrder")
        .variable("items", List.of(item(plenty, 5), item(scarce, 2)))
        .execute()
        .errors()
        .expect(
            e ->
                e.getErrorType().toString().equals("CONFLICT")
                    && e.getMessage().contains(String.valueOf(scarce)))
        .verify();
    assertThat(stock(plenty)).isEqualTo(10);
    assertThat(stock(scarce)).isEqualTo(1);
    assertThat(ordersOf(buyer)).isEqualTo(ordersBefore);
  }

  @Test
  void rejectsInvalidOrdersWithNothingChanged() {
    var seller = signUp("Seller");
    var buyer = signUp("Buyer");
    long usd = product(seller, 100, 5, "USD");
    long eur = product(seller, 100, 5, "EUR");
    expect(buyer, List.of(), "BAD_REQUEST");
    expect(buyer, List.of(item(usd, 0)), "BAD_REQUEST");
    expect(buyer, List.of(Map.of("productId", "x1", "quantity", 1)), "BAD_REQUEST");
    expect(buyer, List.of(item(usd, 1), item(eur, 1)), "BAD_REQUEST");
    expect(buyer, List.of(item(usd, 1001)), "BAD_REQUEST");
    expect(
        buyer,
        java.util.Collections.nCopies(OrderController.MAX_ITEMS + 1, item(usd, 1)),
        "BAD_REQUEST");
    expect(buyer, List.of(item(usd, 1), Map.of("productId", "-3", "quantity", 1)), "BAD_REQUEST");
    expect(buyer, List.of(item(usd, 1), item(987654321L, 1)), "NOT_FOUND");
    expect(seller, List.of(item(usd, 1)), "FORBIDDEN");
    anonymous()
        .documentName("placeOrder")
        .variable("items", List.of(item(usd, 1)))
        .execute()
        .errors()
        .expect(e -> e.getErrorType().toString().equals("UNAUTHORIZED"))
        .verify();
    assertThat(stock(usd)).isEqualTo(5);
    assertThat(ordersOf(buyer)).isZero();
  }

  @Test
  void aViolationInAListItemNamesItsIndexAndChangesNothing() {
    var seller = signUp("Seller");
    var buyer = signUp("Buyer");
    long usd = product(seller, 100, 5, "USD");
    buyer
        .graphQl()
        .documentName("placeOrder")
        .variable("items", List.of(item(usd, 1), item(usd, 0)))
        .execute()
        .errors()
        .satisfy(
            errors -> {
              assertThat(errors).hasSize(1);
              assertThat(errors.get(0).getErrorType().toString()).isEqualTo("BAD_REQUEST");
              assertThat(errors.get(0).getMessage())
                  .isEqualTo("items[1].quantity must be from 1 to 1000, not 0");
            });
    assertThat(stock(usd)).isEqualTo(5);
    assertThat(ordersOf(buyer)).isZero();
  }

  @Test
  void ofConcurrentOrdersForTheLastUnitExactlyOneWins() {
    var seller = signUp("Seller");
    long last = product(seller, 100, 1, "USD");
    List<Client> buyers = Flux.range(0, 8).map(i -> signUp("Buyer" + i)).collectList().block();
    AtomicInteger won = new AtomicInteger();
    AtomicInteger conflicts = new AtomicInteger();
    Flux.fromIterable(buyers)
        .parallel(8)
        .runOn(BlockingCalls.SCHEDULER)
        .doOnNext(
            buyer -> {
              var errors =
                  buyer
                      .graphQl()
                      .documentName("placeOrder")
                      .variable("items", List.of(item(last, 1)))
                      .execute()
                      .returnResponse()
                      .getErrors();
              if (errors.isEmpty()) {
                won.incrementAndGet();
              } else if (errors.get(0).getErrorType().toString().equals("CONFLICT")) {
                conflicts.incrementAndGet();
              }
            })
        .sequential()
        .blockLast(Duration.ofSeconds(60));
    assertThat(won.get()).isEqualTo(1);
    assertThat(conflicts.get()).isEqualTo(7);
    assertThat(stock(last)).isZero();
    assertThat(
            db.sql("SELECT count(*) FROM order_items WHERE product_id = $1")
                .bind(0, last)
                .map(r -> r.get(0, Long.class))
                .one()
                .block())
        .isEqualTo(1);
  }

  /**
   * The whole of placeOrder, its answer with items and products included, is one SQL statement: the
   * check, the stock, the order and its items in one round trip, and nothing read back.
   */
  @Test
  void placingAnOrderAndAnsweringWithItsItemsAndProductsCostsOneStatement() {
    var seller = signUp("Seller");
    var buyer = signUp("Buyer");
    long a = product(seller, 100, 100, "USD");
    long b = product(seller, 200, 100, "USD");
    long c = product(seller, 300, 100, "USD");
    var items = List.of(item(a, 1), item(b, 2), item(c, 3));
    assertThat(
            statementsOf(
                () ->
                    buyer
                        .graphQl()
                        .documentName("placeOrder")
                        .variable("items", items)
                        .execute()
                        .path("placeOrder.items[*].product.stock")
                        .entityList(Integer.class)
                        .hasSize(3)))
        .isEqualTo(1);
    assertThat(
            statementsOf(
                () ->
                    placeWithKey(buyer, items, java.util.UUID.randomUUID().toString())
                        .path("placeOrder.items[*].product.title")
                        .entityList(String.class)
                        .hasSize(3)))
        .isEqualTo(1);
    // the answer shows the stock as the order left it
    placeWithKey(buyer, items, java.util.UUID.randomUUID().toString())
        .path("placeOrder.items[*].product.stock")
        .entityList(Integer.class)
        .containsExactly(100 - 7 * 1, 100 - 7 * 2, 100 - 7 * 3);
  }

  /**
   * The placement statement (W5) is planned once per connection and then reused, for orders of any
   * number of products (see Stock.LOCKED): planning it again for every order took half of an
   * order's database CPU.
   */
  @Test
  void thePlacementStatementIsPlannedOnceForOrdersOfAnySize() {
    try (PlanningDatabase planning = PlanningDatabase.open(pool)) {
      Orders orders = new Orders(planning.db());
      long buyer = 1_000_000; // the copies' sellers are users 1 to 4,000
      for (int i = 0; i < 9; i++) {
        long first = 1 + 100 * i;
        List<Long> products =
            LongStream.range(first, first + 1 + i % 3).boxed().toList(); // 1, 2 or 3 products
        var placement =
            orders
                .place(
                    buyer,
                    products,
                    products.stream().map(p -> 1).toList(),
                    null,
                    OffsetDateTime.now().plusMinutes(30))
                .block(Duration.ofSeconds(10));
        assertThat(placement.order()).isNotNull();
        assertThat(placement.order().placedItems()).hasSize(products.size());
      }
      var plans = planning.plans("WITH wanted AS");
      assertThat(plans.generic()).as("executions on the plan for any parameters").isEqualTo(4);
      assertThat(plans.custom()).isEqualTo(5);
    }
  }

  /**
   * Many buyers ordering overlapping products at once, in every order and more than the stock
   * holds: every order is placed whole or refused with CONFLICT and nothing, no stock goes below
   * zero, and what left stock is exactly what the placed orders hold.
   */
  @Test
  void concurrentOrdersNeverOversellAndArePlacedWholeOrNotAtAll() {
    var seller = signUp("Seller");
    List<Long> products =
        List.of(
            product(seller, 100, 12, "USD"),
            product(seller, 200, 9, "USD"),
            product(seller, 300, 15, "USD"));
    List<Client> buyers = Flux.range(0, 6).map(i -> signUp("Buyer" + i)).collectList().block();
    java.util.Random random = new java.util.Random(19);
    List<List<Map<String, Object>>> attempts = new java.util.ArrayList<>();
    for (int i = 0; i < 48; i++) {
      List<Long> shuffled = new java.util.ArrayList<>(products);
      java.util.Collections.shuffle(shuffled, random);
      List<Map<String, Object>> items = new java.util.ArrayList<>();
      for (long product : shuffled.subList(0, 1 + random.nextInt(3))) {
        items.add(item(product, 1 + random.nextInt(3)));
      }
      attempts.add(items);
    }
    AtomicInteger placed = new AtomicInteger();
    AtomicInteger refused = new AtomicInteger();
    Map<Long, Integer> itemsAskedFor = new java.util.concurrent.ConcurrentHashMap<>();
    List<String> failures = new java.util.concurrent.CopyOnWriteArrayList<>();
    Flux.range(0, attempts.size())
        .parallel(12)
        .runOn(BlockingCalls.SCHEDULER)
        .doOnNext(
            i -> {
              var response =
                  buyers
                      .get(i % buyers.size())
                      .graphQl()
                      .documentName("placeOrder")
                      .variable("items", attempts.get(i))
                      .execute()
                      .returnResponse();
              if (response.getErrors().isEmpty()) {
                placed.incrementAndGet();
                Map<?, ?> order = (Map<?, ?>) ((Map<?, ?>) response.getData()).get("placeOrder");
                itemsAskedFor.put(Long.parseLong((String) order.get("id")), attempts.get(i).size());
              } else if (response.getErrors().size() == 1
                  && response.getErrors().get(0).getErrorType().toString().equals("CONFLICT")) {
                refused.incrementAndGet();
              } else {
                failures.add(response.getErrors().toString());
              }
            })
        .sequential()
        .blockLast(Duration.ofSeconds(120));
    assertThat(failures).isEmpty();
    // 36 units for 48 orders of 1 to 3 products, 1 to 3 units each: some must be refused
    assertThat(refused.get()).isPositive();
    assertThat(placed.get()).isPositive();
    long buyersOrders =
        db.sql("SELECT count(*) FROM orders WHERE buyer_id = ANY($1)")
            .bind(0, buyers.stream().map(b -> Long.parseLong(b.id())).toArray(Long[]::new))
            .map(r -> r.get(0, Long.class))
            .one()
            .block();
    assertThat(buyersOrders).isEqualTo(placed.get());
    int[] initial = {12, 9, 15};
    for (int p = 0; p < products.size(); p++) {
      long ordered =
          db.sql("SELECT coalesce(sum(quantity), 0) FROM order_items WHERE product_id = $1")
              .bind(0, products.get(p))
              .map(r -> r.get(0, Number.class).longValue())
              .one()
              .block();
      assertThat(stock(products.get(p))).isGreaterThanOrEqualTo(0);
      assertThat(stock(products.get(p)) + ordered).isEqualTo(initial[p]);
    }
    // each placed order holds every item it asked for, at the total of its items
    assertThat(
            db.sql(
                    "SELECT order_id, count(*) FROM order_items WHERE order_id = ANY($1)"
                        + " GROUP BY order_id")
                .bind(0, itemsAskedFor.keySet().toArray(Long[]::new))
                .map(r -> Map.entry(r.get(0, Long.class), r.get(1, Long.class).intValue()))
                .all()
                .collectMap(Map.Entry::getKey, Map.Entry::getValue)
                .block())
        .isEqualTo(itemsAskedFor);
    assertThat(
            db.sql(
                    "SELECT count(*) FROM orders o WHERE o.buyer_id = ANY($1) AND o.total_amount"
                        + " IS DISTINCT FROM (SELECT sum(quantity * unit_amount) FROM order_items"
                        + " i WHERE i.order_id = o.id)")
                .bind(0, buyers.stream().map(b -> Long.parseLong(b.id())).toArray(Long[]::new))
                .map(r -> r.get(0, Long.class))
                .one()
                .block())
        .isZero();
  }

  /**
   * Guards the lock order: placeOrder locks its products in id order before taking stock, so
   * crossed orders queue instead of deadlocking (a deadlock would surface as INTERNAL_ERROR).
   */
  @Test
  void ordersNamingTheSameProductsInOppositeOrderNeverDeadlock() {
    var seller = signUp("Seller");
    long a = product(seller, 100, 1000, "USD");
    long b = product(seller, 100, 1000, "USD");
    List<Client> buyers = List.of(signUp("BuyerA"), signUp("BuyerB"));
    List<String> failures = new java.util.concurrent.CopyOnWriteArrayList<>();
    Flux.range(0, 16)
        .parallel(8)
        .runOn(BlockingCalls.SCHEDULER)
        .doOnNext(
            i -> {
              var items =
                  i % 2 == 0 ? List.of(item(a, 1), item(b, 1)) : List.of(item(b, 1), item(a, 1));
              var errors =
                  buyers
                      .get(i % buyers.size())
                      .graphQl()
                      .documentName("placeOrder")
                      .variable("items", items)
                      .execute()
                      .returnResponse()
                      .getErrors();
              errors.forEach(e -> failures.add(e.getErrorType() + ": " + e.getMessage()));
            })
        .sequential()
        .blockLast(Duration.ofSeconds(60));
    assertThat(failures).isEmpty();
    assertThat(stock(a)).isEqualTo(1000 - 16);
    assertThat(stock(b)).isEqualTo(1000 - 16);
  }

  @Test
  void buyerSeesTheWholeOrderEachSellerOnlyItsOwnItemsAndStrangersNothing() {
    var s1 = signUp("SellerOne");
    var s2 = signUp("SellerTwo");
    var buyer = signUp("Buyer");
    var stranger = signUp("Stranger");
    long p1 = product(s1, 1000, 5, "USD");
    long p2 = product(s2, 300, 5, "USD");
    String orderId =
        buyer
            .graphQl()
            .documentName("placeOrder")
            .variable("items", List.of(item(p1, 1), item(p2, 2)))
            .execute()
            .path("placeOrder.id")
            .entity(String.class)
            .get();

    buyer
        .graphQl()
        .documentName("order")
        .variable("id", orderId)
        .execute()
        .path("order.items")
        .entityList(Object.class)
        .hasSize(2)
        .path("order.total.amount")
        .entity(Long.class)
        .isEqualTo(1600L);
    s2.graphQl()
        .documentName("order")
        .variable("id", orderId)
        .execute()
        .path("order.items[*].product.id")
        .entityList(String.class)
        .containsExactly(String.valueOf(p2))
        .path("order.total.amount")
        .entity(Long.class)
        .isEqualTo(600L);
    stranger
        .graphQl()
        .documentName("order")
        .variable("id", orderId)
        .execute()
        .errors()
        .expect(e -> e.getErrorType().toString().equals("NOT_FOUND"))
        .verify()
        .path("order")
        .valueIsNull();
    anonymous()
        .documentName("order")
        .variable("id", orderId)
        .execute()
        .errors()
        .expect(e -> e.getErrorType().toString().equals("UNAUTHORIZED"))
        .verify();

    var entities =
        stranger
            .graphQl()
            .document("query($r:[_Any!]!){_entities(representations:$r){... on Order{id}}}")
            .variable("r", List.of(Map.of("__typename", "Order", "id", orderId)))
            .execute();
    entities.path("_entities[0]").valueIsNull();
    s1.graphQl()
        .document(
            "query($r:[_Any!]!){_entities(representations:$r){... on Order{id items{quantity}}}}")
        .variable("r", List.of(Map.of("__typename", "Order", "id", orderId)))
        .execute()
        .path("_entities[0].items")
        .entityList(Object.class)
        .hasSize(1);
  }

  @Test
  void myOrdersPagesNewestFirstOnlyTheBuyersOwn() {
    var seller = signUp("Seller");
    var buyer = signUp("Buyer");
    long p = product(seller, 100, 10, "USD");
    long q = product(seller, 200, 10, "USD");
    seedOrders(buyer, 20, p, q);

    var page = buyer.graphQl().documentName("myOrders").variable("first", 15).execute();
    List<String> firstTimes =
        page.path("myOrders.edges[*].node.createdAt").entityList(String.class).hasSize(15).get();
    assertThat(firstTimes).isSortedAccordingTo(java.util.Comparator.reverseOrder());
    page.path("myOrders.pageInfo.hasNextPage").entity(Boolean.class).isEqualTo(true);
    String cursor = page.path("myOrders.pageInfo.endCursor").entity(String.class).get();
    buyer
        .graphQl()
        .documentName("myOrders")
        .variable("first", 15)
        .variable("after", cursor)
        .execute()
        .path("myOrders.edges")
        .entityList(Object.class)
        .hasSize(5)
        .path("myOrders.pageInfo.hasNextPage")
        .entity(Boolean.class)
        .isEqualTo(false);

    // the seller received these orders but did not place them
    seller
        .graphQl()
        .documentName("myOrders")
        .execute()
        .path("myOrders.edges")
        .entityList(Object.class)
        .hasSize(0);
    anonymous()
        .documentName("myOrders")
        .execute()
        .errors()
        .expect(e -> e.getErrorType().toString().equals("UNAUTHORIZED"))
        .verify();
    buyer
        .graphQl()
        .documentName("myOrders")
        .variable("first", 101)
        .execute()
        .errors()
        .expect(e -> e.getErrorType().toString().equals("BAD_REQUEST"))
        .verify();
  }

  @Test
  void myOrdersWithItemsAndProductsCostsTheSameStatementsForFiveAndTwentyOrders() {
    var seller = signUp("Seller");
    var small = signUp("SmallBuyer");
    var large = signUp("LargeBuyer");
    long p = product(seller, 100, 10, "USD");
    long q = product(seller, 200, 10, "USD");
    seedOrders(small, 5, p, q);
    seedOrders(large, 20, p, q);
    long forFive = statementsForMyOrders(small, 5);
    long forTwenty = statementsForMyOrders(large, 20);
    assertThat(forTwenty).isEqualTo(forFive);
    // orders, their items, their products
    assertThat(forTwenty).isLessThanOrEqualTo(3);
  }

  private long statementsForMyOrders(Client buyer, int n) {
    return statementsOf(
        () -> {
          buyer
              .graphQl()
              .documentName("myOrders")
              .variable("first", n)
              .execute()
              .path("myOrders.edges[*].node.items[*].product.title")
              .entityList(String.class)
              .hasSize(2 * n);
        });
  }

  /** n orders of this buyer, a minute apart, each holding one unit of p and one of q. */
  private void seedOrders(Client buyer, int n, long p, long q) {
    db.sql(
            "WITH o AS (INSERT INTO orders (buyer_id, total_amount, currency, created_at)"
                + " SELECT $1, 300, 'USD', now() - interval '1 minute' * g"
                + " FROM generate_series(1, $2) g RETURNING id)"
                + " INSERT INTO order_items (order_id, product_id, seller_id, quantity,"
                + " unit_amount, currency) SELECT o.id, p.id, p.seller_id, 1, p.price_amount,"
                + " p.price_currency FROM o CROSS JOIN products p WHERE p.id IN ($3, $4)")
        .bind(0, Long.parseLong(buyer.id()))
        .bind(1, n)
        .bind(2, p)
        .bind(3, q)
        .then()
        .block();
  }

  private void expect(Client buyer, List<Map<String, Object>> items, String classification) {
    buyer
        .graphQl()
        .documentName("placeOrder")
        .variable("items", items)
        .execute()
        .errors()
        .expect(e -> e.getErrorType().toString().equals(classification))
        .verify();
  }

  private long product(Client seller, long price, int stock, String currency) {
    return db.sql(
            "INSERT INTO products (seller_id, category, title, price_amount, price_currency, stock)"
                + " VALUES ($1, 'orders-test', 'Thing', $2, $3, $4) RETURNING id")
        .bind(0, Long.parseLong(seller.id()))
        .bind(1, price)
        .bind(2, currency)
        .bind(3, stock)
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

  private long ordersOf(Client buyer) {
    return db.sql("SELECT count(*) FROM orders WHERE buyer_id = $1")
        .bind(0, Long.parseLong(buyer.id()))
        .map(r -> r.get(0, Long.class))
        .one()
        .block();
  }
}
