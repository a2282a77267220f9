package com.dedw3n;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;
import reactor.netty.http.HttpResources;

class InstancesTests {

  /**
   * The shared test server's clients ({@code WebTestClient.bindToServer()}) and the application's
   * own outbound clients built with {@code HttpClient.create()} run on Reactor Netty's JVM-wide
   * resources: an extra instance that a test closes must leave them alone.
   */
  @Test
  void closingAnExtraInstanceLeavesTheJvmWideNettyResourcesAlone() {
    HttpResources shared = HttpResources.get();

    Instances.builder().run("--server.port=0").close();

    assertThat(shared.isDisposed()).isFalse();
    assertThat(HttpResources.get()).isSameAs(shared);
  }
}
