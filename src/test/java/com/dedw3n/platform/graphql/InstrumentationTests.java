package com.dedw3n.platform.graphql;

import static org.assertj.core.api.Assertions.assertThat;

import com.dedw3n.ApiTests;
import graphql.execution.instrumentation.ChainedInstrumentation;
import graphql.execution.instrumentation.Instrumentation;
import graphql.execution.instrumentation.SimplePerformantInstrumentation;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.beans.factory.support.StaticListableBeanFactory;
import org.springframework.core.io.ByteArrayResource;
import org.springframework.graphql.execution.GraphQlSource;

/**
 * graphql-java calls the instrumentation for every field of every result: the server's one
 * instrumentation runs without spring-graphql's chain around it, and a second one would bring the
 * chain back, so that both still run.
 */
class InstrumentationTests extends ApiTests {

  @Autowired GraphQlSource source;

  @Test
  void theOneInstrumentationRunsWithoutAChain() {
    assertThat(source.graphQl().getInstrumentation()).isInstanceOf(SubscriptionEventCleanup.class);
  }

  @Test
  void twoInstrumentationsKeepTheirChain() {
    StaticListableBeanFactory beans = new StaticListableBeanFactory();
    beans.addBean("cleanup", new SubscriptionEventCleanup());
    beans.addBean("other", new SimplePerformantInstrumentation());
    ObjectProvider<Instrumentation> instrumentations = beans.getBeanProvider(Instrumentation.class);
    GraphQlSource.SchemaResourceBuilder builder =
        GraphQlSource.schemaResourceBuilder()
            .schemaResources(new ByteArrayResource("type Query { ping: String }".getBytes()));
    // as Boot's auto-configuration does, before the customizers run
    builder.instrumentation(instrumentations.orderedStream().toList());

    new GraphQlConfiguration().unchainedInstrumentation(instrumentations).customize(builder);

    assertThat(builder.build().graphQl().getInstrumentation())
        .isInstanceOf(ChainedInstrumentation.class);
  }
}
