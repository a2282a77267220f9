package com.dedw3n.platform.graphql;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * The GraphQL endpoint's HTTP limits.
 *
 * @param maxBodyBytes the largest request body
 * @param maxConcurrentRequests queries and mutations executing at once; 0: twice the cores, at
 *     least 4 (measured on 2 cores, W1 at 64 connections: 4 at once gave 440 requests/s, 16 gave
 *     250, no limit 130; W3 and W5 were also best at 4)
 * @param maxQueuedRequests requests waiting for their turn; beyond it, 503 at once
 */
@ConfigurationProperties("dedw3n.graphql")
record GraphQlHttpSettings(
    @DefaultValue("262144") int maxBodyBytes,
    @DefaultValue("0") int maxConcurrentRequests,
    @DefaultValue("2048") int maxQueuedRequests) {

  int concurrency() {
    return maxConcurrentRequests > 0
        ? maxConcurrentRequests
        : Math.max(4, 2 * Runtime.getRuntime().availableProcessors());
  }
}
