package com.dedw3n.platform.graphql;

import static org.assertj.core.api.Assertions.assertThat;

import com.dedw3n.Instances;
import com.dedw3n.RedisBehindProxy;
import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.http.HttpHeaders;
import org.springframework.http.MediaType;
import org.springframework.test.web.reactive.server.EntityExchangeResult;
import org.springframework.test.web.reactive.server.WebTestClient;

/**
 * Automatic persisted queries across instances: a document registered through one is known to the
 * other, through Redis.
 */
class PersistedQueryClusterTests {

  static RedisBehindProxy redis;
  static ConfigurableApplicationContext a;
  static ConfigurableApplicationContext b;

  @BeforeAll
  static void start() throws IOException {
    redis = RedisBehindProxy.start();
    String prefix = "dedw3n:test:" + UUID.randomUUID() + ":";
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
            "--dedw3n.persisted-queries.redis-key-prefix=" + prefix + "apq:");
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
