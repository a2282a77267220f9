package com.dedw3n.order.internal;

import static java.util.stream.Collectors.toList;

import com.dedw3n.mail.Outbox;
import com.dedw3n.order.OrderLifecycle;
import com.dedw3n.order.OrderStatus;
import com.dedw3n.platform.graphql.ApiException;
import com.dedw3n.platform.graphql.Ids;
import com.dedw3n.platform.graphql.LoadedField;
import com.dedw3n.platform.graphql.Page;
import com.dedw3n.platform.security.Viewer;
import com.dedw3n.product.Product;
import com.dedw3n.product.Stock;
import com.dedw3n.user.User;
import com.dedw3n.user.Users;
import graphql.schema.idl.RuntimeWiring;
import jakarta.validation.Valid;
import jakarta.validation.constraints.NotNull;
import jakarta.validation.constraints.Pattern;
import jakarta.validation.constraints.Size;
import java.time.Clock;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.hibernate.validator.constraints.Range;
import org.jspecify.annotations.Nullable;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.data.domain.Window;
import org.springframework.graphql.data.federation.EntityMapping;
import org.springframework.graphql.data.method.annotation.Argument;
import org.springframework.graphql.data.method.annotation.BatchMapping;
import org.springframework.graphql.data.method.annotation.MutationMapping;
import org.springframework.graphql.data.method.annotation.QueryMapping;
import org.springframework.graphql.data.method.annotation.SubscriptionMapping;
import org.springframework.graphql.execution.RuntimeWiringConfigurer;
import org.springframework.stereotype.Controller;
import org.springframework.transaction.reactive.TransactionalOperator;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/** Placing and reading orders; the {@code Order} entity. */
@Controller
class OrderController implements RuntimeWiringConfigurer {

  static final int MAX_ITEMS = 50;
  static final int MAX_QUANTITY = 1000;

  private final Orders orders;
  private final Stock stock;
  private final OrderLifecycle lifecycle;
  private final TransactionalOperator transaction;
  private final OrderSettings settings;
  private final Clock clock;
  private final Users users;
  private final Outbox outbox;

  OrderController(
      Orders orders,
      Stock stock,
      OrderLifecycle lifecycle,
      TransactionalOperator transaction,
      OrderSettings settings,
      ObjectProvider<Clock> clock,
      Users users,
      Outbox outbox) {
    this.users = users;
    this.outbox = outbox;
    this.orders = orders;
    this.stock = stock;
    this.lifecycle = lifecycle;
    this.transaction = transaction;
    this.settings = settings;
    this.clock = clock.getIfUnique(Clock::systemUTC);
  }

  /** Fields that are one load by a key of their parent, as {@link LoadedField}s (see there why). */
  @Override
  public void configure(RuntimeWiring.Builder wiring) {
    wiring.type(
        "Order", type -> type.dataFetcher("buyer", LoadedField.of(User.LOADER, Order::buyerId)));
    wiring.type(
        "OrderItem",
        type -> type.dataFetcher("product", LoadedField.of(Product.LOADER, OrderItem::productId)));
  }

  @QueryMapping
  Mono<Order> order(@Argument String id) {
    long orderId = Ids.parse("id", id);
    return Viewer.requireId()
        .flatMap(viewer -> orders.visible(List.of(orderId), viewer).next())
        // a stranger learns nothing, not even that the order exists
        .switchIfEmpty(Mono.error(() -> ApiException.notFound("Order", id)));
  }

  @QueryMapping
  Mono<Window<Order>> myOrders(@Argument Integer first, @Argument String after) {
    Page page = Page.of("first", first, 20, after);
    return Viewer.requireId()
        .flatMap(buyer -> orders.ofBuyer(buyer, page).collectList())
        .map(rows -> page.window(rows, order -> Page.key(order.createdAt(), order.id())));
  }

  /**
   * The items of every order on the page, as their viewer may see them: one statement per viewer,
   * and a request has one viewer, so one statement. (Each {@link Order} carries its viewer, so the
   * batch is keyed by order and viewer.)
   */
  @BatchMapping
  Mono<Map<Order, List<OrderItem>>> items(List<Order> page) {
    Map<Long, List<Order>> byViewer =
        page.stream().collect(Collectors.groupingBy(Order::viewerId, LinkedHashMap::new, toList()));
    return Flux.fromIterable(byViewer.entrySet())
        .concatMap(
            viewer ->
                orders
                    .items(viewer.getValue().stream().map(Order::id).toList(), viewer.getKey())
                    .collectMultimap(OrderItem::orderId)
                    .flatMapIterable(
                        byOrder ->
                            viewer.getValue().stream()
                                .map(
                                    order ->
                                        Map.entry(
                                            order,
                                            List.copyOf(
                                                byOrder.getOrDefault(order.id(), List.of()))))
                                .toList()))
        .collectMap(Map.Entry::getKey, Map.Entry::getValue);
  }

