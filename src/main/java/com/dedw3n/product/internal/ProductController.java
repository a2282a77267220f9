package com.dedw3n.product.internal;

import com.dedw3n.platform.budget.Action;
import com.dedw3n.platform.budget.Budgets;
import com.dedw3n.platform.graphql.ApiException;
import com.dedw3n.platform.graphql.Ids;
import com.dedw3n.platform.graphql.Inputs;
import com.dedw3n.platform.graphql.Money;
import com.dedw3n.platform.graphql.Page;
import com.dedw3n.platform.graphql.Selections;
import com.dedw3n.platform.graphql.Text;
import com.dedw3n.platform.security.Viewer;
import com.dedw3n.product.Product;
import graphql.schema.DataFetchingEnvironment;
import jakarta.validation.Valid;
import jakarta.validation.constraints.NotNull;
import jakarta.validation.constraints.Pattern;
import java.util.List;
import org.hibernate.validator.constraints.Range;
import org.springframework.data.domain.Window;
import org.springframework.graphql.data.ArgumentValue;
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
  private final ProductBatchLoaders loaders;
  private final TransactionalOperator transaction;
  private final Budgets budgets;

  ProductController(
      Products products,
      ProductBatchLoaders loaders,
      TransactionalOperator transaction,
      Budgets budgets) {
    this.products = products;
    this.loaders = loaders;
    this.transaction = transaction;
    this.budgets = budgets;
  }

  /**
   * The product, read with its seller when the query selects it, and with the first page of its
   * reviews when the query selects that: one statement, whose reviews the reviews field then finds
   * in its DataLoader.
   */
  @QueryMapping
  Mono<Product> product(@Argument String id, DataFetchingEnvironment env) {
    long productId = Ids.parse("id", id);
    boolean withSeller = Selections.selects(env, "seller");
    var reviews = loaders.reviewsField.ahead(env, "reviews");
    Mono<Product> found =
        reviews == null
            ? products.findById(productId, withSeller)
            : products
                .findWithReviews(productId, withSeller, reviews.page().fetchSize(), reviews.join())
                .map(
                    read ->
                        loaders
                            .reviews
                            .prime(
                                env,
                                ProductBatchLoaders.PRODUCT_REVIEWS,
                                reviews,
                                List.of(read),
                                Product::id)
                            .get(0));
    return found.switchIfEmpty(Mono.error(() -> ApiException.notFound("Product", id)));
  }

  /**
   * A page of products, read with their sellers when the query selects them, and with the first
   * page of each one's reviews when the query selects that (W1's feed: one statement).
   */
  @QueryMapping
  Mono<Window<Product>> products(
      @Argument String category,
      @Argument Integer first,
      @Argument String after,
      DataFetchingEnvironment env) {
    Page page = Page.of("first", first, 20, after);
    // as createProduct takes it: a category it would have stripped or refused would find nothing
    String wanted = category == null ? null : Inputs.strip(category);
    if (wanted != null && !A_CATEGORY.matcher(wanted).matches()) {
      throw ApiException.badRequest(
          "category must be 1 to 50 characters long and " + CATEGORY_MESSAGE);
    }
    boolean withSellers = Selections.selects(env, "edges", "node", "seller");
    var reviews = loaders.reviewsField.ahead(env, "edges/node/reviews");
    Mono<List<Product>> rows =
        reviews == null
            ? products.newest(wanted, page, withSellers).collectList()
            : products
                .newestWithReviews(
                    wanted, page, withSellers, reviews.page().fetchSize(), reviews.join())
                .map(
                    read ->
                        loaders.reviews.prime(
                            env, ProductBatchLoaders.PRODUCT_REVIEWS, reviews, read, Product::id));
    return rows.map(
        found -> page.window(found, product -> Page.key(product.createdAt(), product.id())));
  }

  @SchemaMapping
  ReviewSummary reviewSummary(Product product) {
    return ReviewSummary.of(product);
  }

  /**
   * A category: lower-case letters, digits and dashes (white space around it is stripped: the same
   * white space as {@code Inputs.strip}, which plain {@code \\s} would not match beyond ASCII).
   * Possessive, so linear in the input: with a run of spaces matchable at either end, a long one
   * before a character outside the class was tried at every split, quadratic in its length.
   */
  private static final String CATEGORY =
      "[\\p{javaWhitespace}\\p{javaSpaceChar}\\u200B\\u2060\\uFEFF\\u180E]*+[a-z0-9-]*+"
          + "[\\p{javaWhitespace}\\p{javaSpaceChar}\\u200B\\u2060\\uFEFF\\u180E]*+";

  private static final String CATEGORY_MESSAGE = "must be lower-case letters, digits and dashes";

  /**
   * A category once stripped, as {@link #CATEGORY} and {@code @Text(min = 1, max = 50)} take it.
   */
  private static final java.util.regex.Pattern A_CATEGORY =
      java.util.regex.Pattern.compile("[a-z0-9-]{1,50}");

  /** The schema's {@code CreateProductInput}. */
  record CreateProductInput(
      @Text(min = 1, max = 200) String title,
      @Text(max = 5000) String description,
      @Text(min = 1, max = 50) @Pattern(regexp = CATEGORY, message = CATEGORY_MESSAGE)
          String category,
      @NotNull @Valid Money.MoneyInput price,
      @NotNull @Range(min = 0, max = MAX_STOCK) Integer stock) {}

  /**
   * The schema's {@code UpdateProductInput}: a field left out is left as it is, and so is a null
   * one, except the description, which null clears.
   */
  record UpdateProductInput(
      @Text(min = 1, max = 200) String title,
      @Text(max = 5000) ArgumentValue<String> description,
      @Text(min = 1, max = 50) @Pattern(regexp = CATEGORY, message = CATEGORY_MESSAGE)
          String category,
      @Valid Money.MoneyInput price,
      @Range(min = 0, max = MAX_STOCK) Integer stock,
      @Range(min = -MAX_STOCK, max = MAX_STOCK) Integer stockChange) {}

  private static final int MAX_STOCK = 1_000_000;

  @MutationMapping
  Mono<Product> createProduct(@Argument @Valid CreateProductInput input) {
    String title = Inputs.strip(input.title());
    String description = input.description() == null ? "" : Inputs.strip(input.description());
    String category = Inputs.strip(input.category());
    Money price = Money.fromInput(input.price());
    int stock = input.stock();
    return Viewer.requireId()
        .flatMap(
            seller ->
                budgets.spendAs(
                    Action.PRODUCT,
                    seller,
                    lister -> products.insert(lister, category, title, description, price, stock)));
  }

  /**
   * Changes the seller's product. A stockChange is applied in the statement, under the row's lock,
   * to the stock as orders have left it; when it would leave the stock out of range the statement
   * changes nothing, and its refusal is told apart from a stranger's by reading the product.
   */
  @MutationMapping
  Mono<Product> updateProduct(@Argument String id, @Argument @Valid UpdateProductInput input) {
    long productId = Ids.parse("id", id);
    if (input.stock() != null && input.stockChange() != null) {
      throw ApiException.badRequest(
          "input: send stock (the units for sale) or stockChange (units to add), not both");
    }
    ArgumentValue<String> description = input.description();
    var changes =
        new ProductChanges(
            input.title() == null ? null : Inputs.strip(input.title()),
            description.isOmitted()
                ? null
                : description.value() == null ? "" : Inputs.strip(description.value()),
            input.category() == null ? null : Inputs.strip(input.category()),
            input.price() == null ? null : Money.fromInput(input.price()),
            input.stock(),
            input.stockChange());
    return Viewer.requireId()
        .flatMap(
            seller ->
                products
                    .update(productId, seller, changes, MAX_STOCK)
                    .switchIfEmpty(
                        products
                            .findById(productId)
                            .flatMap(
                                product ->
                                    Mono.<Product>error(
                                        product.sellerId() != seller
                                            ? ApiException.forbidden(
                                                "Only the product's seller may change it.")
                                            // the seller's own product: only the change's
                                            // bound refuses it
                                            : ApiException.conflict(
                                                "input.stockChange "
                                                    + input.stockChange()
                                                    + " would take the stock below 0 or above "
                                                    + MAX_STOCK
                                                    + "; it holds "
                                                    + product.stock()
                                                    + " units now.")))
                            .switchIfEmpty(
                                Mono.error(() -> ApiException.notFound("Product", id)))));
  }

  @MutationMapping
  Mono<Review> addReview(
      @Argument String productId,
      @Argument @Range(min = 1, max = 5) int rating,
      @Argument @Text(min = 1, max = 2000) String body) {
    long product = Ids.parse("productId", productId);
    String text = Inputs.strip(body);
    return Viewer.requireId()
        .flatMap(
            reviewer ->
                budgets.spendAs(
                    Action.REVIEW,
                    reviewer,
                    author ->
                        products
                            .findById(product)
                            .switchIfEmpty(
                                Mono.error(() -> ApiException.notFound("Product", productId)))
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
                            .as(transaction::transactional)));
  }

  @EntityMapping("Product")
  Mono<List<Product>> productEntities(@Argument List<String> idList) {
    List<Long> ids = Ids.parseAll("id", idList);
    return products
        .findAllById(ids)
        .collectMap(Product::id)
        .map(found -> ids.stream().map(found::get).toList());
  }
}
