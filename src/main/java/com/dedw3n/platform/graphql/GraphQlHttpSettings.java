package com.dedw3n.platform.graphql;

import java.time.Duration;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * The GraphQL endpoint's HTTP limits.
 *
 * @param maxBodyBytes the largest request body
 * @param bodyTimeout how long a request's body may take to arrive in all, however it trickles in:
 *     the gap limit ({@code dedw3n.web.read-timeout}) alone let a client sending a byte every few
 *     seconds hold the buffers of what it sent for as long as its body lasted (256 KiB: days). 30 s
 *     reads the largest body at 9 KB/s; the API's bodies are a few KB.
 * @param maxConcurrentRequests heavy queries and mutations (static cost at least {@code
 *     heavyRequestCost}, the W1 feed) executing at once; 0: twice the cores, at least 4 (measured
 *     on 2 cores, W1 at 64 connections: 4 at once gave 440 requests/s, 16 gave 250, no limit 130)
 * @param maxConcurrentLightRequests lighter queries and mutations executing at once, beside the
 *     heavy ones; 0: four times {@code maxConcurrentRequests}
 * @param heavyRequestCost the static cost from which a request is heavy (see {@link
 *     ExecutionLimit})
 * @param maxQueuedRequests requests waiting for their turn, in each class; beyond it, 503 at once
 */
@ConfigurationProperties("dedw3n.graphql")
record GraphQlHttpSettings(
    @DefaultValue("262144") int maxBodyBytes,
    @DefaultValue("30s") Duration bodyTimeout,
    @DefaultValue("0") int maxConcurrentRequests,
    @DefaultValue("0") int maxConcurrentLightRequests,
    @DefaultValue("500") long heavyRequestCost,
    @DefaultValue("2048") int maxQueuedRequests) {

  GraphQlHttpSettings {
    if (bodyTimeout.isNegative() || bodyTimeout.isZero()) {
      // zero would answer every POST 408 at once, not switch the limit off
      throw new IllegalArgumentException(
          "dedw3n.graphql.body-timeout must be positive (it is " + bodyTimeout + ")");
    }
  }

  int concurrency() {
    return maxConcurrentRequests > 0
        ? maxConcurrentRequests
        : Math.max(4, 2 * Runtime.getRuntime().availableProcessors());
  }

  int lightConcurrency() {
    return maxConcurrentLightRequests > 0 ? maxConcurrentLightRequests : 4 * concurrency();
  }
}
