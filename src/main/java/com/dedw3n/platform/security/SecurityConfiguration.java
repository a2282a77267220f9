package com.dedw3n.platform.security;

import java.util.List;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.context.annotation.Primary;
import org.springframework.security.config.ObjectPostProcessor;
import org.springframework.security.config.annotation.web.reactive.EnableWebFluxSecurity;
import org.springframework.security.config.observation.SecurityObservationSettings;
import org.springframework.security.config.web.server.ServerHttpSecurity;
import org.springframework.security.crypto.factory.PasswordEncoderFactories;
import org.springframework.security.crypto.password.PasswordEncoder;
import org.springframework.security.web.server.SecurityWebFilterChain;
import org.springframework.security.web.server.WebFilterChainProxy.WebFilterChainDecorator;
import org.springframework.security.web.server.context.ServerSecurityContextRepository;
import org.springframework.security.web.server.savedrequest.NoOpServerRequestCache;
import org.springframework.web.server.ServerWebExchange;
import org.springframework.web.server.WebFilter;
import org.springframework.web.server.WebFilterChain;
import reactor.core.publisher.Mono;

/**
 * HTTP-level security. Every GraphQL field decides for itself who may read or write it (see {@link
 * Viewer}); at this level the API only restores the signed-in user from the request's session token
 * (the session feature's {@link ServerSecurityContextRepository}), and keeps Spring Security's
 * web-session machinery (request cache, session-stored contexts) out of the way.
 *
 * <p>No {@code authorizeExchange}: with every exchange permitted it only put an authorization
 * filter and an exception-translation filter (a dozen Reactor operators) in front of every request
 * to decide nothing. The filters left put the exchange in the Reactor context, write the security
 * headers, restore the security context lazily, keep the request cache (a no-op one, which the DSL
 * cannot leave out) and give the exchange its principal.
 *
 * <p>No CORS filter here: the GraphQL endpoint's origin policy, for HTTP and WebSocket alike, is
 * GraphQlHttpGuard's ({@code ALLOWED_ORIGINS}), and nothing else on this port answers a foreign
 * origin. Left on, Spring Security builds its CORS filter from the application's only {@code
 * CorsConfigurationSource} bean, which is spring-graphql's WebSocket handler, whose configuration
 * (Spring Boot's {@code spring.graphql.http.cors}, unset) allows no origin: it refused the
 * WebSocket of a browser on a listed origin.
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
        .cors(ServerHttpSecurity.CorsSpec::disable)
        .httpBasic(ServerHttpSecurity.HttpBasicSpec::disable)
        .formLogin(ServerHttpSecurity.FormLoginSpec::disable)
        .logout(ServerHttpSecurity.LogoutSpec::disable)
        .requestCache(cache -> cache.requestCache(NoOpServerRequestCache.getInstance()))
        .securityContextRepository(contexts)
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

  /**
   * Spring Security's filters walked without a Reactor checkpoint each. Its default chain (Spring
   * Framework's {@code DefaultWebFilterChain}, built anew for every request) wraps every filter's
   * {@code Mono} in a checkpoint named by the filter's {@code toString}: an extra operator on each
   * subscription and signal, and a string built for every filter of every request, for an assembly
   * trace that names filters which never fail a request here. The outer chain keeps its
   * checkpoints, so an error's trace still shows that it passed the security filter chain. Primary
   * over Spring Security's own post-processor, which would only swap in a decorator for the
   * observations switched off above.
   */
  @Bean
  @Primary
  static ObjectPostProcessor<WebFilterChainDecorator> securityFiltersWithoutCheckpoints() {
    return new ObjectPostProcessor<>() {
      @Override
      @SuppressWarnings("unchecked") // O is the decorator interface itself where the proxy asks
      public <O extends WebFilterChainDecorator> O postProcess(O decorator) {
        WebFilterChainDecorator walk = (original, filters) -> new Walk(filters, 0, original);
        return (O) walk;
      }
    };
  }

  /**
   * The rest of the chain from {@code index}. Deferred like Spring's, so that a filter which calls
   * the chain while assembling its {@code Mono} starts the next filter only when subscribed.
   */
  private record Walk(List<WebFilter> filters, int index, WebFilterChain last)
      implements WebFilterChain {
    @Override
    public Mono<Void> filter(ServerWebExchange exchange) {
      return Mono.defer(
          () ->
              index < filters.size()
                  ? filters.get(index).filter(exchange, new Walk(filters, index + 1, last))
                  : last.filter(exchange));
    }
  }

  /** Delegating encoder: BCrypt today, and hashes stay readable if the default ever changes. */
  @Bean
  PasswordEncoder passwordEncoder() {
    return PasswordEncoderFactories.createDelegatingPasswordEncoder();
  }
}
