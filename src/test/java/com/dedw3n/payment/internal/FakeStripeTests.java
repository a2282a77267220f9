package com.dedw3n.payment.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.HashSet;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * The fake stops with whatever closes it: a context of the tests (or the development server) that
 * closes leaves no thread of the fake running behind it, whose late failure to stop would be logged
 * into whatever runs next.
 */
class FakeStripeTests {

  @Test
  void closingTheFakeStopsItsEventLoopBeforeItReturns() throws Exception {
    // other fakes may be running in this JVM (the test contexts' own): only this one's threads
    Set<Thread> others = loopThreads();
    FakeStripe fake = new FakeStripe();
    try {
      // a connection kept alive by the client, as stripe-java's are
      HttpClient client = HttpClient.newHttpClient();
      HttpResponse<String> answer =
          client.send(
              HttpRequest.newBuilder(URI.create(fake.baseUrl() + "/v1/payment_intents/pi_none"))
                  .header("Authorization", "Bearer " + FakeStripe.SECRET_KEY)
                  .timeout(Duration.ofSeconds(10))
                  .build(),
              HttpResponse.BodyHandlers.ofString());
      assertThat(answer.statusCode()).isEqualTo(404);
      Set<Thread> own = loopThreads();
      own.removeAll(others);
      assertThat(own).as("the fake's event loop, serving").isNotEmpty();

      fake.close();

      assertThat(own).as("the fake's event loop, once close() returned").noneMatch(Thread::isAlive);
    } finally {
      fake.close();
    }
  }

  private static Set<Thread> loopThreads() {
    return Thread.getAllStackTraces().keySet().stream()
        .filter(thread -> thread.getName().startsWith("fake-stripe") && thread.isAlive())
        .collect(Collectors.toCollection(HashSet::new));
  }
}
