package com.dedw3n.platform.security;

import java.util.List;
import org.springframework.security.authentication.UsernamePasswordAuthenticationToken;
import org.springframework.security.core.authority.SimpleGrantedAuthority;
import org.springframework.security.core.context.SecurityContextImpl;
import org.springframework.security.web.server.context.ServerSecurityContextRepository;
import org.springframework.stereotype.Component;
import org.springframework.web.server.ServerWebExchange;
import reactor.core.publisher.Mono;

/**
 * Binds a user to the caller's web session (sign-in) and unbinds it (sign-out). Runs inside a
 * GraphQL mutation, which sees the HTTP exchange through the Reactor context that Spring Security
 * fills and spring-graphql carries into data fetchers.
 */
@Component
public class Sessions {

  private final ServerSecurityContextRepository contexts;

  Sessions(ServerSecurityContextRepository contexts) {
    this.contexts = contexts;
  }

  /** Signs the user in; the session id is re-issued so a planted id is worth nothing (fixation). */
  public Mono<Void> signIn(long userId) {
    var authentication =
        UsernamePasswordAuthenticationToken.authenticated(
            new Viewer(userId), null, List.of(new SimpleGrantedAuthority("ROLE_USER")));
    return exchange()
        .flatMap(
            exchange ->
                exchange
                    .getSession()
                    .flatMap(session -> session.changeSessionId())
                    .then(contexts.save(exchange, new SecurityContextImpl(authentication))));
  }

  /** Ends the session: its attributes are dropped and its id is dead. */
  public Mono<Void> signOut() {
    return exchange()
        .flatMap(
            exchange ->
                contexts
                    .save(exchange, null)
                    .then(exchange.getSession().flatMap(s -> s.invalidate())));
  }

  private static Mono<ServerWebExchange> exchange() {
    return Mono.deferContextual(
        context ->
            Mono.justOrEmpty(context.<ServerWebExchange>getOrEmpty(ServerWebExchange.class))
                .switchIfEmpty(
                    Mono.error(
                        new IllegalStateException("No HTTP exchange in the Reactor context"))));
  }
}
