package com.dedw3n.platform.observability;

import io.micrometer.observation.Observation;
import io.micrometer.tracing.Span;
import io.micrometer.tracing.handler.TracingObservationHandler;
import org.jspecify.annotations.Nullable;
import org.slf4j.MDC;

/**
 * Writes a log line of a request with the request's trace in the MDC ({@code traceId}, {@code
 * spanId}: the keys Micrometer Tracing uses, which Boot's text pattern shows as {@code
 * [traceId-spanId]} and its JSON formats as fields), whichever thread the line is written on.
 *
 * <p>Why not Reactor's automatic context propagation, which would put them there for every line: it
 * restores thread-locals around every operator of every request (measured costly here, see the
 * README), to serve the few lines a request writes. This costs nothing until a line is written.
 */
public final class TraceLogging {

  static final String TRACE_ID = "traceId";
  static final String SPAN_ID = "spanId";

  private TraceLogging() {}

  /**
   * Runs {@code logging} with the trace of the observation in the MDC; as it is when the
   * observation has no span (tracing off) or the thread already carries a trace.
   */
  public static void in(Observation.@Nullable Context observation, Runnable logging) {
    TracingObservationHandler.TracingContext tracing =
        observation == null
            ? null
            : observation.get(TracingObservationHandler.TracingContext.class);
    Span span = tracing == null ? null : tracing.getSpan();
    if (span == null || MDC.get(TRACE_ID) != null) {
      logging.run();
      return;
    }
    MDC.put(TRACE_ID, span.context().traceId());
    MDC.put(SPAN_ID, span.context().spanId());
    try {
      logging.run();
    } finally {
      MDC.remove(TRACE_ID);
      MDC.remove(SPAN_ID);
    }
  }

  /** {@link #in(Observation.Context, Runnable)} with an observation's context. */
  public static void in(@Nullable Observation observation, Runnable logging) {
    in(observation == null ? null : observation.getContext(), logging);
  }
}
