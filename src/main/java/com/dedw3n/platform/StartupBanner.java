package com.dedw3n.platform;

import io.netty.channel.epoll.Epoll;
import io.netty.channel.uring.IoUring;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import org.springframework.boot.graphql.autoconfigure.GraphQlProperties;
import org.springframework.boot.web.server.context.WebServerInitializedEvent;
import org.springframework.context.ApplicationListener;
import org.springframework.core.NestedExceptionUtils;
import org.springframework.stereotype.Component;
import reactor.netty.resources.LoopResources;

/**
 * Tells whoever started the server where to point a client or a browser, and which of the kernel's
 * interfaces its sockets use.
 */
@Component
class StartupBanner implements ApplicationListener<WebServerInitializedEvent> {

  private static final Log log = LogFactory.getLog(StartupBanner.class);

  private final String graphqlPath;
  private final String graphiqlPath;
  private final boolean graphiql;

  StartupBanner(GraphQlProperties graphQl) {
    this.graphqlPath = graphQl.getHttp().getPath();
    this.graphiqlPath = graphQl.getGraphiql().getPath();
    this.graphiql = graphQl.getGraphiql().isEnabled();
  }

  @Override
  public void onApplicationEvent(WebServerInitializedEvent event) {
    // the management server (its own port in production) has its own event: not the API
    if ("management".equals(event.getApplicationContext().getServerNamespace())) {
      return;
    }
    String base = "http://localhost:" + event.getWebServer().getPort();
    log.info(
        "Dedw3n API at "
            + base
            + graphqlPath
            + (graphiql ? " (GraphiQL: " + base + graphiqlPath + ")" : "")
            + "; network I/O: "
            + transport());
  }

  /**
   * The transport Reactor Netty chose for the server's and the database driver's sockets, in its
   * own order of preference: io_uring, else epoll, else Java's NIO (or NIO alone when told so with
   * {@code -Dreactor.netty.native=false}). io_uring is often refused on purpose (Docker's and
   * containerd's default seccomp profiles, {@code kernel.io_uring_disabled}), so the reason is part
   * of the line.
   */
  static String transport() {
    if (!LoopResources.DEFAULT_NATIVE) {
      return "NIO (reactor.netty.native=false)";
    }
    if (IoUring.isAvailable()) {
      return "io_uring";
    }
    String refused = " (io_uring unavailable: " + reason(IoUring.unavailabilityCause()) + ")";
    if (Epoll.isAvailable()) {
      return "epoll" + refused;
    }
    return "NIO" + refused + " (epoll unavailable: " + reason(Epoll.unavailabilityCause()) + ")";
  }

  private static String reason(Throwable cause) {
    if (cause == null) {
      return "unknown";
    }
    Throwable root = NestedExceptionUtils.getMostSpecificCause(cause);
    return root.getMessage() != null ? root.getMessage() : root.getClass().getName();
  }
}
