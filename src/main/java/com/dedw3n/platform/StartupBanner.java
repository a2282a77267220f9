package com.dedw3n.platform;

import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import org.springframework.boot.graphql.autoconfigure.GraphQlProperties;
import org.springframework.boot.web.server.context.WebServerInitializedEvent;
import org.springframework.context.ApplicationListener;
import org.springframework.stereotype.Component;

/** Tells whoever started the server where to point a client or a browser. */
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
            + (graphiql ? " (GraphiQL: " + base + graphiqlPath + ")" : ""));
  }
}
