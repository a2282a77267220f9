package com.dedw3n.product;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import com.dedw3n.ApiTests;
import com.dedw3n.platform.graphql.KeysetCursors;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.springframework.graphql.ResponseError;
import org.springframework.graphql.test.tester.GraphQlTester;

class ProductTests extends ApiTests {

  @Test
  void sellerListsAndUpdatesAProduct() {
    var seller = signUp("Seller");
    String id = createProduct(seller, uniqueCategory(), 1999, 3);
    seller
        .graphQl()
        .documentName("updateProduct")
        .variable("id", id)
        .variable("input", Map.of("title", "Renamed", "stock", 7))
        .execute()
        .path("updateProduct.title")
        .entity(String.class)
        .isEqualTo("Renamed")
        .path("updateProduct.stock")
        .entity(Integer.class)
        .isEqualTo(7)
        .path("updateProduct.price.amount")
        .entity(Long.class)
        .isEqualTo(1999L);
  }

  @Test
  void onlyTheSellerMayUpdateAProduct() {
    var seller = signUp("Seller");
    var other = signUp("Other");
    String id = createProduct(seller, uniqueCategory(), 1999, 3);
    other
        .graphQl()
        .documentName("updateProduct")
        .variable("id", id)
        .variable("input", Map.of("title", "Stolen"))
        .execute()
        .errors()
        .expect(e -> e.getErrorType().toString().equals("FORBIDDEN"))
        .verify();
    anonymous()
        .documentName("updateProduct")
        .variable("id", id)
        .variable("input", Map.of("title", "Stolen"))
        .execute()
        .errors()
        .expect(e -> e.getErrorType().toString().equals("UNAUTHORIZED"))
        .verify();
    assertThat(titleOf(id)).isEqualTo("Widget");
  }

  @Test
  void rejectsInvalidProductsAndStoresNothing() {
    var seller = signUp("Seller");
    String category = uniqueCategory();
    List<Map<String, Object>> invalid =
        List.of(
            product(category, -1, 3, "USD"),
            product(category, 100, -1, "USD"),
            product(category, 100, 1, "DOLLARS"),
            Map.of(
                "title",
                "",
                "category",
                category,
                "price",
                Map.of("amount", 1, "currency", "USD"),
                "stock",
                1));
    for (var input : invalid) {
      seller
          .graphQl()
          .documentName("createProduct")
          .variable("input", input)
          .execute()
          .errors()
          .expect(e -> e.getErrorType().toString().equals("BAD_REQUEST"))
          .verify();
    }
    assertThat(countProducts(category)).isZero();
  }

  /**
   * The feed takes a category as createProduct does: the spaces around it stripped, and one that
   * createProduct would refuse is BAD_REQUEST rather than an empty page that looks like no stock.
   */
  @Test
  void theFeedTakesACategoryAsCreateProductDoes() {
    var seller = signUp("Seller");
    String category = uniqueCategory();
    seller
        .graphQl()
        .documentName("createProduct")
        .variable("input", product(" " + category + "\t", 100, 1, "USD"))
        .execute()
        .path("createProduct.category")
        .entity(String.class)
        .isEqualTo(category);
    String feed = "query($c: String) { products(category: $c) { edges { node { category } } } }";
    anonymous()
        .document(feed)
        .variable("c", "  " + category + " ")
        .execute()
        .path("products.edges[*].node.category")
        .entityList(String.class)
        .containsExactly(category);
    for (String refused : List.of(category.toUpperCase(), "", "c".repeat(51), "books & toys")) {
      anonymous()
          .document(feed)
          .variable("c", refused)
          .execute()
          .errors()
          .expect(
              e ->
                  e.getErrorType().toString().equals("BAD_REQUEST")
                      && e.getMessage().contains("lower-case letters, digits and dashes"))
          .verify();
    }
    // refused at once however long: the pattern was quadratic in a run of spaces before a
    // character it refuses, and 100,000 of them held a server thread for minutes
    var spaces = product(" ".repeat(100_000) + "X", 100, 1, "USD");
    assertTimeoutPreemptively(
        Duration.ofSeconds(20),
        () ->
            seller
                .graphQl()
                .documentName("createProduct")
                .variable("input", spaces)
                .execute()
                .errors()
                .expect(e -> e.getErrorType().toString().equals("BAD_REQUEST"))
                .verify());
  }

