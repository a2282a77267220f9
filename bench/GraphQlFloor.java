import graphql.ExecutionInput;
import graphql.ExecutionResult;
import graphql.GraphQL;
import graphql.schema.DataFetcher;
import graphql.schema.GraphQLSchema;
import graphql.schema.idl.RuntimeWiring;
import graphql.schema.idl.SchemaGenerator;
import graphql.schema.idl.SchemaParser;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import org.dataloader.DataLoader;
import org.dataloader.DataLoaderFactory;
import org.dataloader.DataLoaderRegistry;
import tools.jackson.databind.json.JsonMapper;

/**
 * The floor under W1: what graphql-java alone costs to execute the W1 document (api/productFeed)
 * and write its JSON, with the page's data already in memory: no HTTP, no SQL, no Spring, one
 * thread. Whatever the server does around it, W1 cannot be cheaper than this, so it bounds the
 * requests per second any server built on graphql-java reaches on this machine.
 *
 * <p>Two shapes of the same execution:
 *
 * <ul>
 *   <li>{@code preloaded}: the feed's sellers, reviews and authors hang on the objects already;
 *       every field is a plain property read, nothing is asynchronous;
 *   <li>{@code dataloader}: sellers, reviews and authors come through DataLoaders (batch loaders
 *       answering from memory), as in the server: 250 asynchronous fields a page.
 * </ul>
 *
 * <pre>
 *   ./mvnw -q dependency:build-classpath -Dmdep.outputFile=target/cp.txt
 *   java -cp "$(cat target/cp.txt)" bench/GraphQlFloor.java [warm-up seconds] [measured seconds]
 * </pre>
 *
 * Prints one line per shape and round: {@code FLOOR round=.. shape=.. us_per_request=.. bytes=..
 * rps_per_core=..}; read round 2.
 */
public class GraphQlFloor {

  record User(String id, String displayName) {}

  record Money(long amount, String currency) {}

  record Review(String id, int rating, String body, long authorId, User author) {}

  record ReviewEdge(Review node) {}

  record ReviewConnection(List<ReviewEdge> edges) {}

  record Product(
      String id,
      String title,
      Money price,
      long sellerId,
      User seller,
      ReviewConnection reviews) {}

  record ProductEdge(String cursor, Product node) {}

  record PageInfo(boolean hasNextPage, String endCursor) {}

  record ProductConnection(List<ProductEdge> edges, PageInfo pageInfo) {}

  static final String SDL =
      """
      scalar Long
      type Query { products(category: String!, first: Int, after: String): ProductConnection! }
      type ProductConnection { edges: [ProductEdge!]! pageInfo: PageInfo! }
      type ProductEdge { cursor: String! node: Product! }
      type PageInfo { hasNextPage: Boolean! endCursor: String }
      type Product {
        id: ID! title: String! price: Money! seller: User!
        reviews(first: Int = 10, after: String): ReviewConnection!
      }
      type Money { amount: Long! currency: String! }
      type ReviewConnection { edges: [ReviewEdge!]! }
      type ReviewEdge { node: Review! }
      type Review { id: ID! rating: Int! body: String! author: User! }
      type User { id: ID! displayName: String! }
      """;

