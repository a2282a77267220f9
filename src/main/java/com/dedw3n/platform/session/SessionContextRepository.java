package com.dedw3n.platform.session;

import com.dedw3n.platform.ThrottledLog;
import com.dedw3n.platform.graphql.ApiException;
import com.dedw3n.platform.partner.Partners;
import com.dedw3n.platform.security.Viewer;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.jspecify.annotations.Nullable;
import org.springframework.http.HttpCookie;
import org.springframework.http.HttpHeaders;
import org.springframework.http.server.reactive.ServerHttpRequest;
import org.springframework.security.authentication.UsernamePasswordAuthenticationToken;
import org.springframework.security.core.authority.SimpleGrantedAuthority;
import org.springframework.security.core.context.SecurityContext;
import org.springframework.security.core.context.SecurityContextImpl;
import org.springframework.security.web.server.context.ServerSecurityContextRepository;
import org.springframework.stereotype.Component;
import org.springframework.web.server.ServerWebExchange;
import reactor.core.publisher.Mono;

/**
 * Restores the signed-in user of a request from its session token: {@code Authorization: Bearer
 * <token>} (mobile apps, scripts) or the session cookie (browsers). At most one store lookup per
 * request, however many fields ask who the viewer is. An unknown or ended session is simply
 * anonymous: no cookie is ever deleted for it. A store that cannot answer fails the request with
 * UNAVAILABLE, never serving it as anonymous.
 */
@Component
public class SessionContextRepository implements ServerSecurityContextRepository {

  private static final ThrottledLog log = new ThrottledLog(SessionContextRepository.class);

  private static final String LOADED = SessionContextRepository.class.getName() + ".loaded";
  private static final String CURRENT = SessionContextRepository.class.getName() + ".current";
  private static final Duration FOREVER = Duration.ofMillis(Long.MAX_VALUE);

  /** Where a request's session token came from. */
  public enum Carrier {
    COOKIE,
    BEARER
  }

  /** A request's session token and its carrier. */
  public record Credential(String token, Carrier carrier) {}

  private final SessionStore store;
  private final SessionCookie cookie;

  SessionContextRepository(SessionStore store, SessionCookie cookie) {
    this.store = store;
    this.cookie = cookie;
  }

  /** The request's session token, if it carries one. */
  public Optional<Credential> credential(ServerHttpRequest request) {
    String bearer = bearerToken(request.getHeaders());
    if (bearer != null) {
      return Optional.of(new Credential(bearer, Carrier.BEARER));
    }
    List<HttpCookie> cookies = request.getCookies().get(cookie.name());
    if (cookies != null && !cookies.isEmpty()) {
      return Optional.of(new Credential(cookies.get(0).getValue(), Carrier.COOKIE));
    }
    return Optional.empty();
  }

  /**
   * The session token of an {@code Authorization: Bearer <token>} header, or null (none, or a
   * partner's API key, which the same header carries and which is no session).
   */
  static @Nullable String bearerToken(HttpHeaders headers) {
    String token = bearer(headers);
    return token == null || Partners.isKey(token) ? null : token;
  }

  /** The credential of an {@code Authorization: Bearer ...} header, whatever it is, or null. */
  public static @Nullable String bearer(HttpHeaders headers) {
    String authorization = headers.getFirst(HttpHeaders.AUTHORIZATION);
    return authorization != null && authorization.regionMatches(true, 0, "Bearer ", 0, 7)
        ? authorization.substring(7).strip()
        : null;
  }

  @Override
  @SuppressWarnings("unchecked")
  public Mono<SecurityContext> load(ServerWebExchange exchange) {
    return (Mono<SecurityContext>)
        exchange.getAttributes().computeIfAbsent(LOADED, key -> loadOnce(exchange));
  }

  /** The session of this request, if it carries a live one. */
  public Mono<SessionStore.SignedIn> current(ServerWebExchange exchange) {
    return load(exchange).then(Mono.fromSupplier(() -> exchange.getAttribute(CURRENT)));
  }

  /**
   * Completes when the session this request came with ends (signed out, everywhere, password
   * changed, limit, lifetime), whichever instance ended it; never for a request without one. A
   * request that lasts, a subscription over Server-Sent Events, ends with it, as a WebSocket is
   * closed ({@code EndedSessionSockets}): it was authorised once, when it started. A session ended
   * between its lookup and this, or whose end's announcement was missed, is found by the next sweep
   * ({@link SessionStore#endOf}).
   */
  public Mono<Void> sessionEnd(ServerWebExchange exchange) {
    if (credential(exchange.getRequest()).isEmpty()) {
      return Mono.never();
    }
    // a failed lookup (the request is refused with it, unless a later one answers): the session
    // the token names is watched, so that a stream served after all still ends with it
    return current(exchange)
        .map(SessionStore.SignedIn::id)
        .onErrorResume(
            e ->
                Mono.justOrEmpty(
                    credential(exchange.getRequest()).flatMap(c -> store.idOf(c.token()))))
        .defaultIfEmpty("")
        .flatMap(id -> id.isEmpty() ? Mono.never() : store.endOf(id));
  }

  /** Sessions are made by {@code Sessions}, never by Spring Security. */
  @Override
  public Mono<Void> save(ServerWebExchange exchange, SecurityContext context) {
    return Mono.empty();
  }

  /** The security context of a signed-in user. */
  public static SecurityContext contextOf(long userId) {
    return new SecurityContextImpl(
        UsernamePasswordAuthenticationToken.authenticated(
            new Viewer(userId), null, List.of(new SimpleGrantedAuthority("ROLE_USER"))));
  }

  /**
   * A failure of the session store (Spring's translated exceptions, or Lettuce's own, such as
   * "Currently not connected"), as opposed to a refusal the API made itself.
   */
  static boolean storeFailure(Throwable e) {
    return !(e instanceof ApiException);
  }

  /** The store cannot answer: the request fails closed (logged, at most every few seconds). */
  public static ApiException unavailable(Throwable cause) {
    log.warn("The session store failed; requests with a session are refused meanwhile", cause);
    return ApiException.unavailable(
        "SESSIONS_UNAVAILABLE", "Sessions cannot be checked right now; retry shortly.", 1);
  }

  private Mono<SecurityContext> loadOnce(ServerWebExchange exchange) {
    var credential = credential(exchange.getRequest());
    if (credential.isEmpty()) {
      return Mono.empty();
    }
    return store
        .find(credential.get().token())
        .doOnNext(
            session -> {
              exchange.getAttributes().put(CURRENT, session);
              // its Max-Age follows the new expiry; a browser's WebSocket reads its session at its
              // first operation, after the upgrade's answer has gone (its headers are read-only
              // then): the session is touched all the same, and the next HTTP answer that touches
              // it renews the cookie
              if (session.touched()
                  && credential.get().carrier() == Carrier.COOKIE
                  && !exchange.getResponse().isCommitted()) {
                cookie.issue(exchange, session.token());
              }
            })
        .map(session -> contextOf(session.userId()))
        .onErrorMap(SessionContextRepository::storeFailure, SessionContextRepository::unavailable)
        // a failure is kept for a second, as long as its Retry-After: a request's fields do not
        // each ask a store that is failing, and a WebSocket's exchange, which lasts as long as
        // the socket, asks again at an operation after that
        .cache(context -> FOREVER, failure -> Duration.ofSeconds(1), () -> FOREVER);
  }
}