  /**
   * With an idempotency key, a retry answers the order of the first attempt: found before any stock
   * moves, or, when two attempts race, the loser's transaction fails on the unique index, rolls its
   * stock back, and answers the winner's order.
   */
  @MutationMapping
  Mono<Order> placeOrder(
      @Argument @Size(min = 1, max = MAX_ITEMS, message = "must hold {min} to {max} entries")
          List<@Valid OrderItemInput> items,
      @Argument
          @Pattern(
              regexp = "[\\x21-\\x7E]{1,64}",
              message = "must be 1 to 64 printable ASCII characters (a UUID, say)")
          @Nullable String idempotencyKey) {
    Map<Long, Integer> wanted = wanted(items);
    return Viewer.requireId()
        .flatMap(
            buyer -> {
              if (idempotencyKey == null) {
                return place(buyer, wanted, null);
              }
              return sameAttempt(buyer, idempotencyKey, wanted)
                  .switchIfEmpty(
                      Mono.defer(() -> place(buyer, wanted, idempotencyKey))
                          .onErrorResume(
                              Orders::isIdempotencyKeyTaken,
                              e -> sameAttempt(buyer, idempotencyKey, wanted)));
            });
  }

  /**
   * The order an earlier attempt with this key placed, or empty when there is none; CONFLICT when
   * the key was used for other items.
   */
  private Mono<Order> sameAttempt(long buyer, String idempotencyKey, Map<Long, Integer> wanted) {
    return orders
        .byIdempotencyKey(buyer, idempotencyKey)
        .flatMap(
            order ->
                orders
                    .quantities(order.id())
                    .flatMap(
                        placed ->
                            placed.equals(wanted)
                                ? Mono.just(order)
                                : Mono.error(
                                    ApiException.conflict(
                                        "The idempotency key "
                                            + idempotencyKey
                                            + " was used for order "
                                            + order.id()
                                            + " with other items; use a new key for a new"
                                            + " order."))));
  }

  private Mono<Order> place(long buyer, Map<Long, Integer> wanted, @Nullable String key) {
    List<Long> productIds = new ArrayList<>(wanted.keySet());
    List<Integer> quantities = productIds.stream().map(wanted::get).toList();
    return stock
        .lock(productIds)
        .collectList()
        .flatMap(
            found -> {
              String currency = check(buyer, productIds, found);
              return stock
                  .take(productIds, quantities)
                  .collectList()
                  .flatMap(
                      taken -> {
                        if (taken.size() < productIds.size()) {
                          // the error rolls the transaction back: no stock moved
                          return Mono.error(outOfStock(productIds, taken));
                        }
                        OffsetDateTime expiresAt =
                            clock.instant().plus(settings.unpaidExpiry()).atOffset(ZoneOffset.UTC);
                        return orders.insert(buyer, taken, total(taken), currency, key, expiresAt);
                      });
            })
        .as(transaction::transactional);
  }

  /**
   * The buyer's order each time its status changes, starting with its status now, until it can
   * change no more (CANCELLED, REFUNDED). Changes committed on this instance arrive at once; those
   * of other instances by a re-read every {@code dedw3n.order.status-recheck}.
   */
  @SubscriptionMapping
  Flux<Order> orderStatusChanged(@Argument String orderId) {
    long id = Ids.parse("orderId", orderId);
    return Viewer.requireId()
        .flatMapMany(
            buyer ->
                Flux.merge(
                        lifecycle.changes().filter(change -> change.orderId() == id),
                        Flux.interval(Duration.ZERO, settings.statusRecheck()).onBackpressureDrop())
                    .concatMap(signal -> ownOrder(id, buyer), 1)
                    .distinctUntilChanged(Order::status)
                    .takeUntil(order -> OrderStatus.valueOf(order.status()).isFinal()));
  }

  /** The buyer's own order; NOT_FOUND for anyone else's, as {@code order(id)} does. */
  private Mono<Order> ownOrder(long id, long buyer) {
    return orders
        .visible(List.of(id), buyer)
        .filter(Order::viewedByBuyer)
        .next()
        .switchIfEmpty(Mono.error(() -> ApiException.notFound("Order", id)));
  }

