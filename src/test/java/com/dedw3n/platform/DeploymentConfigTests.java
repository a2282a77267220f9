package com.dedw3n.platform;

import static org.assertj.core.api.Assertions.assertThat;

import graphql.parser.Parser;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.yaml.snakeyaml.Yaml;

/**
 * docker-compose.yml, the router's configuration, the supergraph's composition and the Dockerfile,
 * read as the tools read them (YAML, SDL) and checked against how this API works. {@code docker
 * compose config} is not available on the build machines (no compose plugin), so this is the
 * structural check; it does not start the topology.
 */
class DeploymentConfigTests {

  @Test
  void composeRunsPostgresRedisTwoInstancesAndTheRouterWithHealthChecks() throws IOException {
    Map<String, Object> services = map(yaml("docker-compose.yml").get("services"));
    assertThat(services.keySet()).contains("postgres", "redis", "api-1", "api-2", "router");
    Set<String> documented = documentedVariables();
    for (String name : List.of("api-1", "api-2")) {
      Map<String, Object> api = map(services.get(name));
      Map<String, Object> environment = map(api.get("environment"));
      assertThat(environment.get("DATABASE_URL").toString()).contains("@postgres:5432/");
      assertThat(environment.get("REDIS_URL")).isEqualTo("redis://redis:6379");
      assertThat(environment).containsKeys("SESSION_SECRET", "JAVA_TOOL_OPTIONS");
      assertThat(documented)
          .as("every variable the instances get is in the README")
          .containsAll(
              environment.keySet().stream().filter(v -> !v.equals("JAVA_TOOL_OPTIONS")).toList());
      assertThat(map(map(api.get("depends_on")).get("postgres")).get("condition"))
          .isEqualTo("service_healthy");
      assertThat(map(map(api.get("depends_on")).get("redis")).get("condition"))
          .isEqualTo("service_healthy");
      assertThat(String.join(" ", strings(map(api.get("healthcheck")).get("test"))))
          .contains("/actuator/health/readiness");
      assertThat(api.get("stop_grace_period")).isEqualTo("45s");
      List<Object> aliases = list(map(map(api.get("networks")).get("default")).get("aliases"));
      assertThat(aliases).contains("api");
    }
    Map<String, Object> router = map(services.get("router"));
    assertThat(String.join(" ", strings(router.get("volumes"))))
        .contains("./gateway-config/router.yaml:")
        .contains("./gateway-config/supergraph.graphql:")
        .contains("./gateway-config/rhai:");
    assertThat(map(router.get("depends_on")).keySet()).containsExactlyInAnyOrder("api-1", "api-2");
  }

  @Test
  void theRouterPassesCookiesBothWaysSubscriptionsThroughAndAllowsTheAppsOrigin()
      throws IOException {
    Map<String, Object> router = yaml("gateway-config/router.yaml");
    Map<String, Object> cors = map(router.get("cors"));
    assertThat(cors.get("allow_credentials")).isEqualTo(true);
    assertThat(list(cors.get("origins"))).isNotEmpty();
    List<Object> propagated =
        list(map(map(router.get("headers")).get("all")).get("request")).stream()
            .map(rule -> map(map(rule).get("propagate")).get("named"))
            .toList();
    assertThat(propagated).contains("cookie", "authorization");
    Map<String, Object> subscription = map(router.get("subscription"));
    assertThat(subscription.get("enabled")).isEqualTo("${env.ROUTER_SUBSCRIPTIONS:-false}");
    // each subscriber its own stream: its first event and its replay (after:) are its own
    assertThat(subscription.get("enable_deduplication")).isEqualTo(false);
    Map<String, Object> subgraph =
        map(
            map(map(map(subscription.get("mode")).get("passthrough")).get("subgraphs"))
                .get("dedw3n"));
    // graphql-transport-ws on the path the instances serve it (spring.graphql.websocket.path)
    assertThat(subgraph.get("protocol")).isEqualTo("graphql_ws");
    assertThat(subgraph.get("path")).isEqualTo("/graphql");
    Map<String, Object> rhai = map(router.get("rhai"));
    String script = Files.readString(Path.of("gateway-config/rhai", (String) rhai.get("main")));
    assertThat(script).contains("set-cookie").contains("fn subgraph_service");
    // Router 1.61's header map (plugins/rhai/engine.rs): an indexer that sets one value, or one
    // header per value of an array, "in", values() and remove(). Any other call fails at run time
    // (not at the router's start), and the router then answers the response with a 500
    var calls = java.util.regex.Pattern.compile("headers\\.(\\w+)\\(").matcher(script);
    while (calls.find()) {
      assertThat(calls.group(1)).as("a function of Router's header map").isIn("values", "remove");
    }
  }

  /**
   * A router that uses a licensed feature without a GraphOS license refuses to start: compose's
   * router starts without one (no operation limits, subscriptions only when switched on), and is
   * handed the key and graph ref that switch them on when the shell has them.
   */
  @Test
  void theRouterStartsWithoutALicenseAndIsHandedOneWhenSet() throws IOException {
    Map<String, Object> router = yaml("gateway-config/router.yaml");
    Map<String, Object> limits =
        router.get("limits") == null ? Map.of() : map(router.get("limits"));
    assertThat(limits)
        .as("operation limits are licensed")
        .doesNotContainKeys("max_depth", "max_height", "max_aliases", "max_root_fields");
    assertThat(router)
        .as("licensed: coprocessors, persisted queries, authentication, demand control")
        .doesNotContainKeys("coprocessor", "persisted_queries", "authentication", "demand_control");
    assertThat(map(router.get("subscription")).get("enabled").toString()).endsWith(":-false}");
    Map<String, Object> environment =
        map(map(map(yaml("docker-compose.yml").get("services")).get("router")).get("environment"));
    assertThat(environment).containsKeys("APOLLO_KEY", "APOLLO_GRAPH_REF", "ROUTER_SUBSCRIPTIONS");
    assertThat(environment.get("APOLLO_KEY")).as("passed on only when set").isNull();
  }

