package com.dedw3n.platform.session;

import com.dedw3n.platform.graphql.ApiException;
import com.dedw3n.platform.security.Viewer;
import com.dedw3n.platform.session.SessionContextRepository.Carrier;
import com.dedw3n.platform.session.SessionStore.Issued;
import com.dedw3n.platform.session.SessionStore.Reason;
import java.util.List;
import java.util.function.Function;
import org.springframework.stereotype.Component;
import org.springframework.web.server.ServerWebExchange;
import reactor.core.publisher.Mono;
import reactor.util.context.Context;

/**
 * Signing in and out, from inside a GraphQL mutation (which sees the HTTP exchange through the
 * Reactor context). Signing in always makes a new session and ends the one the request came with,
 * so a planted session id is worth nothing (fixation). Ended sessions end on every instance, and
 * their WebSockets close.
 *
 * <p>An operation sent over a WebSocket has no HTTP exchange of its own: the Reactor context still
 * holds the upgrade request's, whose cookie is not the socket's session when the socket runs under
 * a connection_init token. So such operations are marked ({@link #overSocket}) and their session is
 * the socket's: signing in and out there is BAD_REQUEST before anything changes (no cookie can be
 * set on an upgrade that was answered long ago), and a password changed there keeps the socket's
 * session.
 */
@Component
public class Sessions {

  /** Marks an operation that came over a WebSocket; holds the socket's session id, or "". */
  private static final String SOCKET_SESSION = Sessions.class.getName() + ".socketSession";

  private final SessionStore store;
  private final SessionContextRepository contexts;
  private final SessionCookie cookie;

  Sessions(SessionStore store, SessionContextRepository contexts, SessionCookie cookie) {
    this.store = store;
    this.contexts = contexts;
    this.cookie = cookie;
  }

  /**
   * Signs the user in. With {@code asToken} the token is only returned, for the client to keep;
   * otherwise it is also set as the cookie, whatever the request carried (a bearer token along with
   * {@code signIn} left the client with neither: the new session's token went nowhere).
   */
  public Mono<Issued> signIn(long userId, boolean asToken) {
    return signIn(userId, asToken, Mono.just(true));
  }

  /**
   * Signs the user in if {@code stillValid}, asked once the session is indexed, answers true; else
   * ends the new session and answers nothing. A sign-in checks a password against the hash it read;
   * a reset or change that stores another hash meanwhile ends every session it finds, and the one
   * this sign-in makes may be indexed only after it looked. Asked after the index has it, either
   * the check sees the new hash, or the change's look comes after and ends it.
   */
  public Mono<Issued> signIn(long userId, boolean asToken, Mono<Boolean> stillValid) {
    return exchange()
        .flatMap(
            exchange ->
                contexts
                    .current(exchange)
                    .flatMap(
                        previous ->
                            store.end(previous.userId(), List.of(previous.id()), Reason.REPLACED))
                    .then(store.create(userId))
                    .flatMap(
                        issued ->
                            stillValid
                                .defaultIfEmpty(false)
                                .flatMap(
                                    valid ->
                                        valid
                                            ? Mono.just(issued)
                                            : store
                                                .end(
                                                    userId,
                                                    List.of(issued.id()),
                                                    Reason.PASSWORD_CHANGED)
                                                .then(Mono.empty())))
                    .doOnNext(
                        issued -> {
                          if (!asToken) {
                            cookie.issue(exchange, issued.token());
                          }
                        }))
        .onErrorMap(SessionContextRepository::storeFailure, SessionContextRepository::unavailable);
  }

  /** Ends the request's session. */
  public Mono<Void> signOut() {
    return exchange()
        .flatMap(
            exchange ->
                contexts
                    .current(exchange)
                    .flatMap(
                        session ->
                            store.end(session.userId(), List.of(session.id()), Reason.SIGN_OUT))
                    .then(Mono.<Void>fromRunnable(() -> forget(exchange))))
        .onErrorMap(SessionContextRepository::storeFailure, SessionContextRepository::unavailable);
  }

  /** Ends every session of the signed-in user, this one included. */
  public Mono<Void> signOutEverywhere() {
    return Viewer.requireId()
        .flatMap(userId -> store.endAll(userId, null, Reason.SIGN_OUT_EVERYWHERE))
        // a socket has no cookie to clear: it closes with its session
        .then(Mono.deferContextual(c -> c.hasKey(SOCKET_SESSION) ? Mono.empty() : exchange()))
        .doOnNext(this::forget)
        .then()
        .onErrorMap(SessionContextRepository::storeFailure, SessionContextRepository::unavailable);
  }

  /**
   * After a password reset: every session of the user ends, the one the request came with too (the
   * reset proves the mailbox, not any session).
   */
  public Mono<Void> endAll(long userId) {
    return store
        .endAll(userId, null, Reason.PASSWORD_CHANGED)
        .onErrorMap(SessionContextRepository::storeFailure, SessionContextRepository::unavailable);
  }

  /** After a password change: every other session of the user ends; this one stays. */
  public Mono<Void> endOthers(long userId) {
    return Mono.deferContextual(
            context ->
                context.hasKey(SOCKET_SESSION)
                    ? Mono.just(context.<String>get(SOCKET_SESSION))
                    : exchange()
                        .flatMap(
                            exchange ->
                                contexts
                                    .current(exchange)
                                    .map(SessionStore.SignedIn::id)
                                    .defaultIfEmpty("")))
        .flatMap(keep -> store.endAll(userId, keep, Reason.PASSWORD_CHANGED))
        .onErrorMap(SessionContextRepository::storeFailure, SessionContextRepository::unavailable);
  }

  /**
   * BAD_REQUEST over a WebSocket, where no session can be issued: for the mutations that sign in,
   * to check before they do anything else (create an account, hash a password, spend a budget).
   */
  public Mono<Void> requireHttp() {
    return Mono.deferContextual(
        context ->
            context.hasKey(SOCKET_SESSION) ? Mono.error(Sessions::notOverASocket) : Mono.empty());
  }

  /** What marks an operation's Reactor context as sent over a socket of this session ("": none). */
  static Function<Context, Context> overSocket(String socketSession) {
    return context -> context.put(SOCKET_SESSION, socketSession);
  }

  private void forget(ServerWebExchange exchange) {
    if (contexts
        .credential(exchange.getRequest())
        .map(c -> c.carrier() == Carrier.COOKIE)
        .orElse(false)) {
      cookie.clear(exchange);
    }
  }

  private static Mono<ServerWebExchange> exchange() {
    return Mono.deferContextual(
        context ->
            context.hasKey(SOCKET_SESSION)
                ? Mono.error(Sessions::notOverASocket)
                : Mono.justOrEmpty(context.<ServerWebExchange>getOrEmpty(ServerWebExchange.class))
                    .switchIfEmpty(Mono.error(Sessions::notOverASocket)));
  }

  private static ApiException notOverASocket() {
    return ApiException.badRequest("Signing in and out takes an HTTP request, not a WebSocket.");
  }
}
