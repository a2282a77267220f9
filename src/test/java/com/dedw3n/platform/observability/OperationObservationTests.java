package com.dedw3n.platform.observability;

import static org.assertj.core.api.Assertions.assertThat;

import graphql.ExecutionInput;
import graphql.ExecutionResult;
import io.micrometer.context.ContextSnapshot;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.micrometer.observation.Observation;
import io.micrometer.observation.ObservationRegistry;
import io.micrometer.observation.contextpropagation.ObservationThreadLocalAccessor;
import java.net.URI;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.springframework.graphql.execution.ContextPropagationHelper;
import org.springframework.graphql.server.WebGraphQlRequest;
import org.springframework.graphql.server.WebGraphQlResponse;
import org.springframework.graphql.support.DefaultExecutionGraphQlResponse;
import org.springframework.http.HttpHeaders;
import org.springframework.util.LinkedMultiValueMap;
import reactor.core.publisher.Mono;
import reactor.util.context.Context;

/**
 * The snapshot spring-graphql takes around every data fetcher of an operation: it carries the
 * operation's context values into what the fetcher returns, and sets no thread-local for the call
 * (the cost the class comment of {@link OperationObservation} measures); nor do Reactor's handle
 * operators in the operation's chain.
 */
class OperationObservationTests {

  @Test
  void aFieldsSnapshotCarriesTheOperationsObservationButOpensNoScope() {
    ObservationRegistry observations = ObservationRegistry.create();
    // a registry without handlers makes no-op observations, whose scopes would prove nothing
    observations.observationConfig().observationHandler(context -> true);
    var interceptor =
        new OperationObservation(
            observations, new SimpleMeterRegistry(), new KnownOperations(Set.of("q")));
    var request =
        new WebGraphQlRequest(
            URI.create("http://localhost/graphql"),
            new HttpHeaders(),
            new LinkedMultiValueMap<>(),
            null,
            Map.of(),
            Map.<String, Object>of("query", "query q { x }"),
            "1",
            null);
    var response =
        new WebGraphQlResponse(
            new DefaultExecutionGraphQlResponse(
                ExecutionInput.newExecutionInput("query q { x }").build(),
                ExecutionResult.newExecutionResult().data(Map.of("x", 1)).build()));
    AtomicReference<Observation> inTheCall = new AtomicReference<>();
    AtomicReference<Object> carried = new AtomicReference<>();

    interceptor
        .intercept(
            request,
            next ->
                Mono.deferContextual(
                    view -> {
                      // what ContextDataFetcherDecorator does around a fetcher, with the factory
                      // the request's context names
                      ContextSnapshot field = ContextPropagationHelper.captureFrom(view);
                      try (ContextSnapshot.Scope scope = field.setThreadLocals()) {
                        inTheCall.set(observations.getCurrentObservation());
                      }
                      carried.set(
                          field
                              .updateContext(Context.empty())
                              .getOrDefault(ObservationThreadLocalAccessor.KEY, null));
                      return Mono.just(response);
                    }))
        .block();

    assertThat(carried.get()).isInstanceOf(Observation.class);
    assertThat(inTheCall.get()).isNull();
  }

  @Test
  void reactorsHandleOperatorsInTheOperationOpenNoObservationScope() {
    ObservationRegistry observations = ObservationRegistry.create();
    observations.observationConfig().observationHandler(context -> true);
    // the application has the interceptor: its class, once loaded, has the process's registry
    // forget the observation's thread-local accessor
    new OperationObservation(
        observations, new SimpleMeterRegistry(), new KnownOperations(Set.of()));
    Observation operation = Observation.start("graphql.operation", observations);
    AtomicReference<Object> inTheOperator = new AtomicReference<>("not called");

    // the shape of the driver's result mapping and of the request body's end: a handle operator
    // under a subscriber whose context holds the operation's observation
    Integer value =
        Mono.just(1)
            .<Integer>handle(
                (v, sink) -> {
                  inTheOperator.set(observations.getCurrentObservation());
                  sink.next(v);
                })
            .contextWrite(Context.of(ObservationThreadLocalAccessor.KEY, operation))
            .block();
    operation.stop();

    assertThat(value).isEqualTo(1);
    assertThat(inTheOperator.get()).isNull();
  }
}
