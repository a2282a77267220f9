package com.dedw3n.platform.graphql;

import com.apollographql.federation.graphqljava._Entity;
import graphql.execution.SubscriptionExecutionStrategy;
import graphql.execution.instrumentation.Instrumentation;
import graphql.scalars.ExtendedScalars;
import graphql.schema.DataFetcher;
import graphql.schema.FieldCoordinates;
import graphql.schema.GraphQLCodeRegistry;
import graphql.schema.GraphQLSchema;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.List;
import java.util.Map;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.graphql.autoconfigure.GraphQlProperties;
import org.springframework.boot.graphql.autoconfigure.GraphQlSourceBuilderCustomizer;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.context.annotation.Primary;
import org.springframework.data.domain.ScrollPosition;
import org.springframework.graphql.data.federation.FederationSchemaFactory;
import org.springframework.graphql.data.pagination.CursorStrategy;
import org.springframework.graphql.execution.RuntimeWiringConfigurer;
import org.springframework.graphql.server.WebGraphQlHandler;
import org.springframework.graphql.server.WebGraphQlInterceptor;
import org.springframework.graphql.server.webflux.GraphQlHttpHandler;
import org.springframework.graphql.server.webflux.GraphQlSseHandler;
import org.springframework.http.codec.ServerCodecConfigurer;
import tools.jackson.databind.json.JsonMapper;

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

  /**
   * Subscription events leave in the order they happened even when resolving one takes longer than
   * the next (graphql-java otherwise lets a later, quicker event overtake).
   */
  @Bean
  WebGraphQlInterceptor orderedSubscriptionEvents() {
    return (request, chain) -> {
      request.configureExecutionInput(
          (input, builder) ->
              builder
                  .graphQLContext(
                      Map.of(SubscriptionExecutionStrategy.KEEP_SUBSCRIPTION_EVENTS_ORDERED, true))
                  .build());
      return chain.next(request);
    };
  }

  /** The turns of queries and mutations over HTTP, taken by {@link OperationGuard}. */
  @Bean
  ExecutionLimit executionLimit(
      GraphQlHttpSettings settings, OperationLimits limits, MeterRegistry meters) {
    ExecutionLimit limit =
        new ExecutionLimit(
            settings.concurrency(),
            settings.lightConcurrency(),
            settings.heavyRequestCost(),
            settings.maxQueuedRequests(),
            limits.queueTimeout());
    for (boolean heavy : new boolean[] {true, false}) {
      String weight = heavy ? "heavy" : "light";
      Gauge.builder("dedw3n.graphql.executing", limit, l -> l.executing(heavy))
          .description("GraphQL queries and mutations executing now")
          .tag("weight", weight)
          .register(meters);
      Gauge.builder("dedw3n.graphql.queued", limit, l -> l.queued(heavy))
          .description("GraphQL queries and mutations waiting for their turn")
          .tag("weight", weight)
          .register(meters);
    }
    return limit;
  }

  /** Up to 8 Mi characters of distinct valid documents, parsed and validated once each. */
  @Bean
  DocumentCache documentCache() {
    return new DocumentCache(8L << 20);
  }

  @Bean
  GraphQlSourceBuilderCustomizer cachedDocuments(DocumentCache cache) {
    return builder -> builder.configureGraphQl(graphQl -> graphQl.preparsedDocumentProvider(cache));
  }

  /**
   * graphql-java's instrumentation without a chain around it when there is only one (today {@link
   * SubscriptionEventCleanup}). spring-graphql wraps the list in a {@code ChainedInstrumentation}
   * even then, and the chain allocates its lambdas and contexts for every field of every result:
   * 1.0-1.5 % of the event loops' samples on the W1 feed and the W3 conversation page (profiles of
   * 2026-12-05). With two or more, the chain stays.
   */
  @Bean
  GraphQlSourceBuilderCustomizer unchainedInstrumentation(
      ObjectProvider<Instrumentation> instrumentations) {
    return builder -> {
      List<Instrumentation> all = instrumentations.orderedStream().toList();
      if (all.size() == 1) {
        builder.configureGraphQl(graphQl -> graphQl.instrumentation(all.get(0)));
      }
    };
  }

  /** spring-graphql's HTTP handler with this API's status codes and response size limit. */
  @Bean
  GraphQlHttpHandler graphQlHttpHandler(
      WebGraphQlHandler handler, ServerCodecConfigurer codecs, OperationLimits limits) {
    return new GraphQlHttpResponses(handler, codecs, limits.maxResponseSize());
  }

  /**
   * spring-graphql's Server-Sent Events handler, with Boot's settings, answering queries and
   * mutations too ({@link GraphQlSseResults}).
   */
  @Bean
  GraphQlSseHandler graphQlSseHandler(
      WebGraphQlHandler handler,
      GraphQlProperties properties,
      OperationLimits limits,
      JsonMapper json) {
    GraphQlProperties.Sse sse = properties.getHttp().getSse();
    return new GraphQlSseResults(
        handler, sse.getTimeout(), sse.getKeepAlive(), limits.maxResponseSize(), json);
  }

  /** Finds the {@code @EntityMapping} methods of every feature's controller. */
  @Bean
  FederationSchemaFactory federationSchemaFactory() {
    return new FederationSchemaFactory();
  }

  /**
   * Adds {@code _service} and {@code _entities}, resolved through the entity mappings, with
   * representations that must be objects ({@link ObjectRepresentations}), a malformed id refused on
   * its own ({@link RepresentationIds}).
   */
  @Bean
  GraphQlSourceBuilderCustomizer federation(FederationSchemaFactory federation) {
    return builder ->
        builder.schemaFactory(
            (registry, wiring) -> {
              GraphQLSchema schema =
                  federation
                      .createSchemaTransformer(registry, wiring)
                      .coercingForAny(new ObjectRepresentations())
                      .build();
              FieldCoordinates entities =
                  FieldCoordinates.coordinates(schema.getQueryType().getName(), _Entity.fieldName);
              GraphQLCodeRegistry codes = schema.getCodeRegistry();
              DataFetcher<?> fetcher =
                  codes.getDataFetcher(entities, schema.getQueryType().getField(_Entity.fieldName));
              return schema.transform(
                  s ->
                      s.codeRegistry(
                          codes.transform(
                              c -> c.dataFetcher(entities, new RepresentationIds(fetcher)))));
            });
  }
}
