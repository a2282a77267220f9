package com.dedw3n.platform.graphql;

import static org.assertj.core.api.Assertions.assertThat;

import graphql.ExecutionResult;
import graphql.GraphQL;
import graphql.schema.DataFetcher;
import graphql.schema.GraphQLObjectType;
import graphql.schema.GraphQLSchema;
import graphql.schema.idl.RuntimeWiring;
import graphql.schema.idl.SchemaGenerator;
import graphql.schema.idl.SchemaParser;
import graphql.schema.idl.WiringFactory;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The record getters answer every field as graphql-java's own property fetcher does, for records of
 * every kind of component and for the sources they leave to it.
 */
class RecordPropertiesTests {

  private static final String SDL =
      """
      type Query { items: [Item!]! }
      interface Item { id: ID!, name: String, missing: String }
      type Plain implements Item { id: ID!, name: String, missing: String, count: Int, big: Float, on: Boolean, tags: [String] }
      type Other implements Item { id: ID!, name: String, missing: String, count: Int }
      """;

  private static final String QUERY =
      """
      { items { __typename id name missing
                ... on Plain { count big on tags }
                ... on Other { count } } }
      """;

  /** Package-private, as this server's records are, with primitive and boxed components. */
  record Plain(long id, String name, int count, double big, boolean on, List<String> tags) {}

  /** A second record behind the same interface (its own fields, so fetchers of its own). */
  record Other(Long id, String name, Integer count) {}

  /** Not a record: a getter, left to graphql-java. */
  public static final class Bean {
    public String getId() {
      return "bean";
    }

    public String getName() {
      return "a bean";
    }
  }

  /** Plain's fetchers see a record, a map and a bean in turn (they resolve to Plain). */
  private static final List<Object> ITEMS =
      List.of(
          new Plain(1, "first", 3, 2.5, true, List.of("a", "b")),
          new Other(2L, "second", null),
          new Plain(3, null, -1, 0, false, List.of()),
          Map.of("id", "4", "name", "a map", "missing", "in the map"),
          new Bean(),
          new Other(5L, "fifth", 7));

  @Test
  void everyFieldHasTheValueGraphqlJavasFetcherGives() {
    ExecutionResult expected = execute(null);
    ExecutionResult actual = execute(new RecordProperties());

    assertThat(expected.getErrors()).isEmpty();
    assertThat(actual.getErrors()).isEmpty();
    assertThat(actual.<Object>getData()).isEqualTo(expected.getData());
    // and the values are the records' (not both sides null)
    List<Map<String, Object>> items =
        actual.<Map<String, List<Map<String, Object>>>>getData().get("items");
    assertThat(items.get(0))
        .containsEntry("id", "1")
        .containsEntry("name", "first")
        .containsEntry("count", 3)
        .containsEntry("big", 2.5)
        .containsEntry("on", true)
        .containsEntry("tags", List.of("a", "b"))
        .containsEntry("missing", null);
    assertThat(items.get(1)).containsEntry("id", "2").containsEntry("count", null);
    assertThat(items.get(3)).containsEntry("missing", "in the map");
    assertThat(items.get(4)).containsEntry("id", "bean").containsEntry("name", "a bean");
    assertThat(items.get(5)).containsEntry("count", 7);
  }

  @Test
  void fieldsWithoutAFetcherGetARecordGetterThatIsStillAPropertyFetcher() {
    GraphQLSchema schema = schema(new RecordProperties());

    GraphQLObjectType plain = schema.getObjectType("Plain");
    DataFetcher<?> name =
        schema.getCodeRegistry().getDataFetcher(plain, plain.getFieldDefinition("name"));
    // spring-graphql's schema inspection reads the property name of graphql-java's fetcher
    assertThat(name).isInstanceOf(RecordProperties.Fetcher.class);
    RecordProperties.Fetcher fetcher = (RecordProperties.Fetcher) name;
    assertThat(fetcher.getPropertyName()).isEqualTo("name");
    // records, package-private ones too, are read by a getter of their own; the rest are not
    assertThat(fetcher.read(ITEMS.get(0))).isNotNull();
    assertThat(fetcher.read(ITEMS.get(1))).isNotNull();
    assertThat(fetcher.read(ITEMS.get(3))).isNull();
    assertThat(fetcher.read(ITEMS.get(4))).isNull();
  }

  private static ExecutionResult execute(RecordProperties properties) {
    return GraphQL.newGraphQL(schema(properties)).build().execute(QUERY);
  }

  private static GraphQLSchema schema(RecordProperties properties) {
    RuntimeWiring.Builder wiring =
        RuntimeWiring.newRuntimeWiring()
            .type("Query", t -> t.dataFetcher("items", env -> ITEMS))
            .type(
                "Item",
                t ->
                    t.typeResolver(
                        env ->
                            env.getSchema()
                                .getObjectType(
                                    env.getObject() instanceof Other ? "Other" : "Plain")));
    if (properties != null) {
      List<WiringFactory> factories = new ArrayList<>();
      properties.configure(wiring, factories);
      assertThat(factories).hasSize(1);
      wiring.wiringFactory(factories.get(0));
    }
    return new SchemaGenerator()
        .makeExecutableSchema(new SchemaParser().parse(SDL), wiring.build());
  }
}