  public static void main(String[] args) throws Exception {
    int warmup = args.length > 0 ? Integer.parseInt(args[0]) : 20;
    int measured = args.length > 1 ? Integer.parseInt(args[1]) : 10;
    String document = Files.readString(Path.of("api/productFeed.graphql"));
    Map<String, Object> variables = Map.of("category", "books", "first", 50);
    ProductConnection page = page();
    JsonMapper json = JsonMapper.builder().build();

    Map<Long, User> users = new LinkedHashMap<>();
    Map<String, ReviewConnection> reviews = new LinkedHashMap<>();
    for (ProductEdge edge : page.edges()) {
      Product product = edge.node();
      users.put(product.sellerId(), product.seller());
      reviews.put(product.id(), product.reviews());
      product.reviews().edges().forEach(r -> users.put(r.node().authorId(), r.node().author()));
    }

    // each shape twice, alternating: the second round is the one to read (the JIT has settled)
    int round = 0;
    for (String shape : List.of("preloaded", "dataloader", "preloaded", "dataloader")) {
      round++;
      boolean loaders = shape.equals("dataloader");
      GraphQL graphQl = GraphQL.newGraphQL(schema(page, loaders)).build();
      Runnable request =
          () -> {
            DataLoaderRegistry registry = new DataLoaderRegistry();
            if (loaders) {
              registry.register(
                  "users",
                  DataLoaderFactory.newMappedDataLoader(
                      (Set<Long> ids) -> CompletableFuture.completedFuture(pick(users, ids))));
              registry.register(
                  "reviews",
                  DataLoaderFactory.newMappedDataLoader(
                      (Set<String> ids) -> CompletableFuture.completedFuture(pick(reviews, ids))));
            }
            ExecutionResult result =
                graphQl.execute(
                    ExecutionInput.newExecutionInput(document)
                        .variables(variables)
                        .dataLoaderRegistry(registry)
                        .build());
            if (!result.getErrors().isEmpty()) {
              throw new IllegalStateException(result.getErrors().toString());
            }
            bytes = json.writeValueAsBytes(result.toSpecification());
          };
      run(request, warmup);
      long start = System.nanoTime();
      long count = run(request, measured);
      double micros = (System.nanoTime() - start) / 1e3 / count;
      System.out.printf(
          "FLOOR round=%d shape=%s us_per_request=%.0f bytes=%d rps_per_core=%.0f%n",
          (round + 1) / 2, shape, micros, bytes.length, 1e6 / micros);
    }
  }

  static volatile byte[] bytes;

  static long run(Runnable request, int seconds) {
    long end = System.nanoTime() + seconds * 1_000_000_000L;
    long count = 0;
    while (System.nanoTime() < end) {
      request.run();
      count++;
    }
    return count;
  }

  static <K, V> Map<K, V> pick(Map<K, V> all, Set<K> keys) {
    Map<K, V> found = new LinkedHashMap<>();
    keys.forEach(key -> found.put(key, all.get(key)));
    return found;
  }

  static GraphQLSchema schema(ProductConnection page, boolean loaders) {
    RuntimeWiring.Builder wiring =
        RuntimeWiring.newRuntimeWiring()
            .scalar(graphql.scalars.ExtendedScalars.GraphQLLong)
            .type("Query", type -> type.dataFetcher("products", env -> page));
    if (loaders) {
      DataFetcher<?> seller =
          env ->
              env.<Long, User>getDataLoader("users").load(env.<Product>getSource().sellerId());
      DataFetcher<?> reviews =
          env ->
              env.<String, ReviewConnection>getDataLoader("reviews")
                  .load(env.<Product>getSource().id());
      DataFetcher<?> author =
          env -> env.<Long, User>getDataLoader("users").load(env.<Review>getSource().authorId());
      wiring
          .type("Product", type -> type.dataFetcher("seller", seller).dataFetcher("reviews", reviews))
          .type("Review", type -> type.dataFetcher("author", author));
    }
    return new SchemaGenerator()
        .makeExecutableSchema(new SchemaParser().parse(SDL), wiring.build());
  }

  /** 50 products, 3 reviews each, names and bodies of the workload's sizes. */
  static ProductConnection page() {
    java.util.Random random = new java.util.Random(42);
    List<ProductEdge> edges = new ArrayList<>();
    for (int p = 0; p < 50; p++) {
      long sellerId = 1 + random.nextInt(20_000);
      User seller = new User(Long.toString(sellerId), "Seller " + sellerId);
      List<ReviewEdge> reviews = new ArrayList<>();
      for (int r = 0; r < 3; r++) {
        long authorId = 1 + random.nextInt(20_000);
        reviews.add(
            new ReviewEdge(
                new Review(
                    Long.toString(1_000_000 + p * 3 + r),
                    1 + random.nextInt(5),
                    "x".repeat(100),
                    authorId,
                    new User(Long.toString(authorId), "User " + authorId))));
      }
      String id = Long.toString(100_000 - p);
      edges.add(
          new ProductEdge(
              "cursor-" + id,
              new Product(
                  id,
                  "Product title number " + id,
                  new Money(1999 + p, "USD"),
                  sellerId,
                  seller,
                  new ReviewConnection(reviews))));
    }
    return new ProductConnection(edges, new PageInfo(true, edges.get(49).cursor()));
  }
}