  @Test
  void aViolationOnANestedFieldNamesItsPathAndChangesNothing() {
    var seller = signUp("Seller");
    String category = uniqueCategory();
    seller
        .graphQl()
        .documentName("createProduct")
        .variable("input", product(category, -1, 3, "USD"))
        .execute()
        .errors()
        .satisfy(
            errors -> {
              assertThat(errors).hasSize(1);
              var error = errors.get(0);
              assertThat(error.getErrorType().toString()).isEqualTo("BAD_REQUEST");
              assertThat(error.getMessage())
                  .isEqualTo("input.price.amount must be zero or more minor units");
              assertThat(error.getPath()).isEqualTo("createProduct");
              // like every BAD_REQUEST naming an argument: the path is in the message
              // (and the trace id every error carries)
              assertThat(error.getExtensions()).containsOnlyKeys("classification", "traceId");
            });
    // every violation is reported, in the order of the arguments' paths
    Map<String, Object> twice = new HashMap<>(product(category, -1, 3, "USD"));
    twice.put("title", " ");
    seller
        .graphQl()
        .documentName("createProduct")
        .variable("input", twice)
        .execute()
        .errors()
        .satisfy(
            errors ->
                assertThat(errors)
                    .extracting(ResponseError::getMessage)
                    .containsExactly(
                        "input.price.amount must be zero or more minor units",
                        "input.title must be 1 to 200 characters long, not 0"));
    assertThat(countProducts(category)).isZero();

    String id = createProduct(seller, category, 1999, 3);
    // not a code, and three letters that are no currency's, gold's, or a withdrawn currency's:
    // Stripe would refuse every checkout of it
    for (String code : List.of("dollars", "ABC", "xau", "XXX", "DEM")) {
      seller
          .graphQl()
          .documentName("updateProduct")
          .variable("id", id)
          .variable(
              "input", Map.of("title", "Renamed", "price", Map.of("amount", 5, "currency", code)))
          .execute()
          .errors()
          .expect(
              e ->
                  e.getErrorType().toString().equals("BAD_REQUEST")
                      && e.getMessage()
                          .equals("input.price.currency must be an ISO 4217 code such as USD"))
          .verify();
    }
    assertThat(titleOf(id)).isEqualTo("Widget");
    assertThat(column(id, "price_amount")).isEqualTo("1999");
  }

  @Test
  void anUpdateTellsAFieldLeftOutFromANullOne() {
    var seller = signUp("Seller");
    Map<String, Object> input = new HashMap<>(product(uniqueCategory(), 500, 2, "USD"));
    input.put("description", "Shiny");
    String id =
        seller
            .graphQl()
            .documentName("createProduct")
            .variable("input", input)
            .execute()
            .path("createProduct.id")
            .entity(String.class)
            .get();

    // left out: the description stays
    update(seller, id, Map.of("title", "Renamed"));
    assertThat(column(id, "description")).isEqualTo("Shiny");
    assertThat(titleOf(id)).isEqualTo("Renamed");

    // null: the description is cleared; a null title still leaves the title as it is
    Map<String, Object> nulls = new HashMap<>();
    nulls.put("description", null);
    nulls.put("title", null);
    update(seller, id, nulls);
    assertThat(column(id, "description")).isEmpty();
    assertThat(titleOf(id)).isEqualTo("Renamed");

    // a given description is checked like any other argument
    seller
        .graphQl()
        .documentName("updateProduct")
        .variable("id", id)
        .variable("input", Map.of("description", "x".repeat(5001)))
        .execute()
        .errors()
        .expect(
            e ->
                e.getErrorType().toString().equals("BAD_REQUEST")
                    && e.getMessage()
                        .equals("input.description must be 0 to 5000 characters long, not 5001"))
        .verify();
    assertThat(column(id, "description")).isEmpty();
  }

  private void update(Client seller, String id, Map<String, Object> input) {
    seller
        .graphQl()
        .documentName("updateProduct")
        .variable("id", id)
        .variable("input", input)
        .execute()
        .path("updateProduct.id")
        .entity(String.class)
        .isEqualTo(id);
  }

  /**
   * A seller who received five more units adds them to what orders left, instead of overwriting the
   * stock with a count that forgets an unpaid order's reservation (which would sell those units
   * twice).
   */
  @Test
  void aStockChangeAddsToTheStockOrdersLeft() {
    var seller = signUp("Seller");
    var buyer = signUp("Buyer");
    String id = createProduct(seller, uniqueCategory(), 500, 10);
    buyer
        .graphQl()
        .documentName("placeOrder")
        .variable("items", List.of(Map.of("productId", id, "quantity", 3)))
        .execute()
        .path("placeOrder.status")
        .entity(String.class)
        .isEqualTo("PENDING_PAYMENT");

    updating(seller, id, Map.of("stockChange", 5))
        .path("updateProduct.stock")
        .entity(Integer.class)
        .isEqualTo(12);
    updating(seller, id, Map.of("stockChange", -12))
        .path("updateProduct.stock")
        .entity(Integer.class)
        .isEqualTo(0);

    // below zero, or above the bound: refused, nothing changed
    refusedChange(seller, id, -1, 0);
    updating(seller, id, Map.of("stockChange", 1_000_000))
        .path("updateProduct.stock")
        .entity(Integer.class)
        .isEqualTo(1_000_000);
    refusedChange(seller, id, 1, 1_000_000);
    updating(seller, id, Map.of("stockChange", -1_000_000))
        .path("updateProduct.stock")
        .entity(Integer.class)
        .isEqualTo(0);
    updating(seller, id, Map.of("stockChange", 1_000_001))
        .errors()
        .expect(e -> e.getErrorType().toString().equals("BAD_REQUEST"))
        .verify();
    updating(seller, id, Map.of("stock", 4, "stockChange", 1))
        .errors()
        .expect(e -> e.getErrorType().toString().equals("BAD_REQUEST"))
        .verify();
    // another seller's change is theirs to refuse, whatever its amount
    updating(buyer, id, Map.of("stockChange", -100))
        .errors()
        .expect(e -> e.getErrorType().toString().equals("FORBIDDEN"))
        .verify();
    assertThat(column(id, "stock")).isEqualTo("0");
    assertThat(titleOf(id)).isEqualTo("Widget");
  }