  /** Every variable of the deployment contract reaches the instances when the shell sets it. */
  @Test
  void composeHandsTheInstancesTheWholeDeploymentContract() throws IOException {
    List<String> contract =
        List.of(
            "DATABASE_URL",
            "SESSION_SECRET",
            "REDIS_URL",
            "PUBLIC_OBJECT_SEARCH_PATHS",
            "PRIVATE_OBJECT_DIR",
            "STRIPE_SECRET_KEY",
            "STRIPE_PUBLISHABLE_KEY",
            "STRIPE_WEBHOOK_SECRET",
            "BREVO_API_KEY",
            "COINGECKO_API_KEY",
            "CRYPTOCOMPARE_API_KEY",
            "COINMARKETCAP_API_KEY",
            "DB_POOL_MAX",
            "DB_POOL_MIN",
            "DB_IDLE_TIMEOUT",
            "SESSION_TOUCH_AFTER",
            "CACHE_TTL_IMAGES",
            "CACHE_TTL_VIDEOS",
            "CACHE_TTL_CRYPTO");
    Map<String, Object> services = map(yaml("docker-compose.yml").get("services"));
    for (String name : List.of("api-1", "api-2")) {
      assertThat(map(map(services.get(name)).get("environment")).keySet())
          .as(name)
          .containsAll(contract);
    }
    assertThat(strings(map(services.get("api-1")).get("ports")))
        .as("Stripe's webhook reaches an instance")
        .anyMatch(port -> port.endsWith(":8080"));
  }

  @Test
  void theSupergraphIsComposedFromTheSchemaFilesAndRoutesToTheComposeInstances()
      throws IOException {
    Map<String, Object> subgraph =
        map(map(yaml("gateway-config/supergraph.yaml").get("subgraphs")).get("dedw3n"));
    assertThat(subgraph.get("routing_url")).isEqualTo("http://api:8080/graphql");
    assertThat(map(subgraph.get("schema")).get("file"))
        .isEqualTo("../target/dedw3n-subgraph.graphqls");
    assertThat(Files.readString(Path.of("gateway-config/compose-supergraph.sh")))
        .contains("cat schema/*.graphqls > target/dedw3n-subgraph.graphqls");
    // what the script hands rover is one valid SDL document
    String joined = joinedSchemaFiles();
    assertThat(Parser.parse(joined).getDefinitions()).isNotEmpty();
    assertThat(joined).contains("@link(").contains("federation/v2.");
  }

  /** schema/*.graphqls joined as compose-supergraph.sh joins them for rover. */
  static String joinedSchemaFiles() throws IOException {
    StringBuilder joined = new StringBuilder();
    try (Stream<Path> files = Files.list(Path.of("schema"))) {
      for (Path file : files.filter(f -> f.toString().endsWith(".graphqls")).sorted().toList()) {
        joined.append(Files.readString(file)).append('\n');
      }
    }
    return joined.toString();
  }

  @Test
  void theImageRunsTheJarAsANonRootUserWithTheMeasuredJvmSizing() throws IOException {
    String dockerfile = Files.readString(Path.of("Dockerfile"));
    assertThat(dockerfile).contains("USER 10001").contains("ENTRYPOINT [\"java\"");
    Map<String, Object> compose =
        map(map(map(yaml("docker-compose.yml").get("services")).get("api-1")).get("environment"));
    String composeSizing = compose.get("JAVA_TOOL_OPTIONS").toString().trim();
    assertThat(dockerfile).contains("ENV JAVA_TOOL_OPTIONS=\"" + composeSizing + "\"");
    // the benchmark measures the server as deployed, and the README documents that sizing
    assertThat(Files.readString(Path.of("bench/bench.sh")))
        .contains("SERVER_JAVA_OPTS=${SERVER_JAVA_OPTS:-\"" + composeSizing + "\"}");
    assertThat(readme()).contains("\n" + composeSizing + "\n");
  }

  private static Set<String> documentedVariables() throws IOException {
    Set<String> names = new TreeSet<>();
    Matcher row = Pattern.compile("(?m)^\\| `([A-Z][A-Z0-9_]+)` \\|").matcher(readme());
    while (row.find()) {
      names.add(row.group(1));
    }
    return names;
  }

  private static String readme() throws IOException {
    return Files.readString(Path.of("README.md"));
  }

  private static Map<String, Object> yaml(String file) throws IOException {
    return new Yaml().load(Files.readString(Path.of(file)));
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> map(Object value) {
    assertThat(value).isInstanceOf(Map.class);
    return (Map<String, Object>) value;
  }

  @SuppressWarnings("unchecked")
  private static List<Object> list(Object value) {
    assertThat(value).isInstanceOf(List.class);
    return (List<Object>) value;
  }

  private static List<String> strings(Object value) {
    List<String> strings = new ArrayList<>();
    for (Object item : list(value)) {
      strings.add(item.toString());
    }
    return strings;
  }
}
