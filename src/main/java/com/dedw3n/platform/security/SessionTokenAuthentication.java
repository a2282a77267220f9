package com.dedw3n.platform.security;

import java.util.Map;
import org.springframework.graphql.server.WebSocketGraphQlInterceptor;
import org.springframework.graphql.server.webflux.AuthenticationWebSocketInterceptor;
import org.springframework.security.authentication.BadCredentialsException;
import org.springframework.security.authentication.ReactiveAuthenticationManager;
import org.springframework.security.authentication.UsernamePasswordAuthenticationToken;
import org.springframework.security.core.Authentication;
import org.springframework.security.core.context.SecurityContext;
import org.springframework.security.web.server.context.WebSessionServerSecurityContextRepository;
import org.springframework.web.server.session.DefaultWebSessionManager;
import org.springframework.web.server.session.WebSessionManager;
import reactor.core.publisher.Mono;

/**
 * Identifies a WebSocket caller from a session token in the {@code connection_init} payload ({@code
 * {"sessionToken": "<value of the SESSION cookie>"}}), for mobile clients that cannot set cookies
 * on the upgrade request. Browsers need nothing: the session cookie of the upgrade request already
 * identifies them. A token that names no signed-in session fails the connection.
 */
final class SessionTokenAuthentication {

  static final String PAYLOAD_KEY = "sessionToken";

  private SessionTokenAuthentication() {}

  static WebSocketGraphQlInterceptor interceptor(WebSessionManager sessions) {
    if (!(sessions instanceof DefaultWebSessionManager manager)) {
      throw new IllegalStateException("Expected the default WebSessionManager, not " + sessions);
    }
    ReactiveAuthenticationManager authenticator =
        token ->
            manager
                .getSessionStore()
                .retrieveSession(String.valueOf(token.getCredentials()))
                .mapNotNull(
                    session ->
                        session.<SecurityContext>getAttribute(
                            WebSessionServerSecurityContextRepository
                                .DEFAULT_SPRING_SECURITY_CONTEXT_ATTR_NAME))
                .map(SecurityContext::getAuthentication)
                .filter(Authentication::isAuthenticated)
                .switchIfEmpty(
                    Mono.error(() -> new BadCredentialsException("No signed-in session")));
    return new AuthenticationWebSocketInterceptor(
        SessionTokenAuthentication::fromPayload, authenticator);
  }

  private static Mono<Authentication> fromPayload(Map<String, Object> payload) {
    Object token = payload == null ? null : payload.get(PAYLOAD_KEY);
    if (!(token instanceof String value) || value.isBlank()) {
      return Mono.empty();
    }
    return Mono.just(UsernamePasswordAuthenticationToken.unauthenticated(null, value));
  }
}
