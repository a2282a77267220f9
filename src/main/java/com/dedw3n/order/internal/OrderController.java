package com.dedw3n.order.internal;

import com.dedw3n.mail.Outbox;
import com.dedw3n.order.OrderLifecycle;
import com.dedw3n.order.OrderStatus;
import com.dedw3n.platform.graphql.ApiException;
import com.dedw3n.platform.graphql.DataLoaders;
import com.dedw3n.platform.graphql.IdempotencyKey;
import com.dedw3n.platform.graphql.Ids;
import com.dedw3n.platform.graphql.LoadedField;
import com.dedw3n.platform.graphql.Page;
import com.dedw3n.platform.security.Viewer;
import com.dedw3n.product.Product;
import com.dedw3n.user.User;
import com.dedw3n.user.Users;
import graphql.schema.DataFetchingEnvironment;
import graphql.schema.idl.RuntimeWiring;
import jakarta.validation.Valid;
import jakarta.validation.constraints.NotNull;
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
import org.dataloader.DataLoader;
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
  private final OrderLifecycle lifecycle;
  private final TransactionalOperator transaction;
  private final OrderSettings settings;
  private final Clock clock;
  private final Users users;
  private final Outbox outbox;

  OrderController(
      Orders orders,
      OrderLifecycle lifecycle,
      TransactionalOperator transaction,
      OrderSettings settings,
      ObjectProvider<Clock> clock,
      Users users,
      Outbox outbox) {
    this.users = users;
    this.outbox = outbox;
    this.orders = orders;
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
   * and a request has one viewer, so one statement; none for an order just placed, whose items the
   * placing statement returned. (Each {@link Order} carries its viewer, so the batch is keyed by
   * order and viewer.)
   */
  @BatchMapping
  Mono<Map<Order, List<OrderItem>>> items(List<Order> page) {
    Map<Order, List<OrderItem>> known = new LinkedHashMap<>();
    Map<Long, List<Order>> byViewer = new LinkedHashMap<>();
    for (Order order : page) {
      if (order.placedItems() != null) {
        known.put(order, order.placedItems());
      } else {
        byViewer.computeIfAbsent(order.viewerId(), viewer -> new ArrayList<>()).add(order);
      }
    }
    if (byViewer.isEmpty()) {
      return Mono.just(known);
    }
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
        .collectMap(Map.Entry::getKey, Map.Entry::getValue, () -> known);
  }

  /**
   * Places the order in one statement ({@link Orders#place}), which answers with the order, its
   * items and its products after the stock was taken: the products are put into this request's
   * product DataLoader, so the answer costs no further SQL.
   *
   * <p>With an idempotency key, a retry answers the order of the first attempt: the statement
   * inserts nothing when the buyer's key is taken (also by an attempt still running: it waits for
   * it), and whenever it places nothing with a key, the order placed with that key is looked up
   * before the refusal is believed (the first attempt may have taken the last unit).
   */
  @MutationMapping
  Mono<Order> placeOrder(
      @Argument @Size(min = 1, max = MAX_ITEMS, message = "must hold {min} to {max} entries")
          List<@Valid OrderItemInput> items,
      @Argument @IdempotencyKey @Nullable String idempotencyKey,
      DataFetchingEnvironment environment) {
    Map<Long, Integer> wanted = wanted(items);
    List<Long> productIds = new ArrayList<>(wanted.keySet());
    List<Integer> quantities = productIds.stream().map(wanted::get).toList();
    OffsetDateTime expiresAt =
        clock.instant().plus(settings.unpaidExpiry()).atOffset(ZoneOffset.UTC);
    return Viewer.requireId()
        .flatMap(buyer -> orders.place(buyer, productIds, quantities, idempotencyKey, expiresAt))
        .flatMap(
            placement -> {
              Order order = placement.order();
              if (order != null) {
                DataLoader<Long, Product> products = DataLoaders.named(environment, Product.LOADER);
                placement.products().forEach(product -> products.prime(product.id(), product));
                return Mono.just(order);
              }
              if (idempotencyKey == null) {
                return Mono.error(refusal(placement));
              }
              return sameAttempt(placement.buyerId(), idempotencyKey, wanted)
                  .switchIfEmpty(Mono.error(() -> refusal(placement)));
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

  /**
   * The schema's {@code OrderItemInput}. A class and not a record, because spring-graphql binds
   * each item through Spring's {@code BeanUtils.getResolvableConstructor}, which for a record asks
   * the JVM for its components on every call ({@code Class.getRecordComponents}, uncached: it makes
   * new component objects and resolves each component's type again): 3.6 % of the server's CPU
   * under the bench's W5, three items an order. For a class with one constructor the same lookup is
   * a copy of what the JVM caches. The binder passes the fields by the constructor's parameter
   * names, and bean validation reads the constraints from the fields.
   */
  static final class OrderItemInput {
    private final String productId;
    private final @NotNull @Range(min = 1, max = MAX_QUANTITY) Integer quantity;

    OrderItemInput(String productId, Integer quantity) {
      this.productId = productId;
      this.quantity = quantity;
    }

    String productId() {
      return productId;
    }

    Integer quantity() {
      return quantity;
    }
  }

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

  /**
   * Why the placement statement placed nothing, in the order the checks matter to the buyer: a
   * product that does not exist (NOT_FOUND), the buyer's own (FORBIDDEN), more than one currency or
   * a total too large to store (BAD_REQUEST), then stock (CONFLICT, naming every product short).
   */
  private static RuntimeException refusal(Orders.Placement placement) {
    List<Orders.Line> lines = placement.lines();
    for (Orders.Line line : lines) {
      if (line.sellerId() == null) {
        return ApiException.notFound("Product", line.productId());
      }
      if (line.sellerId() == placement.buyerId()) {
        // like reviewing one's own product: signed in, but not allowed (and it would fake sales)
        return ApiException.forbidden(
            "Product " + line.productId() + " is your own; you cannot order it.");
      }
    }
    Set<String> currencies =
        lines.stream()
            .map(line -> line.price().currency())
            .collect(Collectors.toCollection(java.util.TreeSet::new));
    if (currencies.size() > 1) {
      return ApiException.badRequest(
          "All items of an order must be in one currency; these are in " + currencies);
    }
    String missing =
        lines.stream()
            .filter(line -> line.stockBefore() < line.quantity())
            .map(line -> String.valueOf(line.productId()))
            .collect(Collectors.joining(", "));
    if (!missing.isEmpty()) {
      return ApiException.conflict(
          "Not enough stock for product " + missing + "; nothing was ordered.");
    }
    java.math.BigInteger total = java.math.BigInteger.ZERO;
    for (Orders.Line line : lines) {
      total =
          total.add(
              java.math.BigInteger.valueOf(line.price().amount())
                  .multiply(java.math.BigInteger.valueOf(line.quantity())));
    }
    if (total.bitLength() > 63) {
      return ApiException.badRequest("The order total is too large.");
    }
    // the statement saw an order it could place, yet placed none: only a taken key does that, and
    // the caller looked for that order first
    return new IllegalStateException(
        "An order of " + lines.size() + " products was neither placed nor refused");
  }
}
