package com.dedw3n.platform.graphql;

import graphql.scalars.ExtendedScalars;
import org.springframework.boot.graphql.autoconfigure.GraphQlSourceBuilderCustomizer;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.context.annotation.Primary;
import org.springframework.data.domain.ScrollPosition;
import org.springframework.graphql.data.federation.FederationSchemaFactory;
import org.springframework.graphql.data.pagination.CursorStrategy;
import org.springframework.graphql.execution.RuntimeWiringConfigurer;

/** Scalars and Apollo Federation 2 for the schema that Boot assembles from {@code schema/}. */
@Configuration(proxyBeanMethods = false)
class GraphQlConfiguration {

  @Bean
  RuntimeWiringConfigurer scalars() {
    return wiring -> wiring.scalar(ExtendedScalars.DateTime).scalar(ExtendedScalars.GraphQLLong);
  }

  /** Replaces Boot's JSON cursors: ours are shorter and carry no Java type names. */
  @Bean
  @Primary
  CursorStrategy<ScrollPosition> keysetCursorStrategy() {
    return new KeysetCursors();
  }

  /** Finds the {@code @EntityMapping} methods of every feature's controller. */
  @Bean
  FederationSchemaFactory federationSchemaFactory() {
    return new FederationSchemaFactory();
  }

  /** Adds {@code _service} and {@code _entities}, resolved through the entity mappings. */
  @Bean
  GraphQlSourceBuilderCustomizer federation(FederationSchemaFactory federation) {
    return builder -> builder.schemaFactory(federation::createGraphQLSchema);
  }
}
