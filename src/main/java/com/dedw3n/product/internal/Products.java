package com.dedw3n.product.internal;

import com.dedw3n.platform.db.SqlLimit;
import com.dedw3n.platform.db.WithChildren;
import com.dedw3n.platform.graphql.Money;
import com.dedw3n.platform.graphql.Page;
import com.dedw3n.product.Product;
import com.dedw3n.user.Users;
import io.r2dbc.spi.Readable;
import java.time.OffsetDateTime;
import java.util.Collection;
import java.util.List;
import java.util.function.UnaryOperator;
import org.jspecify.annotations.Nullable;
import org.springframework.r2dbc.core.DatabaseClient;
import org.springframework.stereotype.Repository;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/** The products and reviews tables. */
@Repository
public class Products {

  private static final String PRODUCT_COLUMNS =
      "id, seller_id, category, title, description, price_amount, price_currency, stock,"
          + " review_count, rating_sum, created_at";
  private static final String REVIEW_COLUMNS =
      "id, product_id, author_id, rating, body, created_at";

  /** A product's columns as {@code products p}, for the statements that may join its seller. */
  private static final String P_COLUMNS =
      "p.id, p.seller_id, p.category, p.title, p.description, p.price_amount, p.price_currency,"
          + " p.stock, p.review_count, p.rating_sum, p.created_at";

  /** A review's columns as {@code reviews r}, for the statements that may join its author. */
  private static final String R_COLUMNS =
      "r.id, r.product_id, r.author_id, r.rating, r.body, r.created_at";

  /**
   * The seller or author read with a product or review, when the query selects it: one statement
   * for the page and its users instead of one more (and a round trip) through the users DataLoader.
   * Its columns ({@code user_id}, ...) name none of products' or reviews'.
   */
  private static final Users.Join USER = Users.join("u", "user_");

  /**
   * A review's author, when read in the statement of its product ({@link #withReviews}); its
   * columns ({@code by_id}, ...) name none of products', reviews' ({@code author_id}) or the
   * seller's.
   */
  private static final Users.Join AUTHOR = Users.join("a", "by_");

  private final DatabaseClient db;

  Products(DatabaseClient db) {
    this.db = db;
  }

  public Mono<Product> findById(long id) {
    return findById(id, false);
  }

  /** The product, carrying its seller when {@code withSeller}. */
  Mono<Product> findById(long id, boolean withSeller) {
    return db.sql(
            "SELECT "
                + productColumns(withSeller)
                + " FROM products p"
                + (withSeller ? USER.on("p.seller_id") : "")
                + " WHERE p.id = $1")
        .bind(0, id)
        .map(row -> readProduct(row, withSeller))
        .one();
  }

  /**
   * The product (carrying its seller when {@code withSeller}) with its {@code limit} newest reviews
   * (carrying their authors when {@code withAuthors}) in one statement: W2's product detail, for
   * which a statement of its own for the reviews was half the work.
   */
  Mono<WithChildren<Product, Review>> findWithReviews(
      long id, boolean withSeller, int limit, boolean withAuthors) {
    return withReviews(
            "SELECT "
                + productColumns(withSeller)
                + " FROM products p"
                + (withSeller ? USER.on("p.seller_id") : "")
                + " WHERE p.id = $2",
            spec -> spec.bind(1, id),
            withSeller,
            limit,
            withAuthors)
        .flatMapIterable(found -> found)
        .next();
  }

  /**
   * {@link #newest} with each product's {@code limit} newest reviews (carrying their authors when
   * {@code withAuthors}) in one statement: W1's feed.
   */
  Mono<List<WithChildren<Product, Review>>> newestWithReviews(
      @Nullable String category, Page page, boolean withSellers, int limit, boolean withAuthors) {
    Query newest = newestQuery(category, page, withSellers, 1);
    return withReviews(newest.sql(), newest.bind(), withSellers, limit, withAuthors);
  }

  /**
   * The products that {@code products} selects (their columns, and their sellers' when {@code
   * withSellers}; its parameters from $2 on, bound by {@code bind}), newest first, each with its
   * {@code limit} newest reviews: a lateral join whose rows repeat their product. The reviews'
   * columns are renamed ({@code review_id}, ...) so as to name none of the product's. A product's
   * description (up to 5,000 characters) is sent on its first row only, null on the others: the
   * rows repeat their product, and WithChildren reads it from its first row.
   */
  private Mono<List<WithChildren<Product, Review>>> withReviews(
      String products,
      UnaryOperator<DatabaseClient.GenericExecuteSpec> bind,
      boolean withSellers,
      int limit,
      boolean withAuthors) {
    String sql =
        "SELECT p.id, p.seller_id, p.category, p.title, p.price_amount, p.price_currency, p.stock,"
            + " p.review_count, p.rating_sum, p.created_at,"
            + " CASE WHEN coalesce(r.review_n, 1) = 1 THEN p.description END AS description"
            + (withSellers ? ", " + USER.columnsOf("p") : "")
            + ", r.* FROM ("
            + products
            + ") p LEFT JOIN LATERAL (SELECT r.id AS review_id, r.author_id, r.rating, r.body,"
            + " r.created_at AS review_created_at,"
            + " row_number() OVER (ORDER BY r.created_at DESC, r.id DESC) AS review_n"
            + (withAuthors ? ", " + AUTHOR.columns() : "")
            + " FROM reviews r"
            + (withAuthors ? AUTHOR.on("r.author_id") : "")
            + " WHERE r.product_id = p.id ORDER BY r.created_at DESC, r.id DESC LIMIT $1) r ON true"
            + " ORDER BY p.created_at DESC, p.id DESC, r.review_created_at DESC, r.review_id DESC";
    return WithChildren.read(
        bind.apply(db.sql(sql).bind(0, limit)),
        "id",
        row -> readProduct(row, withSellers),
        "review_id",
        row ->
            new Review(
                row.get("review_id", Long.class),
                row.get("id", Long.class),
                row.get("author_id", Long.class),
                row.get("rating", Short.class),
                row.get("body", String.class),
                row.get("review_created_at", OffsetDateTime.class),
                withAuthors ? AUTHOR.user(row) : null));
  }