  private void refusedChange(Client seller, String id, int change, int stock) {
    updating(seller, id, Map.of("stockChange", change, "title", "Renamed"))
        .errors()
        .expect(
            e ->
                e.getErrorType().toString().equals("CONFLICT")
                    && e.getMessage().contains("stockChange " + change)
                    && e.getMessage().contains("holds " + stock + " units now"))
        .verify();
  }

  private GraphQlTester.Response updating(Client seller, String id, Map<String, Object> input) {
    return seller
        .graphQl()
        .documentName("updateProduct")
        .variable("id", id)
        .variable("input", input)
        .execute();
  }

  @Test
  void reviewsUpdateTheSummaryAndAreCheckedForRange() {
    var seller = signUp("Seller");
    var buyer = signUp("Buyer");
    var other = signUp("Other");
    String id = createProduct(seller, uniqueCategory(), 500, 1);
    review(buyer, id, 5);
    review(other, id, 2)
        .path("addReview.product.reviewSummary.count")
        .entity(Integer.class)
        .isEqualTo(2)
        .path("addReview.product.reviewSummary.average")
        .entity(Double.class)
        .isEqualTo(3.5);

    buyer
        .graphQl()
        .documentName("addReview")
        .variable("productId", id)
        .variable("rating", 4)
        .variable("body", "again")
        .execute()
        .errors()
        .expect(e -> e.getErrorType().toString().equals("CONFLICT"))
        .verify();
    other
        .graphQl()
        .documentName("addReview")
        .variable("productId", id)
        .variable("rating", 6)
        .variable("body", "too good")
        .execute()
        .errors()
        .expect(e -> e.getErrorType().toString().equals("BAD_REQUEST"))
        .verify();
    seller
        .graphQl()
        .documentName("addReview")
        .variable("productId", id)
        .variable("rating", 5)
        .variable("body", "mine is great")
        .execute()
        .errors()
        .expect(e -> e.getErrorType().toString().equals("FORBIDDEN"))
        .verify();
    buyer
        .graphQl()
        .documentName("addReview")
        .variable("productId", "999999999")
        .variable("rating", 5)
        .variable("body", "ghost")
        .execute()
        .errors()
        .expect(e -> e.getErrorType().toString().equals("NOT_FOUND"))
        .verify();
    assertThat(reviewCount(id)).isEqualTo(2);
  }

  /** White space around a category or currency is stripped as before: any that strip() removes. */
  @Test
  void whiteSpaceBeyondAsciiAroundACategoryOrCurrencyIsStripped() {
    var seller = signUp("Seller");
    String category = uniqueCategory();
    String id =
        seller
            .graphQl()
            .documentName("createProduct")
            .variable("input", product("\u3000" + category + "\u2003", 500, 1, " usd\u3000"))
            .execute()
            .path("createProduct.id")
            .entity(String.class)
            .get();
    assertThat(column(id, "category")).isEqualTo(category);
  }

  /** Another list's cursor fails its own field only, not the lists whose pages share its batch. */
  @Test
  void aForeignCursorFailsOnlyItsOwnNestedList() {
    var seller = signUp("Seller");
    var buyer = signUp("Buyer");
    String first = createProduct(seller, uniqueCategory(), 500, 1);
    String second = createProduct(seller, uniqueCategory(), 500, 1);
    review(buyer, first, 5);
    review(buyer, second, 4);
    var response =
        anonymous()
            .document(
                """
                query($a: ID!, $b: ID!, $foreign: String) {
                  a: product(id: $a) { reviews(first: 5) { edges { node { rating } } } }
                  b: product(id: $b) { reviews(first: 5, after: $foreign) { edges { node { rating } } } }
                }""")
            .variable("a", first)
            .variable("b", second)
            .variable("foreign", KeysetCursors.of("seq", 1))
            .execute();
    response
        .errors()
        .expect(
            e ->
                e.getErrorType().toString().equals("BAD_REQUEST")
                    && e.getPath().equals("b.reviews")
                    && e.getMessage().equals("The cursor does not belong to this list."))
        .verify();
    response.path("a.reviews.edges[*].node.rating").entityList(Integer.class).containsExactly(5);
  }

