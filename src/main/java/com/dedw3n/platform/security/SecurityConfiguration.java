package com.dedw3n.platform.security;

import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.security.config.annotation.web.reactive.EnableWebFluxSecurity;
import org.springframework.security.config.observation.SecurityObservationSettings;
import org.springframework.security.config.web.server.ServerHttpSecurity;
import org.springframework.security.crypto.factory.PasswordEncoderFactories;
import org.springframework.security.crypto.password.PasswordEncoder;
import org.springframework.security.web.server.SecurityWebFilterChain;
import org.springframework.security.web.server.context.ServerSecurityContextRepository;
import org.springframework.security.web.server.savedrequest.NoOpServerRequestCache;

/**
 * HTTP-level security. Every GraphQL field decides for itself who may read or write it (see {@link
 * Viewer}); at this level the API only restores the signed-in user from the request's session token
 * (the session feature's {@link ServerSecurityContextRepository}), and keeps Spring Security's
 * web-session machinery (request cache, session-stored contexts) out of the way.
 *
 * <p>CSRF tokens are off: the API accepts only {@code application/json} POSTs, which a foreign site
 * cannot send with the user's cookies without a CORS preflight that only listed origins pass, and
 * the session cookie is {@code SameSite=Lax}; see GraphQlHttpGuard for the origin policy.
 */
@Configuration(proxyBeanMethods = false)
@EnableWebFluxSecurity
class SecurityConfiguration {

  @Bean
  SecurityWebFilterChain securityWebFilterChain(
      ServerHttpSecurity http, ServerSecurityContextRepository contexts) {
    return http.csrf(ServerHttpSecurity.CsrfSpec::disable)
        .httpBasic(ServerHttpSecurity.HttpBasicSpec::disable)
        .formLogin(ServerHttpSecurity.FormLoginSpec::disable)
        .logout(ServerHttpSecurity.LogoutSpec::disable)
        .requestCache(cache -> cache.requestCache(NoOpServerRequestCache.getInstance()))
        .securityContextRepository(contexts)
        .authorizeExchange(exchanges -> exchanges.anyExchange().permitAll())
        .build();
  }

  /**
   * No Spring Security observations, and no wrappers for them around the filter chain and the
   * authentication and authorization managers. With an observation registry present it makes a span
   * per security filter for every request (measured 5 % of W1's CPU, for traces nobody reads; HTTP
   * request metrics stay). Switching them off by name ({@code
   * management.observations.enable.spring.security}) only made them no-ops: the wrappers still ran
   * for every request, 1.4 % of W2's CPU and 2.7 % of a trivial query's in a profile. Static: read
   * while the security configuration's post-processors are made.
   */
  @Bean
  static SecurityObservationSettings securityObservationSettings() {
    return SecurityObservationSettings.noObservations();
  }

  /** Delegating encoder: BCrypt today, and hashes stay readable if the default ever changes. */
  @Bean
  PasswordEncoder passwordEncoder() {
    return PasswordEncoderFactories.createDelegatingPasswordEncoder();
  }
}
