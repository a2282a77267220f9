package com.dedw3n.platform;

import static org.assertj.core.api.Assertions.assertThat;

import com.dedw3n.ApiTests;
import graphql.language.AstPrinter;
import graphql.language.Document;
import graphql.language.InputObjectTypeDefinition;
import graphql.language.ObjectTypeDefinition;
import graphql.language.TypeDefinition;
import graphql.parser.Parser;
import java.io.IOException;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * The subgraph contract with an Apollo Federation 2 gateway: {@code _service} and {@code
 * _entities}.
 */
class FederationTests extends ApiTests {

  static final List<String> ENTITIES =
      List.of("User", "Product", "Order", "Post", "Match", "Conversation", "Message");

  @Test
  void serviceSdlDeclaresEveryEntityWithItsKey() {
    String sdl = servedSdl();
    Document document = Parser.parse(sdl);
    Map<String, ObjectTypeDefinition> types =
        document.getDefinitionsOfType(ObjectTypeDefinition.class).stream()
            .collect(Collectors.toMap(ObjectTypeDefinition::getName, t -> t, (a, b) -> a));
    for (String entity : ENTITIES) {
      var key =
          types.get(entity).getDirectives("key").stream()
              .map(
                  d ->
                      ((graphql.language.StringValue) d.getArgument("fields").getValue())
                          .getValue())
              .toList();
      assertThat(key).as(entity).contains("id");
    }
    assertThat(sdl).contains("@link").contains("federation/v2");
  }

  /**
   * gateway-config/compose-supergraph.sh hands rover the schema files joined, not the running
   * subgraph: they must declare every type and field the subgraph serves, or rover refuses them
   * (spring-graphql would add the Relay connection types at startup, where rover never sees them).
   */
  @Test
  void theSchemaFilesDeclareEveryTypeAndFieldTheSubgraphServes() throws IOException {
    Map<String, Set<String>> declared =
        shapes(Parser.parse(DeploymentConfigTests.joinedSchemaFiles()));
    Map<String, Set<String>> servedShapes = shapes(Parser.parse(servedSdl()));
    servedShapes.keySet().removeIf(name -> name.startsWith("_") || name.contains("__"));
    assertThat(servedShapes.keySet()).contains("ReviewConnection", "MessageEdge", "PageInfo");
    for (var type : servedShapes.entrySet()) {
      assertThat(declared.get(type.getKey()))
          .as("%s in schema/*.graphqls", type.getKey())
          .isNotNull()
          .containsAll(type.getValue());
    }
  }

  private String servedSdl() {
    return anonymous()
        .documentName("serviceSdl")
        .execute()
        .path("_service.sdl")
        .entity(String.class)
        .get();
  }

  /** Each type by name, with its fields (and input fields) as "name: Type", extensions merged. */
  private static Map<String, Set<String>> shapes(Document document) {
    Map<String, Set<String>> shapes = new TreeMap<>();
    for (var definition : document.getDefinitionsOfType(TypeDefinition.class)) {
      Set<String> fields = shapes.computeIfAbsent(definition.getName(), name -> new TreeSet<>());
      if (definition instanceof ObjectTypeDefinition object) {
        object.getFieldDefinitions().stream()
            .filter(field -> !field.getName().startsWith("_"))
            .forEach(
                field -> fields.add(field.getName() + ": " + AstPrinter.printAst(field.getType())));
      } else if (definition instanceof InputObjectTypeDefinition input) {
        input
            .getInputValueDefinitions()
            .forEach(
                field -> fields.add(field.getName() + ": " + AstPrinter.printAst(field.getType())));
      }
    }
    return shapes;
  }