  @Test
  void productByMalformedOrUnknownId() {
    anonymous()
        .documentName("productDetail")
        .variable("id", "abc")
        .execute()
        .errors()
        .expect(e -> e.getErrorType().toString().equals("BAD_REQUEST"))
        .verify();
    anonymous()
        .documentName("productDetail")
        .variable("id", "987654321")
        .execute()
        .errors()
        .expect(e -> e.getErrorType().toString().equals("NOT_FOUND"))
        .verify();
  }

  @Test
  void feedPagesNewestFirstWithCursors() {
    String category = uniqueCategory();
    seedFeed(category, 5, 4);
    var first =
        anonymous()
            .documentName("productFeed")
            .variable("category", category)
            .variable("first", 3)
            .execute();
    List<String> titles = first.path("products.edges[*].node.title").entityList(String.class).get();
    assertThat(titles).containsExactly("p5", "p4", "p3");
    first.path("products.pageInfo.hasNextPage").entity(Boolean.class).isEqualTo(true);
    String cursor = first.path("products.pageInfo.endCursor").entity(String.class).get();
    var second =
        anonymous()
            .documentName("productFeed")
            .variable("category", category)
            .variable("first", 3)
            .variable("after", cursor)
            .execute();
    assertThat(second.path("products.edges[*].node.title").entityList(String.class).get())
        .containsExactly("p2", "p1");
    second.path("products.pageInfo.hasNextPage").entity(Boolean.class).isEqualTo(false);
    // each product shows its 3 newest reviews, newest first
    assertThat(
            first
                .path("products.edges[0].node.reviews.edges[*].node.body")
                .entityList(String.class)
                .get())
        .containsExactly("review 4", "review 3", "review 2");
  }

  @Test
  void aProductsReviewsPageWithCursorsAndCheckTheirArguments() {
    String category = uniqueCategory();
    seedFeed(category, 1, 5);
    String id =
        anonymous()
            .documentName("productFeed")
            .variable("category", category)
            .execute()
            .path("products.edges[0].node.id")
            .entity(String.class)
            .get();
    List<String> seen = new ArrayList<>();
    List<Integer> ratings = new ArrayList<>();
    String after = null;
    boolean hasNext = true;
    for (int pages = 1; hasNext; pages++) {
      assertThat(pages).as("pages of 2 for 5 reviews").isLessThanOrEqualTo(3);
      var page =
          anonymous()
              .documentName("productReviews")
              .variable("id", id)
              .variable("first", 2)
              .variable("after", after)
              .execute();
      List<String> ids =
          page.path("product.reviews.edges[*].node.id").entityList(String.class).get();
      seen.addAll(ids);
      ratings.addAll(
          page.path("product.reviews.edges[*].node.rating").entityList(Integer.class).get());
      after = page.path("product.reviews.pageInfo.endCursor").entity(String.class).get();
      // the end cursor is the last edge's
      page.path("product.reviews.edges[" + (ids.size() - 1) + "].cursor")
          .entity(String.class)
          .isEqualTo(after);
      hasNext = page.path("product.reviews.pageInfo.hasNextPage").entity(Boolean.class).get();
      assertThat(ids).hasSize(hasNext ? 2 : 1);
    }
    // 2 + 2 + 1: every review once, newest first (review r was rated 1 + r % 5, r = 5 newest)
    assertThat(seen).hasSize(5).doesNotHaveDuplicates();
    assertThat(ratings).containsExactly(1, 5, 4, 3, 2);
    for (var variables :
        List.of(Map.of("first", 0), Map.<String, Object>of("after", "not a cursor!"))) {
      var tester = anonymous().documentName("productReviews").variable("id", id);
      variables.forEach(tester::variable);
      tester
          .execute()
          .errors()
          .expect(e -> e.getErrorType().toString().equals("BAD_REQUEST"))
          .verify();
    }
  }

  @Test
  void pageSizeOutsideOneToHundredIsABadRequest() {
    for (int size : new int[] {0, 101, -5}) {
      anonymous()
          .documentName("productFeed")
          .variable("category", "x")
          .variable("first", size)
          .execute()
          .errors()
          .expect(e -> e.getErrorType().toString().equals("BAD_REQUEST"))
          .verify();
    }
    anonymous()
        .documentName("productFeed")
        .variable("category", "x")
        .variable("after", "not a cursor!")
        .execute()
        .errors()
        .expect(e -> e.getErrorType().toString().equals("BAD_REQUEST"))
        .verify();
  }