  /** One statement for any number of ids; missing ids are simply absent. */
  public Flux<Product> findAllById(Collection<Long> ids) {
    return db.sql("SELECT " + PRODUCT_COLUMNS + " FROM products WHERE id = ANY($1)")
        .bind(0, ids.toArray(Long[]::new))
        .map(Products::product)
        .all();
  }

  /**
   * Newest first, of one category or of all, carrying their sellers when {@code withSellers};
   * {@link Page#fetchSize()} rows.
   */
  Flux<Product> newest(@Nullable String category, Page page, boolean withSellers) {
    Query newest = newestQuery(category, page, withSellers, 0);
    return newest
        .bind()
        .apply(db.sql(newest.sql()))
        .map(row -> readProduct(row, withSellers))
        .all();
  }

  /** A statement's SQL and what binds its parameters. */
  private record Query(String sql, UnaryOperator<DatabaseClient.GenericExecuteSpec> bind) {}

  /** {@link #newest}'s query, its parameters numbered after the {@code before} of another. */
  private static Query newestQuery(
      @Nullable String category, Page page, boolean withSellers, int before) {
    StringBuilder sql =
        new StringBuilder("SELECT " + productColumns(withSellers) + " FROM products p");
    if (withSellers) {
      sql.append(USER.on("p.seller_id"));
    }
    sql.append(" WHERE true");
    int n = before;
    if (category != null) {
      sql.append(" AND p.category = $").append(++n);
    }
    if (!page.isFirst()) {
      sql.append(" AND (p.created_at, p.id) < ($")
          .append(++n)
          .append(", $")
          .append(++n)
          .append(")");
    }
    sql.append(" ORDER BY p.created_at DESC, p.id DESC");
    // the page's size in the text, so that PostgreSQL plans the statement once (SqlLimit); but a
    // parameter when it would be the statement's only one: r2dbc-postgresql sends a statement
    // without parameters as a simple query, planned every time anyway and answered in text
    boolean literalLimit = n > 0;
    sql.append(literalLimit ? SqlLimit.of(page.fetchSize()) : " LIMIT $" + (++n));
    return new Query(
        sql.toString(),
        spec -> {
          int i = before;
          if (category != null) {
            spec = spec.bind(i++, category);
          }
          if (!page.isFirst()) {
            spec = spec.bind(i++, page.afterTime("t")).bind(i++, page.afterLong("id"));
          }
          return literalLimit ? spec : spec.bind(i, page.fetchSize());
        });
  }

  Mono<Product> insert(
      long sellerId, String category, String title, String description, Money price, int stock) {
    return db.sql(
            "INSERT INTO products (seller_id, category, title, description, price_amount,"
                + " price_currency, stock) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING "
                + PRODUCT_COLUMNS)
        .bind(0, sellerId)
        .bind(1, category)
        .bind(2, title)
        .bind(3, description)
        .bind(4, price.amount())
        .bind(5, price.currency())
        .bind(6, stock)
        .map(Products::product)
        .one();
  }

  /**
   * Changes the given fields (nulls keep the old value) of a product of this seller only; a stock
   * change is added to the stock of the row's newest version. Empty for another seller's product,
   * or when the change would leave the stock below 0, or raise it above {@code maxStock}.
   */
  Mono<Product> update(long id, long sellerId, ProductChanges changes, int maxStock) {
    var spec =
        db.sql(
                "UPDATE products SET title = coalesce($3, title), description = coalesce($4,"
                    + " description), category = coalesce($5, category), price_amount ="
                    + " coalesce($6, price_amount), price_currency = coalesce($7,"
                    + " price_currency), stock = coalesce($8, stock + $9, stock),"
                    + " updated_at = now()"
                    + " WHERE id = $1 AND seller_id = $2"
                    // a decrease is let through above the bound (units given back by expired
                    // orders are not bounded), an increase below it
                    + " AND ($9::int IS NULL OR (stock + $9 >= 0 AND ($9 <= 0 OR stock + $9 <= $10)))"
                    + " RETURNING "
                    + PRODUCT_COLUMNS)
            .bind(0, id)
            .bind(1, sellerId)
            .bind(9, maxStock);
    spec = bind(spec, 2, changes.title(), String.class);
    spec = bind(spec, 3, changes.description(), String.class);
    spec = bind(spec, 4, changes.category(), String.class);
    spec = bind(spec, 5, changes.price() == null ? null : changes.price().amount(), Long.class);
    spec = bind(spec, 6, changes.price() == null ? null : changes.price().currency(), String.class);
    spec = bind(spec, 7, changes.stock(), Integer.class);
    spec = bind(spec, 8, changes.stockChange(), Integer.class);
    return spec.map(Products::product).one();
  }

