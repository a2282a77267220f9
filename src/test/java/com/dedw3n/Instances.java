package com.dedw3n;

import org.springframework.beans.factory.config.BeanPostProcessor;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.http.client.ReactorResourceFactory;

/**
 * Extra server instances that a test starts and stops itself (clusters, restarts, outages), beside
 * the shared test server of {@link ApiTests}.
 *
 * <p>Every instance gets Reactor Netty event loops and connection pools of its own. Boot's {@code
 * ReactorResourceFactory} uses Reactor Netty's JVM-wide {@code HttpResources} by default and
 * disposes them when its context closes. Spring's test framework switches that off for the contexts
 * it manages, but not for contexts started by hand: closing one of those disposed the loops and
 * pools under every {@code WebTestClient} of the test JVM, and a request of an unrelated test sent
 * a few seconds later waited 30 s for an answer that never came.
 */
public final class Instances {

  private Instances() {}

  /** A builder for one more instance of the application. */
  public static SpringApplicationBuilder builder() {
    return new SpringApplicationBuilder(Application.class)
        .initializers(
            context ->
                context
                    .getBeanFactory()
                    .addBeanPostProcessor(
                        new BeanPostProcessor() {
                          @Override
                          public Object postProcessBeforeInitialization(Object bean, String name) {
                            if (bean instanceof ReactorResourceFactory resources) {
                              resources.setUseGlobalResources(false);
                            }
                            return bean;
                          }
                        }));
  }
}
