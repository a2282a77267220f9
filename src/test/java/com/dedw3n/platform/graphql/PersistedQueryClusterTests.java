package com.dedw3n.platform.graphql;

import static org.assertj.core.api.Assertions.assertThat;

import com.dedw3n.Instances;
import com.dedw3n.RedisBehindProxy;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.data.redis.core.ReactiveStringRedisTemplate;
import org.springframework.http.HttpHeaders;
import org.springframework.http.MediaType;
import org.springframework.test.web.reactive.server.EntityExchangeResult;
import org.springframework.test.web.reactive.server.WebTestClient;

/**
 * Automatic persisted queries across instances: a document registered through one is known to the
 * other, through Redis, which keeps a bounded number of them, each with an expiry.
 */
class PersistedQueryClusterTests {

  static RedisBehindProxy redis;
  static ConfigurableApplicationContext a;
  static ConfigurableApplicationContext b;
  static String prefix;

  /** The bound on documents kept in Redis, small enough for a test to pass it. */
  static final int MAX_ENTRIES = 3;

  @BeforeAll
  static void start() throws IOException {
    redis = RedisBehindProxy.start();
    prefix = "dedw3n:test:" + UUID.randomUUID() + ":";
    a = instance(redis.url(), prefix);
    b = instance(redis.url(), prefix);
  }

  static ConfigurableApplicationContext instance(String redisUrl, String prefix) {
    return Instances.builder()
        .run(
            "--server.port=0",
            "--spring.data.redis.url=" + redisUrl,
            "--dedw3n.chat.redis-channel=" + prefix + "chat",
            "--dedw3n.budgets.redis-key-prefix=" + prefix + "budget:",
            "--dedw3n.session.redis-prefix=" + prefix + "session:",
            "--dedw3n.persisted-queries.redis-key-prefix=" + prefix + "apq:",
            "--dedw3n.persisted-queries.automatic-max-entries=" + MAX_ENTRIES);
  }

  @AfterAll
  static void stop() throws IOException {
    if (a != null) a.close();
    if (b != null) b.close();
    if (redis != null) redis.close();
  }

  @Test
  void aDocumentRegisteredThroughOneInstanceRunsByHashOnTheOther() {
    String query =
        "query clustered { c" + UUID.randomUUID().toString().replace("-", "") + ": __typename }";
    String hash = PersistedQueryManifest.sha256(query);
    Map<String, Object> hashOnly =
        Map.of("operationName", "clustered", "extensions", PersistedQueryTests.persisted(hash));

    assertThat(PersistedQueryTests.code(post(b, hashOnly))).isEqualTo("PERSISTED_QUERY_NOT_FOUND");
    Map<String, Object> withQuery = new LinkedHashMap<>(hashOnly);
    withQuery.put("query", query);
    assertThat(PersistedQueryTests.body(post(a, withQuery))).doesNotContainKey("errors");

    var onB = post(b, hashOnly);
    assertThat(onB.getStatus().value()).isEqualTo(200);
    assertThat(PersistedQueryTests.body(onB)).containsKey("data").doesNotContainKey("errors");
  }

  @Test
  void redisKeepsTheMostRecentlyRegisteredDocumentsUpToItsBoundEachWithAnExpiry() {
    ReactiveStringRedisTemplate store = a.getBean(ReactiveStringRedisTemplate.class);
    List<String> hashes = new ArrayList<>();
    for (int i = 0; i < MAX_ENTRIES + 2; i++) {
      String query =
          "query bounded { b" + UUID.randomUUID().toString().replace("-", "") + ": __typename }";
      String hash = PersistedQueryManifest.sha256(query);
      hashes.add(hash);
      assertThat(
              PersistedQueryTests.body(
                  post(
                      a,
                      Map.of("query", query, "extensions", PersistedQueryTests.persisted(hash)))))
          .doesNotContainKey("errors");
    }
    String apq = prefix + "apq:";
    List<String> kept = hashes.subList(2, hashes.size());
    for (String hash : hashes) {
      assertThat(store.hasKey(apq + hash).block())
          .as("document %d kept", hashes.indexOf(hash))
          .isEqualTo(kept.contains(hash));
    }
    // at most the bound, whatever other tests registered before
    assertThat(store.opsForZSet().size(AutomaticPersistedQueries.indexKey(apq)).block())
        .isEqualTo(MAX_ENTRIES);
    // each document and the index expire 24 h after their last registration
    for (String key : List.of(apq + kept.get(0), AutomaticPersistedQueries.indexKey(apq))) {
      assertThat(store.getExpire(key).block())
          .as("expiry of %s", key)
          .isBetween(Duration.ofHours(24).minusMinutes(1), Duration.ofHours(24));
    }

    // the other instance, which never saw them, knows the kept documents and not the others
    Map<String, Object> evicted =
        Map.of("extensions", PersistedQueryTests.persisted(hashes.get(0)));
    assertThat(PersistedQueryTests.code(post(b, evicted))).isEqualTo("PERSISTED_QUERY_NOT_FOUND");
    Map<String, Object> newest =
        Map.of("extensions", PersistedQueryTests.persisted(hashes.get(hashes.size() - 1)));
    assertThat(PersistedQueryTests.body(post(b, newest))).doesNotContainKey("errors");
  }

  private static EntityExchangeResult<Map> post(
      ConfigurableApplicationContext instance, Map<String, Object> body) {
    String port = instance.getEnvironment().getProperty("local.server.port");
    return WebTestClient.bindToServer()
        .baseUrl("http://127.0.0.1:" + port)
        .build()
        .post()
        .uri("/graphql")
        .contentType(MediaType.APPLICATION_JSON)
        .header(HttpHeaders.ACCEPT, PersistedQueryTests.APOLLO_ACCEPT)
        .bodyValue(body)
        .exchange()
        .expectBody(Map.class)
        .returnResult();
  }
}
