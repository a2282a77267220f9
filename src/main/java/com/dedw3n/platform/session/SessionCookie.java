package com.dedw3n.platform.session;

import com.dedw3n.platform.web.ClientAddress;
import org.springframework.http.ResponseCookie;
import org.springframework.stereotype.Component;
import org.springframework.web.server.ServerWebExchange;

/**
 * The session cookie: {@code HttpOnly} (scripts never see it), {@code SameSite=Lax} (no cross-site
 * POST carries it), {@code Path=/}, {@code Secure} unless the development profile turned it off,
 * and always on a request that came over HTTPS. It lives as long as the session's idle expiry and
 * is renewed with it.
 */
@Component
class SessionCookie {

  private final SessionSettings settings;
  private final ClientAddress clients;

  SessionCookie(SessionSettings settings, ClientAddress clients) {
    this.settings = settings;
    this.clients = clients;
  }

  String name() {
    return settings.cookieName();
  }

  void issue(ServerWebExchange exchange, String token) {
    exchange
        .getResponse()
        .getCookies()
        .set(settings.cookieName(), cookie(exchange, token).maxAge(settings.idleTimeout()).build());
  }

  /**
   * Tells the browser to forget its cookie: only ever after a sign-out, never for an unknown one.
   */
  void clear(ServerWebExchange exchange) {
    exchange
        .getResponse()
        .getCookies()
        .set(settings.cookieName(), cookie(exchange, "").maxAge(0).build());
  }

  private ResponseCookie.ResponseCookieBuilder cookie(ServerWebExchange exchange, String value) {
    return ResponseCookie.from(settings.cookieName(), value)
        .httpOnly(true)
        .sameSite("Lax")
        .path("/")
        .secure(settings.cookieSecure() || clients.overHttps(exchange.getRequest()));
  }
}