  /**
   * A seller says the order has shipped: PAID becomes FULFILLED, and the buyer gets the "shipped"
   * mail, in one transaction. The whole order is fulfilled at once: an order of several sellers is
   * FULFILLED when the first of them ships.
   */
  @MutationMapping
  Mono<Order> markShipped(@Argument String orderId) {
    long id = Ids.parse("orderId", orderId);
    return Viewer.requireId()
        .flatMap(
            seller ->
                lifecycle
                    .lock(id)
                    .filter(
                        order -> order.sellerIds().contains(seller) || order.buyerId() == seller)
                    .switchIfEmpty(Mono.error(() -> ApiException.notFound("Order", orderId)))
                    .flatMap(
                        order -> {
                          if (!order.sellerIds().contains(seller)) {
                            return Mono.error(
                                ApiException.forbidden(
                                    "Only a seller of order " + id + " marks it shipped."));
                          }
                          return lifecycle
                              .moveTo(id, OrderStatus.FULFILLED)
                              .then(users.findById(order.buyerId()))
                              .flatMap(
                                  buyer ->
                                      outbox.enqueue(
                                          "order-shipped:" + id,
                                          buyer.email(),
                                          "Your order " + id + " has shipped",
                                          "Good news: your order " + id + " is on its way."))
                              .then(orders.visible(List.of(id), seller).next());
                        })
                    .as(transaction::transactional));
  }

  @EntityMapping("Order")
  Mono<List<Order>> orderEntities(@Argument List<String> idList) {
    List<Long> ids = Ids.parseAll("id", idList);
    return Viewer.current()
        .flatMap(viewer -> orders.visible(ids, viewer.userId()).collectMap(Order::id))
        .defaultIfEmpty(Map.of())
        .map(visible -> ids.stream().map(visible::get).toList());
  }

  /** The schema's {@code OrderItemInput}. */
  record OrderItemInput(
      String productId, @NotNull @Range(min = 1, max = MAX_QUANTITY) Integer quantity) {}

  /** The products and quantities asked for; the same product twice is added up. */
  private static Map<Long, Integer> wanted(List<OrderItemInput> items) {
    Map<Long, Integer> wanted = new LinkedHashMap<>();
    for (int i = 0; i < items.size(); i++) {
      OrderItemInput item = items.get(i);
      long productId = Ids.parse("items[" + i + "].productId", item.productId());
      wanted.merge(productId, item.quantity(), Integer::sum);
    }
    return wanted;
  }

  /** CONFLICT naming every product whose stock could not cover its quantity. */
  private static ApiException outOfStock(List<Long> productIds, List<Stock.Taken> taken) {
    Set<Long> got = taken.stream().map(Stock.Taken::productId).collect(Collectors.toSet());
    String missing =
        productIds.stream()
            .filter(id -> !got.contains(id))
            .map(String::valueOf)
            .collect(Collectors.joining(", "));
    return ApiException.conflict(
        "Not enough stock for product " + missing + "; nothing was ordered.");
  }

  /** Sum of unit price times quantity; an overflow is refused rather than stored wrapped. */
  private static long total(List<Stock.Taken> taken) {
    try {
      long total = 0;
      for (Stock.Taken t : taken) {
        total = Math.addExact(total, Math.multiplyExact(t.price().amount(), t.quantity()));
      }
      return total;
    } catch (ArithmeticException e) {
      throw ApiException.badRequest("The order total is too large.");
    }
  }

  /** Every product exists, none is the buyer's own, all share one currency; returns it. */
  private static String check(long buyer, List<Long> productIds, List<Stock.Locked> found) {
    Map<Long, Stock.Locked> byId =
        found.stream().collect(Collectors.toMap(Stock.Locked::productId, s -> s));
    for (Long id : productIds) {
      Stock.Locked product = byId.get(id);
      if (product == null) {
        throw ApiException.notFound("Product", id);
      }
      if (product.sellerId() == buyer) {
        // like reviewing one's own product: signed in, but not allowed (and it would fake sales)
        throw ApiException.forbidden("Product " + id + " is your own; you cannot order it.");
      }
    }
    Set<String> currencies = found.stream().map(Stock.Locked::currency).collect(Collectors.toSet());
    if (currencies.size() > 1) {
      throw ApiException.badRequest(
          "All items of an order must be in one currency; these are in " + currencies);
    }
    return currencies.iterator().next();
  }
}
