package com.dedw3n.platform.graphql;

import static org.assertj.core.api.Assertions.assertThat;

import com.dedw3n.ApiTests;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** GraphiQL (development profile) needs nothing but this server: no CDN, no internet. */
class OfflineGraphiQlTests extends ApiTests {

  private static final Pattern ASSET = Pattern.compile("(?:src|href)=\"([^\"]+)\"");

  @Test
  void thePageAndEveryAssetItLoadsComeFromThisServer() {
    String page =
        http()
            .get()
            .uri("/graphiql")
            .exchange()
            .expectStatus()
            .isOk()
            .expectBody(String.class)
            .returnResult()
            .getResponseBody();
    assertThat(page).doesNotContain("https://").doesNotContain("http://");
    List<String> assets = new ArrayList<>();
    Matcher matcher = ASSET.matcher(page);
    while (matcher.find()) {
      assets.add(matcher.group(1));
    }
    assertThat(assets).hasSizeGreaterThanOrEqualTo(5);
    for (String asset : assets) {
      byte[] body =
          http()
              .mutate()
              .codecs(codecs -> codecs.defaultCodecs().maxInMemorySize(4 * 1024 * 1024))
              .build()
              .get()
              .uri(asset)
              .exchange()
              .expectStatus()
              .isOk()
              .expectBody(byte[].class)
              .returnResult()
              .getResponseBody();
      assertThat(body).as(asset).isNotEmpty();
    }
  }
}