  @Test
  void entitiesResolveInOneStatementPerTypeAndInOrder() {
    var alice = signUp("Alice");
    var bob = signUp("Bob");
    var carol = signUp("Carol");
    String product =
        db.sql(
                "INSERT INTO products (seller_id, category, title, price_amount, price_currency, stock)"
                    + " VALUES ($1, 'fed', 'Federated', 100, 'USD', 1) RETURNING id")
            .bind(0, Long.parseLong(bob.id()))
            .map(r -> r.get(0, Long.class).toString())
            .one()
            .block();
    List<Map<String, Object>> representations =
        List.of(
            rep("User", carol.id()),
            rep("Product", product),
            rep("User", alice.id()),
            rep("User", "999999999"),
            rep("User", bob.id()));
    long sent =
        statementsOf(
            () ->
                alice
                    .graphQl()
                    .documentName("entities")
                    .variable("representations", representations)
                    .execute());
    var response =
        alice
            .graphQl()
            .documentName("entities")
            .variable("representations", representations)
            .execute();

    response.path("_entities[0].displayName").entity(String.class).isEqualTo("Carol");
    response.path("_entities[1].title").entity(String.class).isEqualTo("Federated");
    response.path("_entities[1].seller.id").entity(String.class).isEqualTo(bob.id());
    response.path("_entities[2].email").entity(String.class).isEqualTo(alice.email());
    response.path("_entities[4].email").valueIsNull();
    response.path("_entities[3]").valueIsNull();
    // users (1), products (1), and the product's seller comes from the users loader (1)
    assertThat(sent).isLessThanOrEqualTo(3);
  }

  @Test
  void everyEntityTypeResolvesForItsOwnerInOneStatementPerType() {
    var ann = signUp("Ann");
    var ben = signUp("Ben");
    long product =
        insert(
            "INSERT INTO products (seller_id, category, title, price_amount, price_currency, stock) VALUES ($1, 'fed', 'P', 100, 'USD', 5) RETURNING id",
            ben.id());
    long order =
        insert(
            "WITH o AS (INSERT INTO orders (buyer_id, total_amount, currency) VALUES ($1, 100, 'USD') RETURNING id) SELECT id FROM o",
            ann.id());
    long post =
        insert(
            "INSERT INTO posts (author_id, body) VALUES ($1, 'fed post') RETURNING id", ben.id());
    long match =
        insert(
            "INSERT INTO matches (user_a_id, user_b_id) VALUES (least($1::bigint, "
                + ben.id()
                + "), greatest($1::bigint, "
                + ben.id()
                + ")) RETURNING id",
            ann.id());
    long conversation =
        insert(
            "WITH c AS (INSERT INTO conversations (created_by, last_seq) VALUES ($1, 1) RETURNING id), p AS (INSERT INTO conversation_participants (conversation_id, user_id) SELECT id, $1 FROM c) SELECT id FROM c",
            ann.id());
    long message =
        insert(
            "INSERT INTO messages (conversation_id, seq, sender_id, body) VALUES ("
                + conversation
                + ", 1, $1, 'fed message') RETURNING id",
            ann.id());
    List<Map<String, Object>> representations =
        List.of(
            rep("User", ben.id()),
            rep("Product", String.valueOf(product)),
            rep("Order", String.valueOf(order)),
            rep("Post", String.valueOf(post)),
            rep("Match", String.valueOf(match)),
            rep("Conversation", String.valueOf(conversation)),
            rep("Message", String.valueOf(message)),
            rep("Message", String.valueOf(message)));
    long sent =
        statementsOf(
            () ->
                ann.graphQl()
                    .documentName("entities")
                    .variable("representations", representations)
                    .execute());
    var response =
        ann.graphQl()
            .documentName("entities")
            .variable("representations", representations)
            .execute();
    response
        .path("_entities[*].__typename")
        .entityList(String.class)
        .containsExactly(
            "User", "Product", "Order", "Post", "Match", "Conversation", "Message", "Message");
    response.path("_entities[6].body").entity(String.class).isEqualTo("fed message");
    // one statement per entity type, plus the product's seller through the users loader
    assertThat(sent).isLessThanOrEqualTo(8);

    // the same representations for someone outside: only the public ones resolve
    var eve = signUp("Eve");
    var outside =
        eve.graphQl()
            .documentName("entities")
            .variable("representations", representations)
            .execute();
    outside.path("_entities[0].id").entity(String.class).isEqualTo(ben.id());
    outside.path("_entities[1].id").entity(String.class).isEqualTo(String.valueOf(product));
    outside.path("_entities[3].id").entity(String.class).isEqualTo(String.valueOf(post));
    for (int hidden : new int[] {2, 4, 5, 6, 7}) {
      outside.path("_entities[" + hidden + "]").valueIsNull();
    }
  }

