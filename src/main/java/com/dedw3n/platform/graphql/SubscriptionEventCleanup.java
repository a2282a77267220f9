package com.dedw3n.platform.graphql;

import graphql.ExecutionResult;
import graphql.execution.DataLoaderDispatchStrategy;
import graphql.execution.ExecutionContext;
import graphql.execution.instrumentation.InstrumentationContext;
import graphql.execution.instrumentation.InstrumentationState;
import graphql.execution.instrumentation.SimpleInstrumentationContext;
import graphql.execution.instrumentation.SimplePerformantInstrumentation;
import graphql.execution.instrumentation.dataloader.ExhaustedDataLoaderDispatchStrategy;
import graphql.execution.instrumentation.dataloader.PerLevelDataLoaderDispatchStrategy;
import graphql.execution.instrumentation.parameters.InstrumentationCreateStateParameters;
import graphql.execution.instrumentation.parameters.InstrumentationFieldParameters;
import graphql.language.OperationDefinition;
import java.lang.reflect.Field;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import org.dataloader.DataLoader;
import org.jspecify.annotations.Nullable;
import org.springframework.stereotype.Component;

/**
 * Lets a subscription's memory stay flat however many events it delivers (graphql-java 25's leak
 * #4314, fixed upstream in 26.1 by #4384, which this project cannot take: federation-jvm does not
 * run on graphql-java 26), and answers each event with what it loads itself: the DataLoaders'
 * caches, which live as long as the subscription, are emptied at the same point as the stacks.
 *
 * <p>For each event of a subscription, graphql-java 25's DataLoader dispatch strategies (the
 * exhausted one this server uses, {@code LazyBatchLoaderRegistry}, and the default per-level one)
 * put a new call stack (its counters, up to about 250 bytes) into a map that lives as long as the
 * subscription, and never remove it. A chat subscription open for a day grows by every message it
 * receives; under W6 the live heap grew by about 1.3 of those objects a delivered message, and the
 * collector spent a third of the server's CPU marking a heap the subscriptions kept nearly full.
 *
 * <p>Here the map is emptied when an event starts while no earlier event of the same subscription
 * is still executing: every stack in it then belongs to an event whose result is complete, which is
 * the point where upstream's fix removes its own. Events start one at a time (a publisher's {@code
 * onNext}), each before its own stack is created, so a stack in use is never removed. The map is a
 * private field of each strategy: when a graphql-java upgrade renames it, this logs once and does
 * nothing, and {@code SubscriptionEventCleanupTests} fails.
 *
 * <p>The same holds between the fields at the root of a mutation, which run one after the other and
 * share the request's DataLoaders: each starts with their caches empty, so it answers what the ones
 * before it wrote (a second order of one product answers the stock it left, a review after an order
 * of its product answers its own count), not what an earlier field loaded. It is done here, not in
 * an instrumentation of its own, because a second one puts graphql-java's chain around every field
 * of every result ({@code GraphQlConfiguration.unchainedInstrumentation}).
 */
@Component
class SubscriptionEventCleanup extends SimplePerformantInstrumentation {

  private static final Log log = LogFactory.getLog(SubscriptionEventCleanup.class);

  /** Both of graphql-java 25's strategies keep the stacks in a field of this name. */
  private static final Map<Class<?>, Field> CALL_STACKS =
      callStacksFields(
          PerLevelDataLoaderDispatchStrategy.class, ExhaustedDataLoaderDispatchStrategy.class);

  @Override
  public InstrumentationState createState(InstrumentationCreateStateParameters parameters) {
    return new Events();
  }

  @Override
  public @Nullable InstrumentationContext<ExecutionResult> beginSubscribedFieldEvent(
      InstrumentationFieldParameters parameters, InstrumentationState state) {
    if (!(state instanceof Events events)) {
      return null;
    }
    if (events.executing.getAndIncrement() == 0) {
      var execution = parameters.getExecutionContext();
      Map<?, ?> stacks = callStacks(execution.getDataLoaderDispatcherStrategy());
      if (stacks != null) {
        stacks.clear();
      }
      // the subscription's DataLoaders serve every one of its events: what an earlier event
      // loaded (a conversation by id, a message's attachments) would answer this one stale, and
      // stay on the heap for as long as the subscription is open
      execution.getDataLoaderRegistry().getDataLoaders().forEach(DataLoader::clearAll);
    }
    return SimpleInstrumentationContext.whenCompleted(
        (result, failure) -> events.executing.decrementAndGet());
  }

  @Override
  public @Nullable InstrumentationContext<Object> beginFieldExecution(
      InstrumentationFieldParameters parameters, InstrumentationState state) {
    ExecutionContext execution = parameters.getExecutionContext();
    if (execution.getOperationDefinition().getOperation() == OperationDefinition.Operation.MUTATION
        && parameters.getExecutionStepInfo().getPath().getLevel() == 1) {
      execution.getDataLoaderRegistry().getDataLoaders().forEach(DataLoader::clearAll);
    }
    return null;
  }

  /** The strategy's call stacks of subscription events; null when it keeps none (or hides them). */
  static @Nullable Map<?, ?> callStacks(DataLoaderDispatchStrategy strategy) {
    Field field = CALL_STACKS.get(strategy.getClass());
    if (field == null) {
      return null;
    }
    try {
      return (Map<?, ?>) field.get(strategy);
    } catch (IllegalAccessException | ClassCastException e) {
      return null;
    }
  }

  private static Map<Class<?>, Field> callStacksFields(Class<?>... strategies) {
    Map<Class<?>, Field> fields = new HashMap<>();
    for (Class<?> strategy : strategies) {
      try {
        Field field = strategy.getDeclaredField("alternativeCallContextMap");
        field.setAccessible(true);
        fields.put(strategy, field);
      } catch (NoSuchFieldException | RuntimeException e) {
        log.warn(
            "graphql-java's subscription call stacks are not where version 25 keeps them in "
                + strategy.getSimpleName()
                + "; they are not cleaned up (upgrading to 26.1 or later fixes the leak upstream): "
                + e);
      }
    }
    return Map.copyOf(fields);
  }

  /** One execution's subscription events whose results are not complete yet. */
  private static final class Events implements InstrumentationState {
    final AtomicInteger executing = new AtomicInteger();
  }
}
