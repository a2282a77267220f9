package com.dedw3n.platform.security;

import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.Ordered;
import org.springframework.core.annotation.Order;
import org.springframework.graphql.server.WebSocketGraphQlInterceptor;
import org.springframework.security.config.annotation.web.reactive.EnableWebFluxSecurity;
import org.springframework.security.config.web.server.ServerHttpSecurity;
import org.springframework.security.crypto.factory.PasswordEncoderFactories;
import org.springframework.security.crypto.password.PasswordEncoder;
import org.springframework.security.web.server.SecurityWebFilterChain;
import org.springframework.security.web.server.context.ServerSecurityContextRepository;
import org.springframework.security.web.server.context.WebSessionServerSecurityContextRepository;
import org.springframework.web.server.session.WebSessionManager;

/**
 * HTTP-level security. Every GraphQL field decides for itself who may read or write it (see {@link
 * Viewer}); at this level the API only restores the signed-in user from the session.
 *
 * <p>CSRF tokens are off: the API accepts only {@code application/json} POSTs, which a foreign site
 * cannot send with the user's cookies without a CORS preflight that we do not allow, and the
 * session cookie is {@code SameSite=Lax}.
 */
@Configuration(proxyBeanMethods = false)
@EnableWebFluxSecurity
class SecurityConfiguration {

  @Bean
  ServerSecurityContextRepository securityContextRepository() {
    return new WebSessionServerSecurityContextRepository();
  }

  @Bean
  SecurityWebFilterChain securityWebFilterChain(
      ServerHttpSecurity http, ServerSecurityContextRepository contexts) {
    return http.csrf(ServerHttpSecurity.CsrfSpec::disable)
        .httpBasic(ServerHttpSecurity.HttpBasicSpec::disable)
        .formLogin(ServerHttpSecurity.FormLoginSpec::disable)
        .logout(ServerHttpSecurity.LogoutSpec::disable)
        .securityContextRepository(contexts)
        .authorizeExchange(exchanges -> exchanges.anyExchange().permitAll())
        .build();
  }

  /**
   * Mobile clients identify a WebSocket by the session token in connection_init. First of the
   * interceptors, so that everything after it (the budgets) knows the socket's user.
   */
  @Bean
  @Order(Ordered.HIGHEST_PRECEDENCE)
  WebSocketGraphQlInterceptor sessionTokenAuthentication(WebSessionManager sessions) {
    return SessionTokenAuthentication.interceptor(sessions);
  }

  /** Delegating encoder: BCrypt today, and hashes stay readable if the default ever changes. */
  @Bean
  PasswordEncoder passwordEncoder() {
    return PasswordEncoderFactories.createDelegatingPasswordEncoder();
  }
}
