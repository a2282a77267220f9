package com.dedw3n.platform.web;

import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import org.springframework.stereotype.Component;
import org.springframework.web.util.DisconnectedClientHelper;
import reactor.core.publisher.Hooks;

/**
 * What becomes of an error that a Reactor operator signals after its subscriber has gone (Reactor's
 * "dropped" errors, which it logs at ERROR with their stack by default).
 *
 * <p>Why: a client that hangs up while its response is being written (a load driver stopping, a
 * phone losing its network) cancels the response first, and the write then fails with Reactor
 * Netty's {@code AbortedException} ("Connection has been closed BEFORE send operation"), which
 * nobody is left to receive. That is the client's doing and nothing of ours failed: it is logged at
 * DEBUG, as Spring's own handling of a disconnected client does. Any other dropped error still is
 * an ERROR: it is an error that a request never reported.
 */
@Component
class DroppedErrors {

  private static final Log log = LogFactory.getLog(DroppedErrors.class);

  static {
    // a global hook, once per JVM however many application contexts it starts (tests start many)
    Hooks.onErrorDropped(DroppedErrors::dropped);
  }

  static void dropped(Throwable error) {
    if (DisconnectedClientHelper.isClientDisconnectedException(error)
        // a body that stopped arriving (RequestReadTimeout): the client's doing too
        || StalledRequests.isReadTimeout(error)) {
      if (log.isDebugEnabled()) {
        log.debug("The client went away before its response was written: " + error);
      }
    } else {
      log.error("An error came after its subscriber had gone, so no request reported it", error);
    }
  }
}
