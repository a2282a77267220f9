package com.dedw3n.platform.session;

import com.dedw3n.platform.graphql.WebSocketShutdown;
import java.util.Map;
import java.util.Optional;
import org.springframework.graphql.server.WebGraphQlRequest;
import org.springframework.graphql.server.WebGraphQlResponse;
import org.springframework.graphql.server.WebSocketGraphQlInterceptor;
import org.springframework.graphql.server.WebSocketGraphQlRequest;
import org.springframework.graphql.server.WebSocketSessionInfo;
import org.springframework.http.HttpHeaders;
import org.springframework.security.authentication.BadCredentialsException;
import org.springframework.security.core.context.ReactiveSecurityContextHolder;
import org.springframework.security.core.context.SecurityContext;
import org.springframework.web.reactive.socket.CloseStatus;
import reactor.core.publisher.Mono;

/**
 * Who is behind a WebSocket. A browser is known by the session cookie of its upgrade request
 * (restored like any HTTP request's); a mobile client sends its token in the {@code
 * connection_init} payload ({@code {"sessionToken": "<token>"}}). A token that names no live
 * session fails the connection (4401, which graphql-ws takes as final: the app signs in again). A
 * store that cannot answer closes it with 1013 Try Again Later, which graphql-ws retries: nothing
 * is wrong with the token. Either way the socket remembers its session's id, so that when the
 * session ends, on any instance, the socket is closed ({@link #sessionOf}).
 */
final class SessionTokenAuthentication implements WebSocketGraphQlInterceptor {

  static final String PAYLOAD_KEY = "sessionToken";
  private static final String CONTEXT = SessionTokenAuthentication.class.getName() + ".context";
  private static final String SESSION = SessionTokenAuthentication.class.getName() + ".session";

  static final CloseStatus TRY_AGAIN_LATER =
      new CloseStatus(1013, "Try again later: sessions cannot be checked right now");

  private final SessionStore store;
  private final SessionCookie cookie;
  private final WebSocketShutdown sockets;

  SessionTokenAuthentication(SessionStore store, SessionCookie cookie, WebSocketShutdown sockets) {
    this.store = store;
    this.cookie = cookie;
    this.sockets = sockets;
  }

  /** The id of the session a socket runs under, if any. */
  static Optional<String> sessionOf(Map<String, Object> socketAttributes) {
    return Optional.ofNullable((String) socketAttributes.get(SESSION));
  }

  @Override
  public Mono<Object> handleConnectionInitialization(
      WebSocketSessionInfo info, Map<String, Object> payload) {
    Object token = payload == null ? null : payload.get(PAYLOAD_KEY);
    if (!(token instanceof String value) || value.isBlank()) {
      // the socket's session only when it is live: a browser keeps the cookie of a session that
      // ended elsewhere and is served as anonymous, and the sweep would close its socket as that
      // session's every minute. A store that cannot answer now leaves the sweep to tell.
      return Mono.justOrEmpty(fromUpgrade(info.getHeaders()))
          .filterWhen(id -> store.live(id).onErrorReturn(true))
          .doOnNext(id -> info.getAttributes().put(SESSION, id))
          .then(Mono.empty());
    }
    return store
        .find(value)
        .onErrorResume(
            SessionContextRepository::storeFailure,
            // closed first with a code to retry: the failure then makes spring-graphql close it
            // with 4401, a frame that is no longer sent
            e ->
                sockets
                    .close(info.getAttributes(), TRY_AGAIN_LATER)
                    .then(Mono.error(SessionContextRepository.unavailable(e))))
        // after the store's failures, not before: this refusal is no failure of the store, and
        // taken for one it was closed with 1013, which graphql-ws retries, where 4401 is final
        .switchIfEmpty(Mono.error(() -> new BadCredentialsException("No signed-in session")))
        .doOnNext(
            session -> {
              info.getAttributes()
                  .put(CONTEXT, SessionContextRepository.contextOf(session.userId()));
              info.getAttributes().put(SESSION, session.id());
            })
        .then(Mono.empty());
  }

  @Override
  public Mono<WebGraphQlResponse> intercept(WebGraphQlRequest request, Chain chain) {
    if (!(request instanceof WebSocketGraphQlRequest socket)) {
      return chain.next(request);
    }
    Map<String, Object> attributes = socket.getSessionInfo().getAttributes();
    Mono<WebGraphQlResponse> response = chain.next(request);
    if (attributes.get(CONTEXT) instanceof SecurityContext context) {
      response =
          response.contextWrite(
              ReactiveSecurityContextHolder.withSecurityContext(Mono.just(context)));
    }
    // the socket's session, not the upgrade request's cookie, for Sessions
    return response.contextWrite(Sessions.overSocket(sessionOf(attributes).orElse("")));
  }

  /** The session id in the upgrade request's cookie or bearer token (signature checked only). */
  private Optional<String> fromUpgrade(HttpHeaders headers) {
    String bearer = SessionContextRepository.bearerToken(headers);
    if (bearer != null) {
      return store.idOf(bearer);
    }
    // the handshake's headers only: no parsed cookies here, unlike SessionContextRepository's
    for (String header : headers.getValuesAsList(HttpHeaders.COOKIE)) {
      for (String pair : header.split(";")) {
        String trimmed = pair.strip();
        if (trimmed.startsWith(cookie.name() + "=")) {
          return store.idOf(trimmed.substring(cookie.name().length() + 1));
        }
      }
    }
    return Optional.empty();
  }
}
