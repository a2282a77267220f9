package com.dedw3n.media.internal;

import static org.assertj.core.api.Assertions.assertThat;

import com.dedw3n.TestClock;
import com.dedw3n.media.internal.ObjectStore.ObjectRef;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.http.HttpStatus;
import org.springframework.test.web.reactive.server.WebTestClient;
import reactor.core.scheduler.Schedulers;

/**
 * The local store's signed URLs in time: they work until they expire and not a second after. (The
 * rest of its rules are proven over real HTTP in MediaTests.)
 */
class LocalObjectStoreTests {

  private static final ObjectRef PRIVATE =
      new ObjectRef("local", ".private/message-attachment/7/a");

  @TempDir Path directory;

  private final TestClock clock = new TestClock(Instant.parse("2026-12-01T12:00:00Z"));

  @Test
  void signedUrlsExpire() {
    var store =
        new LocalObjectStore(
            directory,
            "test-secret".getBytes(StandardCharsets.UTF_8),
            () -> "http://media.test",
            List.of(new ObjectRef("local", "public")),
            new CacheControls(Duration.ofDays(1), Duration.ofDays(7), Duration.ofHours(1)),
            Schedulers.boundedElastic(),
            clock);
    var client = WebTestClient.bindToRouterFunction(store.routes()).build();
    byte[] png = TestImages.png(2, 2);

    var upload =
        store
            .signUpload(PRIVATE, "image/png", png.length, "ignored", Duration.ofMinutes(15))
            .block();
    clock.advance(Duration.ofMinutes(15).plusSeconds(1));
    client
        .put()
        .uri(path(upload.url()))
        .header("Content-Type", "image/png")
        .bodyValue(png)
        .exchange()
        .expectStatus()
        .isEqualTo(HttpStatus.FORBIDDEN)
        .expectBody(String.class)
        .value(body -> assertThat(body).contains("expired"));

    var fresh =
        store
            .signUpload(PRIVATE, "image/png", png.length, "ignored", Duration.ofMinutes(15))
            .block();
    clock.advance(Duration.ofMinutes(15));
    client
        .put()
        .uri(path(fresh.url()))
        .header("Content-Type", "image/png")
        .bodyValue(png)
        .exchange()
        .expectStatus()
        .isOk()
        .expectBody(Void.class);

    String read = store.signDownload(PRIVATE, Duration.ofMinutes(15)).block();
    client
        .get()
        .uri(path(read))
        .exchange()
        .expectStatus()
        .isOk()
        .expectBody(byte[].class)
        .isEqualTo(png);
    clock.advance(Duration.ofMinutes(15).plusSeconds(1));
    client.get().uri(path(read)).exchange().expectStatus().isForbidden().expectBody(Void.class);
  }

  private static URI path(String url) {
    URI full = URI.create(url);
    return URI.create(full.getRawPath() + "?" + full.getRawQuery());
  }
}