  /**
   * Stores a review and adds it to the product's summary, in the caller's transaction; empty when
   * this author already reviewed this product.
   */
  Mono<Review> insertReview(long productId, long authorId, int rating, String body) {
    return db.sql(
            "INSERT INTO reviews (product_id, author_id, rating, body) VALUES ($1, $2, $3, $4)"
                + " ON CONFLICT (product_id, author_id) DO NOTHING RETURNING "
                + REVIEW_COLUMNS)
        .bind(0, productId)
        .bind(1, authorId)
        .bind(2, (short) rating)
        .bind(3, body)
        .map(Products::review)
        .one()
        .flatMap(
            review ->
                db.sql(
                        "UPDATE products SET review_count = review_count + 1, rating_sum ="
                            + " rating_sum + $2 WHERE id = $1")
                    .bind(0, productId)
                    .bind(1, rating)
                    .then()
                    .thenReturn(review));
  }

  /**
   * The newest reviews of each product, {@code limit} per product, carrying their authors when
   * {@code withAuthors}, in one statement: a lateral join that walks the (product_id, created_at,
   * id) index once per product. The authors are joined inside the lateral subquery, whose ORDER BY
   * keeps each product's reviews in order whatever join the planner picks.
   */
  Flux<Review> newestReviews(Collection<Long> productIds, int limit, boolean withAuthors) {
    return db.sql(
            "SELECT r.* FROM unnest($1::bigint[]) AS p(id) CROSS JOIN LATERAL (SELECT "
                + reviewColumns(withAuthors)
                + " FROM reviews r"
                + (withAuthors ? USER.on("r.author_id") : "")
                + " WHERE r.product_id = p.id ORDER BY r.created_at DESC, r.id DESC"
                + " LIMIT $2) r")
        .bind(0, productIds.toArray(Long[]::new))
        .bind(1, limit)
        .map(row -> readReview(row, withAuthors))
        .all();
  }

  /** The reviews of one product after a cursor; only for the rare second page. */
  Flux<Review> reviewsAfter(long productId, Page page, boolean withAuthors) {
    return db.sql(
            "SELECT "
                + reviewColumns(withAuthors)
                + " FROM reviews r"
                + (withAuthors ? USER.on("r.author_id") : "")
                + " WHERE r.product_id = $1 AND (r.created_at, r.id) < ($2, $3)"
                + " ORDER BY r.created_at DESC, r.id DESC LIMIT $4")
        .bind(0, productId)
        .bind(1, page.afterTime("t"))
        .bind(2, page.afterLong("id"))
        .bind(3, page.fetchSize())
        .map(row -> readReview(row, withAuthors))
        .all();
  }

  private static String productColumns(boolean withSeller) {
    return withSeller ? P_COLUMNS + ", " + USER.columns() : P_COLUMNS;
  }

  private static String reviewColumns(boolean withAuthor) {
    return withAuthor ? R_COLUMNS + ", " + USER.columns() : R_COLUMNS;
  }

  private static DatabaseClient.GenericExecuteSpec bind(
      DatabaseClient.GenericExecuteSpec spec, int index, @Nullable Object value, Class<?> type) {
    return value == null ? spec.bindNull(index, type) : spec.bind(index, value);
  }

  static Product product(Readable row) {
    return readProduct(row, false);
  }

  private static Product readProduct(Readable row, boolean withSeller) {
    return new Product(
        row.get("id", Long.class),
        row.get("seller_id", Long.class),
        row.get("category", String.class),
        row.get("title", String.class),
        row.get("description", String.class),
        new Money(row.get("price_amount", Long.class), row.get("price_currency", String.class)),
        row.get("stock", Integer.class),
        row.get("review_count", Integer.class),
        row.get("rating_sum", Long.class),
        row.get("created_at", OffsetDateTime.class),
        withSeller ? USER.user(row) : null);
  }

  static Review review(Readable row) {
    return readReview(row, false);
  }

  private static Review readReview(Readable row, boolean withAuthor) {
    return new Review(
        row.get("id", Long.class),
        row.get("product_id", Long.class),
        row.get("author_id", Long.class),
        row.get("rating", Short.class),
        row.get("body", String.class),
        row.get("created_at", OffsetDateTime.class),
        withAuthor ? USER.user(row) : null);
  }
}
