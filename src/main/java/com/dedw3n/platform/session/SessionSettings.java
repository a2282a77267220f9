package com.dedw3n.platform.session;

import java.time.Duration;
import java.time.temporal.ChronoUnit;
import org.jspecify.annotations.Nullable;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;
import org.springframework.boot.convert.DurationUnit;

/**
 * Sessions: how long they live, how often they are written, what the cookie looks like.
 *
 * @param touchAfter a session's expiry is pushed back at most this often ({@code
 *     SESSION_TOUCH_AFTER}); every other request only reads it. This and the two timeouts take a
 *     bare number as seconds
 * @param idleTimeout a session not used for this long ends (the apps' "stay signed in")
 * @param absoluteTimeout a session ends this long after sign-in, used or not
 * @param maxPerUser sessions one user may hold at once; signing in beyond ends the oldest
 * @param secret {@code SESSION_SECRET}: the key of the HMAC that signs every session token, so that
 *     a token not issued by this deployment never reaches the store; required with Redis (instances
 *     must share it), random per process without
 * @param cookieName the session cookie's name ({@code __Host-} prefix allowed: then Secure, Path=/
 *     and no Domain, which this cookie always has)
 * @param cookieSecure the Secure flag; the development profile turns it off for plain HTTP, and a
 *     request that came over HTTPS through a trusted proxy gets it regardless
 * @param redisPrefix prefix of every session key in Redis
 * @param sweepInterval how often expired sessions are counted and their index entries removed
 */
@ConfigurationProperties("dedw3n.session")
public record SessionSettings(
    // a bare number is seconds, as in the contract's CACHE_TTL_* (Boot would read milliseconds:
    // SESSION_TOUCH_AFTER=7200 a write every 7.2 s, SESSION_ABSOLUTE_TIMEOUT=7776000 sign-outs
    // after two hours)
    @DefaultValue("2h") @DurationUnit(ChronoUnit.SECONDS) Duration touchAfter,
    @DefaultValue("30d") @DurationUnit(ChronoUnit.SECONDS) Duration idleTimeout,
    @DefaultValue("90d") @DurationUnit(ChronoUnit.SECONDS) Duration absoluteTimeout,
    @DefaultValue("10") int maxPerUser,
    @Nullable String secret,
    @DefaultValue("SESSION") String cookieName,
    @DefaultValue("true") boolean cookieSecure,
    @DefaultValue("dedw3n:session:") String redisPrefix,
    @DefaultValue("1m") Duration sweepInterval) {

  public SessionSettings {
    if (touchAfter.compareTo(idleTimeout) >= 0) {
      throw new IllegalArgumentException(
          "dedw3n.session.touch-after (" + touchAfter + ") must be shorter than idle-timeout");
    }
    if (maxPerUser < 1) {
      throw new IllegalArgumentException("dedw3n.session.max-per-user must be at least 1");
    }
    if (cookieName.startsWith("__Host-") && !cookieSecure) {
      throw new IllegalArgumentException("a __Host- cookie must be Secure");
    }
  }
}
