package com.dedw3n.platform.session;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.Optional;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * A session token is the session id and an HMAC-SHA256 of it under {@code SESSION_SECRET}: {@code
 * <id>.<mac>}. The store is only asked about ids this deployment issued, so a guessed, forged or
 * truncated token costs one HMAC and no Redis command, and a copy of the store's keys (a backup, a
 * replica) does not yield usable cookies.
 */
final class SessionTokens {

  private static final Base64.Encoder BASE64 = Base64.getUrlEncoder().withoutPadding();
  private static final int MAX_LENGTH = 256;

  // every signed-in request checks a token: one initialised Mac per thread, not a provider
  // lookup and key setup per check
  private final ThreadLocal<Mac> macs;

  SessionTokens(byte[] secret) {
    if (secret.length < 32) {
      throw new IllegalArgumentException("SESSION_SECRET must be at least 32 bytes long");
    }
    SecretKeySpec key = new SecretKeySpec(secret, "HmacSHA256");
    this.macs =
        ThreadLocal.withInitial(
            () -> {
              try {
                Mac mac = Mac.getInstance("HmacSHA256");
                mac.init(key);
                return mac;
              } catch (GeneralSecurityException e) {
                throw new IllegalStateException("HmacSHA256 is part of every JDK", e);
              }
            });
  }

  static SessionTokens withRandomSecret() {
    byte[] secret = new byte[32];
    new SecureRandom().nextBytes(secret);
    return new SessionTokens(secret);
  }

  String sign(String sessionId) {
    return sessionId + "." + mac(sessionId);
  }

  /** The session id of a token this deployment signed, or empty. */
  Optional<String> verify(String token) {
    if (token == null || token.length() > MAX_LENGTH) {
      return Optional.empty();
    }
    int dot = token.lastIndexOf('.');
    if (dot <= 0) {
      return Optional.empty();
    }
    String id = token.substring(0, dot);
    byte[] expected = mac(id).getBytes(StandardCharsets.US_ASCII);
    byte[] given = token.substring(dot + 1).getBytes(StandardCharsets.US_ASCII);
    return MessageDigest.isEqual(expected, given) ? Optional.of(id) : Optional.empty();
  }

  private String mac(String id) {
    // doFinal resets the Mac for the next use
    return BASE64.encodeToString(macs.get().doFinal(id.getBytes(StandardCharsets.UTF_8)));
  }
}
