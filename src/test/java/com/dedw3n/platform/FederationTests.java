package com.dedw3n.platform;

import static org.assertj.core.api.Assertions.assertThat;

import com.dedw3n.ApiTests;
import graphql.language.Document;
import graphql.language.ObjectTypeDefinition;
import graphql.parser.Parser;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * The subgraph contract with an Apollo Federation 2 gateway: {@code _service} and {@code
 * _entities}.
 */
class FederationTests extends ApiTests {

  static final List<String> ENTITIES = List.of("User", "Product");

  @Test
  void serviceSdlDeclaresEveryEntityWithItsKey() {
    String sdl =
        anonymous()
            .documentName("serviceSdl")
            .execute()
            .path("_service.sdl")
            .entity(String.class)
            .get();
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
    long before = statements.total();
    var response =
        alice
            .graphQl()
            .documentName("entities")
            .variable("representations", representations)
            .execute();
    long sent = statements.total() - before;

    response.path("_entities[0].displayName").entity(String.class).isEqualTo("Carol");
    response.path("_entities[1].title").entity(String.class).isEqualTo("Federated");
    response.path("_entities[1].seller.id").entity(String.class).isEqualTo(bob.id());
    response.path("_entities[2].email").entity(String.class).isEqualTo(alice.email());
    response.path("_entities[4].email").valueIsNull();
    response.path("_entities[3]").valueIsNull();
    // users (1), products (1), and the product's seller comes from the users loader (1)
    assertThat(sent).isLessThanOrEqualTo(3);
  }

  static Map<String, Object> rep(String type, String id) {
    return Map.of("__typename", type, "id", id);
  }
}
