package com.dedw3n.platform.security;

import com.dedw3n.platform.graphql.ApiException;
import java.io.Serializable;
import org.springframework.security.core.Authentication;
import org.springframework.security.core.context.ReactiveSecurityContextHolder;
import org.springframework.security.core.context.SecurityContext;
import reactor.core.publisher.Mono;

/**
 * The signed-in user behind a request: the principal of the session's security context. It holds
 * only the user id, so it survives serialisation into any session store unchanged.
 */
public record Viewer(long userId) implements Serializable {

  /** The caller, or empty when nobody is signed in. */
  public static Mono<Viewer> current() {
    return ReactiveSecurityContextHolder.getContext()
        .map(SecurityContext::getAuthentication)
        .filter(Authentication::isAuthenticated)
        .map(Authentication::getPrincipal)
        .ofType(Viewer.class);
  }

  /** The caller's user id, or an UNAUTHORIZED error when nobody is signed in. */
  public static Mono<Long> requireId() {
    return current().map(Viewer::userId).switchIfEmpty(Mono.error(ApiException::unauthorized));
  }
}