  @Test
  void theFeedCostsTheSameFewStatementsForFiveAndFiftyProducts() {
    String small = uniqueCategory();
    String large = uniqueCategory();
    seedFeed(small, 5, 4);
    seedFeed(large, 50, 4);
    long forFive = statementsFor(small, 5);
    long forFifty = statementsFor(large, 50);
    // One statement at any size: the products with their sellers and the first reviews of each
    // with their authors, read ahead (it joins the users they point to: no users DataLoader level).
    // One statement per product would make it 50 or more.
    assertThat(forFive).isEqualTo(1);
    assertThat(forFifty).isEqualTo(1);
  }

  /**
   * The sellers and authors the feed's statements carry are each item's own: every product of the
   * seeded feed has its own seller and every review of it its own author, so a user joined on the
   * wrong column or row would show.
   */
  @Test
  void theFeedsJoinedSellersAndAuthorsAreEachItemsOwn() {
    String category = uniqueCategory();
    seedFeed(category, 4, 3);
    var read = new AtomicReference<GraphQlTester.Response>();
    long statements =
        statementsOf(
            () ->
                read.set(
                    anonymous()
                        .documentName("productFeed")
                        .variable("category", category)
                        .variable("first", 4)
                        .execute()));
    // the users below come from the statement's joins, not from a fallback to the DataLoader
    assertThat(statements).isEqualTo(1);
    var response = read.get();
    Map<String, String> userNames = new HashMap<>();
    db.sql(
            "SELECT u.id, u.display_name FROM users u JOIN products p ON p.seller_id = u.id"
                + " WHERE p.category = $1 UNION SELECT u.id, u.display_name FROM users u"
                + " JOIN reviews r ON r.author_id = u.id JOIN products p ON p.id = r.product_id"
                + " WHERE p.category = $1")
        .bind(0, category)
        .map(r -> Map.entry(r.get(0, Long.class).toString(), r.get(1, String.class)))
        .all()
        .doOnNext(e -> userNames.put(e.getKey(), e.getValue()))
        .blockLast();
    assertThat(userNames).hasSize(4 + 3); // 4 sellers, 3 review authors
    for (int i = 0; i < 4; i++) {
      String node = "products.edges[" + i + "].node.";
      // seedFeed: product pG is sold by "User G"; review R is by "User (4 + R)"
      int g =
          Integer.parseInt(response.path(node + "title").entity(String.class).get().substring(1));
      String sellerId = response.path(node + "seller.id").entity(String.class).get();
      response.path(node + "seller.displayName").entity(String.class).isEqualTo("User " + g);
      assertThat(userNames.get(sellerId)).isEqualTo("User " + g);
      for (int j = 0; j < 3; j++) {
        String review = node + "reviews.edges[" + j + "].node.";
        int r =
            Integer.parseInt(
                response
                    .path(review + "body")
                    .entity(String.class)
                    .get()
                    .substring("review ".length()));
        String authorId = response.path(review + "author.id").entity(String.class).get();
        response
            .path(review + "author.displayName")
            .entity(String.class)
            .isEqualTo("User " + (4 + r));
        assertThat(userNames.get(authorId)).isEqualTo("User " + (4 + r));
      }
    }
  }

  /**
   * W2's shape: the product with its seller and its first page of reviews with their authors, one
   * statement, each with the right user; the seller, the reviews and the authors are read in that
   * statement (its SQL joins users and reviews) and by no statement of their own.
   */
  @Test
  void aProductsDetailIsOneStatementWithItsSellerReviewsAndAuthorsJoined()
      throws InterruptedException {
    var seller = signUp("Seller" + shortId());
    var first = signUp("First" + shortId());
    var second = signUp("Second" + shortId());
    String id = createProduct(seller, uniqueCategory(), 500, 3);
    review(first, id, 4);
    review(second, id, 2);
    Runnable detail =
        () -> {
          var response = anonymous().documentName("productDetail").variable("id", id).execute();
          response.path("product.seller.displayName").entity(String.class).isEqualTo(seller.name());
          response.path("product.seller.id").entity(String.class).isEqualTo(seller.id());
          // newest first
          response
              .path("product.reviews.edges[*].node.author.displayName")
              .entityList(String.class)
              .containsExactly(second.name(), first.name());
          response
              .path("product.reviews.edges[*].node.author.id")
              .entityList(String.class)
              .containsExactly(second.id(), first.id());
        };
    assertThat(statementsOf(detail)).isEqualTo(1);
    List<String> sql =
        sqlOf(null, tester -> tester.documentName("productDetail").variable("id", id).execute());
    assertThat(sql)
        .singleElement()
        .satisfies(s -> assertThat(s).contains("JOIN users u", "FROM reviews", "JOIN users a"));
  }

