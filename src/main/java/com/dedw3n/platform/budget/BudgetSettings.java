package com.dedw3n.platform.budget;

import java.time.Duration;
import org.springframework.boot.context.properties.ConfigurationProperties;

/**
 * How much each kind of caller may spend (defaults in application.yml, documented in the README).
 *
 * @param enabled false: nothing is refused and responses carry no throttle status (the cost is
 *     still computed and reported)
 * @param redisKeyPrefix prefix of the Redis keys of the buckets (deployments sharing a Redis need
 *     different ones)
 * @param redisTimeout how long a request waits for Redis before it falls back to this instance's
 *     own buckets
 * @param redisRetry after Redis failed, how long the budgets stay in memory before trying it again
 * @param anonymousCost query cost per client address of anonymous traffic
 * @param userCost query cost per signed-in user
 * @param partnerCost query cost per partner (unless the partner's record says otherwise)
 * @param signInPerAccount sign-in attempts per account (a successful attempt is given back)
 * @param signInPerAddress sign-in attempts per client address
 * @param signUpPerAddress sign-ups per client address
 * @param partnerKeysPerAddress lookups of partner keys per client address (a key found is given
 *     back): each new key is a database statement before any other budget applies
 * @param resetMailsPerRecipient password reset requests per email address, known or not (one client
 *     could otherwise send a mailbox a reset mail every two seconds)
 * @param messages chat messages per user
 * @param posts posts per user
 * @param products products listed per user (each is shown in its category's public feed, newest
 *     first: without a limit one account could fill every feed)
 * @param comments comments per user
 * @param reviews reviews per user
 * @param profileLikes profile likes per user (a like's answer tells whether the other liked back)
 * @param priceQuotes locked price quotes per user
 */
@ConfigurationProperties("dedw3n.budgets")
public record BudgetSettings(
    boolean enabled,
    String redisKeyPrefix,
    Duration redisTimeout,
    Duration redisRetry,
    Rate anonymousCost,
    Rate userCost,
    Rate partnerCost,
    Rate signInPerAccount,
    Rate signInPerAddress,
    Rate signUpPerAddress,
    Rate partnerKeysPerAddress,
    Rate resetMailsPerRecipient,
    Rate messages,
    Rate posts,
    Rate products,
    Rate comments,
    Rate reviews,
    Rate profileLikes,
    Rate priceQuotes) {

  /**
   * A leaky bucket: it holds at most {@code capacity} tokens and regains {@code refill} tokens
   * every {@code per}, continuously.
   */
  public record Rate(long capacity, long refill, Duration per) {

    /** Tokens regained per second, as {@code extensions.cost.throttleStatus.restoreRate}. */
    public double perSecond() {
      return refill * 1_000_000_000.0 / per.toNanos();
    }
  }
}
