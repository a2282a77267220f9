package com.dedw3n.product.internal;

import com.dedw3n.platform.budget.Action;
import com.dedw3n.platform.budget.Budgets;
import com.dedw3n.platform.graphql.ApiException;
import com.dedw3n.platform.graphql.Ids;
import com.dedw3n.platform.graphql.Inputs;
import com.dedw3n.platform.graphql.Money;
import com.dedw3n.platform.graphql.Page;
import com.dedw3n.platform.security.Viewer;
import com.dedw3n.product.Product;
import java.util.List;
import org.springframework.data.domain.Window;
import org.springframework.graphql.data.federation.EntityMapping;
import org.springframework.graphql.data.method.annotation.Argument;
import org.springframework.graphql.data.method.annotation.MutationMapping;
import org.springframework.graphql.data.method.annotation.QueryMapping;
import org.springframework.graphql.data.method.annotation.SchemaMapping;
import org.springframework.stereotype.Controller;
import org.springframework.transaction.reactive.TransactionalOperator;
import reactor.core.publisher.Mono;

/** Products and their reviews; the {@code Product} entity. */
@Controller
class ProductController {

  private final Products products;
  private final TransactionalOperator transaction;
  private final Budgets budgets;

  ProductController(Products products, TransactionalOperator transaction, Budgets budgets) {
    this.products = products;
    this.transaction = transaction;
    this.budgets = budgets;
  }

  @QueryMapping
  Mono<Product> product(@Argument String id) {
    return products
        .findById(Ids.parse("id", id))
        .switchIfEmpty(Mono.error(() -> ApiException.notFound("Product", id)));
  }

  @QueryMapping
  Mono<Window<Product>> products(
      @Argument String category, @Argument Integer first, @Argument String after) {
    Page page = Page.of("first", first, 20, after);
    if (category != null && category.length() > 50) {
      throw ApiException.badRequest("category must be at most 50 characters long");
    }
    return products
        .newest(category, page)
        .collectList()
        .map(rows -> page.window(rows, product -> Page.key(product.createdAt(), product.id())));
  }

  @SchemaMapping
  ReviewSummary reviewSummary(Product product) {
    return ReviewSummary.of(product);
  }

  /** The schema's {@code CreateProductInput}. */
  record CreateProductInput(
      String title, String description, String category, Money.MoneyInput price, Integer stock) {}

  /** The schema's {@code UpdateProductInput}: a null field is left as it is. */
  record UpdateProductInput(
      String title, String description, String category, Money.MoneyInput price, Integer stock) {}

  @MutationMapping
  Mono<Product> createProduct(@Argument CreateProductInput input) {
    String title = Inputs.text("input.title", input.title(), 1, 200);
    String description =
        Inputs.text(
            "input.description", input.description() == null ? "" : input.description(), 0, 5000);
    String category = category("input.category", input.category());
    Money price = Money.fromInput("input.price", input.price());
    int stock = stock("input.stock", input.stock());
    return Viewer.requireId()
        .flatMap(seller -> products.insert(seller, category, title, description, price, stock));
  }

  @MutationMapping
  Mono<Product> updateProduct(@Argument String id, @Argument UpdateProductInput input) {
    long productId = Ids.parse("id", id);
    var changes =
        new ProductChanges(
            input.title() == null ? null : Inputs.text("input.title", input.title(), 1, 200),
            input.description() == null
                ? null
                : Inputs.text("input.description", input.description(), 0, 5000),
            input.category() == null ? null : category("input.category", input.category()),
            input.price() == null ? null : Money.fromInput("input.price", input.price()),
            input.stock() == null ? null : stock("input.stock", input.stock()));
    return Viewer.requireId()
        .flatMap(
            seller ->
                products
                    .update(productId, seller, changes)
                    .switchIfEmpty(
                        products
                            .exists(productId)
                            .flatMap(
                                exists ->
                                    Mono.error(
                                        exists
                                            ? ApiException.forbidden(
                                                "Only the product's seller may change it.")
                                            : ApiException.notFound("Product", id)))));
  }

  @MutationMapping
  Mono<Review> addReview(@Argument String productId, @Argument int rating, @Argument String body) {
    long product = Ids.parse("productId", productId);
    Inputs.range("rating", rating, 1, 5);
    String text = Inputs.text("body", body, 1, 2000);
    return Viewer.requireId()
        .flatMap(author -> budgets.spendAs(Action.REVIEW, author))
        .flatMap(
            author ->
                products
                    .findById(product)
                    .switchIfEmpty(Mono.error(() -> ApiException.notFound("Product", productId)))
                    .flatMap(
                        found ->
                            found.sellerId() == author
                                ? Mono.error(
                                    ApiException.forbidden(
                                        "Sellers cannot review their own products."))
                                : products
                                    .insertReview(product, author, rating, text)
                                    .switchIfEmpty(
                                        Mono.error(
                                            () ->
                                                ApiException.conflict(
                                                    "You have already reviewed this product."))))
                    .as(transaction::transactional));
  }

  @EntityMapping("Product")
  Mono<List<Product>> productEntities(@Argument List<String> idList) {
    List<Long> ids = Ids.parseAll("id", idList);
    return products
        .findAllById(ids)
        .collectMap(Product::id)
        .map(found -> ids.stream().map(found::get).toList());
  }

  private static String category(String argument, String category) {
    String value = Inputs.text(argument, category, 1, 50);
    if (!value.matches("[a-z0-9-]+")) {
      throw ApiException.badRequest(argument + " must be lower-case letters, digits and dashes");
    }
    return value;
  }

  private static int stock(String argument, Integer stock) {
    return Inputs.range(argument, stock == null ? -1 : stock, 0, 1_000_000);
  }
}