  /**
   * The page read ahead with the product is the one the reviews field reads itself: the same edges,
   * cursors and page info as from its DataLoader, which a second list of another size makes the
   * query use (it reads ahead only one size), for a product with more reviews than the page and for
   * one with none.
   */
  @Test
  void theReviewsReadAheadAreTheOnesTheFieldWouldRead() {
    String category = uniqueCategory();
    seedFeed(category, 1, 5);
    String reviewed =
        anonymous()
            .documentName("productFeed")
            .variable("category", category)
            .execute()
            .path("products.edges[0].node.id")
            .entity(String.class)
            .get();
    String unreviewed = createProduct(signUp("Quiet"), uniqueCategory(), 500, 3);
    String page =
        "reviews(first: 3) { edges { cursor node { id rating author { id displayName } } }"
            + " pageInfo { hasNextPage hasPreviousPage startCursor endCursor } }";
    String ahead = "query($id: ID!) { product(id: $id) { title description " + page + " } }";
    String loaded =
        "query($id: ID!) { product(id: $id) { title description "
            + page
            + " other: reviews(first: 4) { edges { node { id } } } } }";
    for (String id : List.of(reviewed, unreviewed)) {
      var read = new AtomicReference<Object>();
      long oneStatement =
          statementsOf(
              () ->
                  read.set(
                      anonymous()
                          .document(ahead)
                          .variable("id", id)
                          .execute()
                          .path("product")
                          .entity(Object.class)
                          .get()));
      var viaLoader = new AtomicReference<Object>();
      long moreStatements =
          statementsOf(
              () ->
                  viaLoader.set(
                      anonymous()
                          .document(loaded)
                          .variable("id", id)
                          .execute()
                          .path("product")
                          .entity(Map.class)
                          .get()));
      assertThat(oneStatement).as("read ahead").isEqualTo(1);
      assertThat(moreStatements).as("read by the reviews DataLoader").isGreaterThan(1);
      ((Map<?, ?>) viaLoader.get()).remove("other");
      assertThat(read.get()).isEqualTo(viaLoader.get());
    }
    anonymous()
        .document(ahead)
        .variable("id", reviewed)
        .execute()
        .path("product.description")
        .entity(String.class)
        .isEqualTo("about p1")
        .path("product.reviews.edges")
        .entityList(Object.class)
        .hasSize(3)
        .path("product.reviews.pageInfo.hasNextPage")
        .entity(Boolean.class)
        .isEqualTo(true);
    anonymous()
        .document(ahead)
        .variable("id", unreviewed)
        .execute()
        .path("product.title")
        .entity(String.class)
        .satisfies(title -> assertThat(title).isNotEmpty())
        // stored empty (none given), so not null: its only row is its first
        .path("product.description")
        .entity(String.class)
        .isEqualTo("")
        .path("product.reviews.edges")
        .entityList(Object.class)
        .hasSize(0);
  }

  /**
   * The row after a page is read only for a query that reads hasNextPage (W1 reads none): a list
   * that does not read it still gets its whole page, and one that does still gets the right answer,
   * also beside an alias of the same list that does not, on the feed and on a product's detail.
   */
  @Test
  void hasNextPageIsRightWhetherOrNotTheOtherListsReadIt() {
    String category = uniqueCategory();
    seedFeed(category, 1, 4);
    String threeOfFour =
        "query($c: String!) { products(category: $c) { edges { node { id"
            + " a: reviews(first: 3) { edges { node { body } } }"
            + " b: reviews(first: 3) { edges { node { body } } pageInfo { hasNextPage } }"
            + " c: reviews(first: 4) { ...more } } } } }"
            + " fragment more on ReviewConnection { edges { node { body } } pageInfo { hasNextPage } }";
    var feed = anonymous().document(threeOfFour).variable("c", category).execute();
    feed.path("products.edges[0].node.a.edges").entityList(Object.class).hasSize(3);
    feed.path("products.edges[0].node.b.edges").entityList(Object.class).hasSize(3);
    feed.path("products.edges[0].node.b.pageInfo.hasNextPage")
        .entity(Boolean.class)
        .isEqualTo(true);
    feed.path("products.edges[0].node.c.edges").entityList(Object.class).hasSize(4);
    feed.path("products.edges[0].node.c.pageInfo.hasNextPage")
        .entity(Boolean.class)
        .isEqualTo(false);
    String id = feed.path("products.edges[0].node.id").entity(String.class).get();

    for (String detail :
        List.of(
            "query($id: ID!) { product(id: $id) { reviews(first: 3) { edges { node { body } } }"
                + " more: reviews(first: 3) { pageInfo { hasNextPage } } } }",
            "query($id: ID!) { product(id: $id) { reviews(first: 3) { edges { node { body } }"
                + " pageInfo { hasNextPage } } more: reviews(first: 3) { pageInfo { hasNextPage } } } }")) {
      anonymous()
          .document(detail)
          .variable("id", id)
          .execute()
          .path("product.reviews.edges")
          .entityList(Object.class)
          .hasSize(3)
          .path("product.more.pageInfo.hasNextPage")
          .entity(Boolean.class)
          .isEqualTo(true);
    }
  }

