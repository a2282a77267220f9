package com.dedw3n.platform.session;

import com.dedw3n.platform.graphql.WebSocketShutdown;
import java.util.Optional;
import org.springframework.beans.factory.DisposableBean;
import org.springframework.stereotype.Component;
import org.springframework.web.reactive.socket.CloseStatus;
import reactor.core.Disposable;

/**
 * Closes the WebSockets of every session that ends (signed out, everywhere, password changed,
 * limit, lifetime), whichever instance ended it, with graphql-transport-ws's 4403 Forbidden: a
 * socket's subscriptions were authorised when it opened, so only closing it takes them away. The
 * sessions of the open sockets are rechecked every sweep, in case the end's announcement was missed
 * ({@link SessionStore#recheckHeld}).
 */
@Component
class EndedSessionSockets implements DisposableBean {

  static final CloseStatus SESSION_ENDED = new CloseStatus(4403, "Forbidden: the session ended");

  private final Disposable closing;

  EndedSessionSockets(SessionStore store, WebSocketShutdown sockets) {
    // and if the announcement of an end was missed, the sweep finds the session gone
    store.recheckEverySweep(
        () ->
            sockets.openAttributes().stream()
                .map(SessionTokenAuthentication::sessionOf)
                .flatMap(Optional::stream)
                .toList());
    // buffered: the sink drops for a subscriber without demand, and no ended session may be
    // missed; each one is looked for among the open sockets (sign-outs are rare, sockets few)
    this.closing =
        store
            .ended()
            .onBackpressureBuffer()
            .subscribe(
                ended ->
                    sockets.closeWhere(
                        attributes ->
                            SessionTokenAuthentication.sessionOf(attributes)
                                .map(ended::equals)
                                .orElse(false),
                        SESSION_ENDED));
  }

  @Override
  public void destroy() {
    closing.dispose();
  }
}