  @Test
  void aMalformedRepresentationIdIsABadRequest() {
    anonymous()
        .documentName("entities")
        .variable("representations", List.of(rep("Product", "not-a-number")))
        .execute()
        .errors()
        .expect(e -> e.getErrorType().toString().equals("BAD_REQUEST"))
        .verify()
        .path("_entities[0]")
        .valueIsNull();
  }

  /**
   * A router resolves a page of references in one request; one malformed id among them is refused
   * at its own index, and its neighbours, of its type too, resolve in their one statement a type
   * (the batch failed as a whole before: every product of the page was null). Errors of the batch
   * itself keep the index of their representation in the request.
   */
  @Test
  void aMalformedIdIsRefusedAloneAndItsNeighboursResolve() {
    var ben = signUp("Ben");
    long first =
        insert(
            "INSERT INTO products (seller_id, category, title, price_amount, price_currency, stock) VALUES ($1, 'fed', 'First', 100, 'USD', 5) RETURNING id",
            ben.id());
    long second =
        insert(
            "INSERT INTO products (seller_id, category, title, price_amount, price_currency, stock) VALUES ($1, 'fed', 'Second', 100, 'USD', 5) RETURNING id",
            ben.id());
    List<Map<String, Object>> representations =
        List.of(
            rep("Product", String.valueOf(first)),
            rep("Product", "not-a-number"),
            rep("User", ben.id()),
            rep("Product", String.valueOf(second)),
            rep("NoSuchEntity", "1"));
    long sent =
        statementsOf(
            () ->
                anonymous()
                    .documentName("entities")
                    .variable("representations", representations)
                    .execute());
    var response =
        anonymous().documentName("entities").variable("representations", representations).execute();

    response
        .errors()
        .satisfy(
            errors ->
                assertThat(errors)
                    .extracting(e -> e.getPath() + " " + e.getErrorType() + " " + e.getMessage())
                    .containsExactlyInAnyOrder(
                        "_entities[1] BAD_REQUEST id is not a valid id: 'not-a-number'",
                        "_entities[4] INTERNAL_ERROR No entity fetcher"))
        .path("_entities[0].title")
        .entity(String.class)
        .isEqualTo("First")
        .path("_entities[1]")
        .valueIsNull()
        .path("_entities[2].id")
        .entity(String.class)
        .isEqualTo(ben.id())
        .path("_entities[3].title")
        .entity(String.class)
        .isEqualTo("Second")
        .path("_entities[4]")
        .valueIsNull();
    // products (1), users (1), the products' seller through the users loader (1)
    assertThat(sent).isLessThanOrEqualTo(3);
  }

  /**
   * A representation that is not an object (federation-jvm's _Any takes anything) is the client's
   * mistake, refused before anything executes: it was an internal error, logged at ERROR.
   */
  @Test
  void aRepresentationThatIsNotAnObjectIsInvalidInput() {
    invalidInput(
        anonymous().documentName("entities").variable("representations", List.of("x")),
        "A representation is an object");
    invalidInput(
        anonymous()
            .document(
                "{ _entities(representations: [{__typename: \"Product\", id: null}])"
                    + " { __typename } }"),
        "not be null");
    invalidInput(
        anonymous().document("{ _entities(representations: [\"x\", 1]) { __typename } }"),
        "A representation is an object");
  }

  /** Refused as the client's mistake, naming it, and not as an internal error. */
  private static void invalidInput(
      org.springframework.graphql.test.tester.GraphQlTester.Request<?> request, String why) {
    request
        .execute()
        .errors()
        .expect(
            e ->
                !e.getErrorType().toString().equals("INTERNAL_ERROR")
                    && e.getMessage().contains(why))
        .verify();
  }

  private long insert(String sql, String userId) {
    return db.sql(sql).bind(0, Long.parseLong(userId)).map(r -> r.get(0, Long.class)).one().block();
  }

  static Map<String, Object> rep(String type, String id) {
    return Map.of("__typename", type, "id", id);
  }
}