  /**
   * Two lists of one parent in one statement: {@code first: 2} that asks for hasNextPage reads 3
   * rows, as {@code first: 3} does, so both go to the same batch. Each parent is read once, or its
   * two reviews come back twice.
   */
  @Test
  void twoListsOfOneParentInOneBatchSeeEachChildOnce() {
    String category = uniqueCategory();
    seedFeed(category, 1, 2);
    String twoLists =
        " a: reviews(first: 2) { edges { node { body } } pageInfo { hasNextPage } }"
            + " b: reviews(first: 3) { edges { node { body } } }";
    var feed =
        anonymous()
            .document(
                "query($c: String!) { products(category: $c) { edges { node { id"
                    + twoLists
                    + " } } } }")
            .variable("c", category)
            .execute();
    String id = feed.path("products.edges[0].node.id").entity(String.class).get();
    var detail =
        anonymous()
            .document("query($id: ID!) { product(id: $id) {" + twoLists + " } }")
            .variable("id", id)
            .execute();
    for (var answer : Map.of("products.edges[0].node.", feed, "product.", detail).entrySet()) {
      for (String list : List.of("a", "b")) {
        answer
            .getValue()
            .path(answer.getKey() + list + ".edges[*].node.body")
            .entityList(String.class)
            .containsExactly("review 2", "review 1");
      }
      answer
          .getValue()
          .path(answer.getKey() + "a.pageInfo.hasNextPage")
          .entity(Boolean.class)
          .isEqualTo(false);
    }
  }

  /**
   * Look-ahead: a query that selects no seller and no author reads no users, and one that selects
   * only the sellers joins them to the products alone. The positive half proves the SQL is seen at
   * all, so the negative half can fail.
   */
  @Test
  void onlyTheUsersAQuerySelectsAreJoined() throws InterruptedException {
    String category = uniqueCategory();
    seedFeed(category, 3, 2);
    String neither =
        "query($c: String!) { products(category: $c) { edges { node { title"
            + " reviews { edges { node { body } } } } } } }";
    String sellersOnly =
        "query($c: String!) { products(category: $c) { edges { node { title seller { displayName }"
            + " reviews { edges { node { body } } } } } } }";
    String authorsThroughAFragment =
        "query($c: String!) { products(category: $c) { edges { node { title"
            + " reviews { ...authors } } } } }"
            + " fragment authors on ReviewConnection { edges { node { author { displayName } } } }";

    // one statement (the reviews read ahead), joining the sellers as u and the authors as a
    List<String> none = sqlOf(null, t -> t.document(neither).variable("c", category).execute());
    assertThat(none)
        .singleElement()
        .satisfies(s -> assertThat(s).contains("FROM reviews").doesNotContainIgnoringCase("users"));

    List<String> sellers =
        sqlOf(null, t -> t.document(sellersOnly).variable("c", category).execute());
    assertThat(sellers)
        .singleElement()
        .satisfies(s -> assertThat(s).contains("JOIN users u").doesNotContain("users a"));

    List<String> authors =
        sqlOf(null, t -> t.document(authorsThroughAFragment).variable("c", category).execute());
    assertThat(authors)
        .singleElement()
        .satisfies(s -> assertThat(s).contains("JOIN users a").doesNotContain("users u"));
  }

  /**
   * A product read elsewhere (a review's product, through the products DataLoader) carries no
   * seller: its seller comes from the users DataLoader, right, as before.
   */
  @Test
  void aProductReadWithoutItsSellerStillHasIt() {
    var seller = signUp("Loaded" + shortId());
    var buyer = signUp("Reviewer");
    String id = createProduct(seller, uniqueCategory(), 500, 3);
    review(buyer, id, 5);
    anonymous()
        .document(
            "query($id: ID!) { product(id: $id) { reviews { edges { node { product {"
                + " seller { id displayName } } } } } } }")
        .variable("id", id)
        .execute()
        .path("product.reviews.edges[0].node.product.seller.displayName")
        .entity(String.class)
        .isEqualTo(seller.name())
        .path("product.reviews.edges[0].node.product.seller.id")
        .entity(String.class)
        .isEqualTo(seller.id());
  }

  private long statementsFor(String category, int n) {
    return statementsOf(
        () -> {
          anonymous()
              .documentName("productFeed")
              .variable("category", category)
              .variable("first", n)
              .execute()
              .path("products.edges")
              .entityList(Object.class)
              .hasSize(n)
              .path("products.edges[*].node.reviews.edges[*].node.author.displayName")
              .entityList(String.class)
              .hasSize(n * 3);
        });
  }

