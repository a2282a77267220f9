package com.dedw3n.payment.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/**
 * The fake stops with whatever closes it: a context of the tests (or the development server) that
 * closes leaves no thread of the fake running behind it, whose late failure to stop would be logged
 * into whatever runs next.
 */
class FakeStripeTests {

  @Test
  void closingTheFakeStopsItsEventLoopBeforeItReturns() throws Exception {
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
      assertThat(loopThreads()).as("the fake's event loop, serving").isPositive();

      fake.close();

      assertThat(loopThreads()).as("the fake's event loop, once close() returned").isZero();
    } finally {
      fake.close();
    }
  }

  private static long loopThreads() {
    return Thread.getAllStackTraces().keySet().stream()
        .filter(thread -> thread.getName().startsWith("fake-stripe") && thread.isAlive())
        .count();
  }
}
