package com.dedw3n.platform.graphql;

import org.springframework.boot.autoconfigure.condition.ConditionalOnBooleanProperty;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.Ordered;
import org.springframework.core.annotation.Order;
import org.springframework.core.io.ClassPathResource;
import org.springframework.http.MediaType;
import org.springframework.web.reactive.function.server.RouterFunction;
import org.springframework.web.reactive.function.server.RouterFunctions;
import org.springframework.web.reactive.function.server.ServerResponse;

/**
 * GraphiQL (development profile) from the jar instead of spring-graphql's page, which loads every
 * script from a public CDN and stays on "Loading..." offline or behind a strict proxy. Served ahead
 * of Boot's route at the same path, with its assets (webjars) under {@code /graphiql/assets/}.
 */
@Configuration(proxyBeanMethods = false)
@ConditionalOnBooleanProperty("spring.graphql.graphiql.enabled")
class OfflineGraphiQl {

  @Bean
  @Order(Ordered.HIGHEST_PRECEDENCE)
  RouterFunction<ServerResponse> offlineGraphiQlRoutes() {
    var page = new ClassPathResource("graphiql-offline/index.html");
    return RouterFunctions.route()
        .GET(
            "/graphiql",
            request -> ServerResponse.ok().contentType(MediaType.TEXT_HTML).bodyValue(page))
        .add(
            RouterFunctions.resources(
                "/graphiql/assets/**", new ClassPathResource("META-INF/resources/webjars/")))
        .build();
  }
}