  /** n products in the category, each by its own seller, each with the given number of reviews. */
  private void seedFeed(String category, int n, int reviewsEach) {
    String tag = UUID.randomUUID().toString();
    db.sql(
            "INSERT INTO users (email, display_name, password_hash) SELECT 'u' || g || '-' || $1 || '@example.com', 'User ' || g, 'x' FROM generate_series(1, $2) g")
        .bind(0, tag)
        .bind(1, n + reviewsEach)
        .then()
        .block();
    db.sql(
            "INSERT INTO products (seller_id, category, title, description, price_amount, price_currency, stock, created_at)"
                + " SELECT u.id, $2, 'p' || g, 'about p' || g, 100 * g, 'USD', 10, now() - interval '1 hour' * ($3 - g)"
                + " FROM generate_series(1, $3) g JOIN users u ON u.email = 'u' || g || '-' || $1 || '@example.com'")
        .bind(0, tag)
        .bind(1, category)
        .bind(2, n)
        .then()
        .block();
    db.sql(
            "INSERT INTO reviews (product_id, author_id, rating, body, created_at)"
                + " SELECT p.id, u.id, 1 + r % 5, 'review ' || r, p.created_at + interval '1 minute' * r"
                + " FROM products p CROSS JOIN generate_series(1, $2) r"
                + " JOIN users u ON u.email = 'u' || ($3 + r) || '-' || $1 || '@example.com'"
                + " WHERE p.category = $4")
        .bind(0, tag)
        .bind(1, reviewsEach)
        .bind(2, n)
        .bind(3, category)
        .then()
        .block();
  }

  /**
   * A review after a field that loaded its product, in one document: the review's product is read
   * after the review, with its count and its reviews, not the copy the order loaded before it.
   */
  @Test
  void aReviewAnswersItsProductAsItLeftItAfterAnOrderInTheSameDocument() {
    var seller = signUp("Seller");
    var buyer = signUp("Buyer");
    String id = createProduct(seller, uniqueCategory(), 500, 3);
    var response =
        buyer
            .graphQl()
            .document(
                "mutation($p:ID!){"
                    + " o: placeOrder(items:[{productId:$p, quantity:1}]) {"
                    + "  items { product { reviewSummary { count } reviews { edges { node { id } } } } } }"
                    + " r: addReview(productId:$p, rating:4, body:\"fine\") { id product {"
                    + "  stock reviewSummary { count average } reviews { edges { node { id } } } } } }")
            .variable("p", id)
            .execute();
    response.path("o.items[0].product.reviewSummary.count").entity(Integer.class).isEqualTo(0);
    String review = response.path("r.id").entity(String.class).get();
    response.path("r.product.stock").entity(Integer.class).isEqualTo(2);
    response.path("r.product.reviewSummary.count").entity(Integer.class).isEqualTo(1);
    response.path("r.product.reviewSummary.average").entity(Double.class).isEqualTo(4.0);
    response
        .path("r.product.reviews.edges[*].node.id")
        .entityList(String.class)
        .containsExactly(review);
  }

  private String createProduct(Client seller, String category, long price, int stock) {
    return seller
        .graphQl()
        .documentName("createProduct")
        .variable("input", product(category, price, stock, "USD"))
        .execute()
        .path("createProduct.id")
        .entity(String.class)
        .get();
  }

  private static Map<String, Object> product(
      String category, long price, int stock, String currency) {
    return Map.of(
        "title",
        "Widget",
        "category",
        category,
        "price",
        Map.of("amount", price, "currency", currency),
        "stock",
        stock);
  }

  private org.springframework.graphql.test.tester.GraphQlTester.Response review(
      Client author, String productId, int rating) {
    return author
        .graphQl()
        .documentName("addReview")
        .variable("productId", productId)
        .variable("rating", rating)
        .variable("body", "rated " + rating)
        .execute();
  }

  private static String shortId() {
    return UUID.randomUUID().toString().substring(0, 8);
  }

  private static String uniqueCategory() {
    return "c-" + UUID.randomUUID().toString().substring(0, 8);
  }

  private String titleOf(String id) {
    return db.sql("SELECT title FROM products WHERE id = $1")
        .bind(0, Long.parseLong(id))
        .map(r -> r.get(0, String.class))
        .one()
        .block();
  }

  private String column(String id, String column) {
    return db.sql("SELECT " + column + "::text FROM products WHERE id = $1")
        .bind(0, Long.parseLong(id))
        .map(r -> r.get(0, String.class))
        .one()
        .block();
  }

  private long countProducts(String category) {
    return db.sql("SELECT count(*) FROM products WHERE category = $1")
        .bind(0, category)
        .map(r -> r.get(0, Long.class))
        .one()
        .block();
  }

  private long reviewCount(String id) {
    return db.sql("SELECT count(*) FROM reviews WHERE product_id = $1")
        .bind(0, Long.parseLong(id))
        .map(r -> r.get(0, Long.class))
        .one()
        .block();
  }
}
