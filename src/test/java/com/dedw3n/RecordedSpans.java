package com.dedw3n;

import io.opentelemetry.context.Context;
import io.opentelemetry.sdk.trace.ReadWriteSpan;
import io.opentelemetry.sdk.trace.ReadableSpan;
import io.opentelemetry.sdk.trace.SpanProcessor;
import io.opentelemetry.sdk.trace.data.SpanData;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedDeque;
import org.springframework.boot.test.context.TestConfiguration;

/**
 * The spans the server ended, as the OpenTelemetry SDK hands them to an exporter: the tests' view
 * of what a tracing backend would receive (the last 10,000, for the whole shared server). Imported,
 * the configuration is itself the processor Boot adds to the tracer provider.
 */
@TestConfiguration(proxyBeanMethods = false)
public class RecordedSpans implements SpanProcessor {

  private final ConcurrentLinkedDeque<SpanData> ended = new ConcurrentLinkedDeque<>();

  /** The ended spans of one trace. */
  public List<SpanData> ofTrace(String traceId) {
    return ended.stream().filter(s -> s.getTraceId().equals(traceId)).toList();
  }

  @Override
  public void onStart(Context parentContext, ReadWriteSpan span) {}

  @Override
  public boolean isStartRequired() {
    return false;
  }

  @Override
  public void onEnd(ReadableSpan span) {
    ended.add(span.toSpanData());
    while (ended.size() > 10_000) {
      ended.pollFirst();
    }
  }

  @Override
  public boolean isEndRequired() {
    return true;
  }
}
