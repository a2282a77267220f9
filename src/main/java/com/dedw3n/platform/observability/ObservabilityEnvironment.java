package com.dedw3n.platform.observability;

import java.util.HashMap;
import java.util.Map;
import org.springframework.boot.EnvironmentPostProcessor;
import org.springframework.boot.SpringApplication;
import org.springframework.core.env.ConfigurableEnvironment;
import org.springframework.core.env.MapPropertySource;
import org.springframework.core.env.Profiles;
import org.springframework.util.StringUtils;

/**
 * Decides, from the deployment's environment variables, where spans and logs go:
 *
 * <ul>
 *   <li>spans are exported over OTLP (HTTP) only when {@code OTEL_EXPORTER_OTLP_ENDPOINT} (the
 *       collector's base URL, as every OpenTelemetry SDK reads it; {@code /v1/traces} is appended)
 *       or {@code OTEL_EXPORTER_OTLP_TRACES_ENDPOINT} (the full URL) is set, or Boot's own {@code
 *       management.opentelemetry.tracing.export.otlp.endpoint}. Otherwise export is off: trace ids
 *       are still made, propagated and logged, but no exporter retries a collector that is not
 *       there. A property file cannot say "only when set" (an empty endpoint is still an endpoint
 *       to Boot), hence this decision in code;
 *   <li>logs are JSON lines (Boot's structured logging, {@code LOG_FORMAT}: {@code ecs} by default,
 *       or {@code logstash}, {@code gelf}) outside the development profile, and readable text in
 *       development or with {@code LOG_FORMAT=text}.
 * </ul>
 */
public class ObservabilityEnvironment implements EnvironmentPostProcessor {

  static final String OTLP_ENDPOINT = "management.opentelemetry.tracing.export.otlp.endpoint";
  static final String STRUCTURED_FORMAT = "logging.structured.format.console";

  @Override
  public void postProcessEnvironment(ConfigurableEnvironment env, SpringApplication application) {
    Map<String, Object> props = new HashMap<>();
    if (!StringUtils.hasText(env.getProperty(OTLP_ENDPOINT))) {
      String traces = env.getProperty("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT");
      String base = env.getProperty("OTEL_EXPORTER_OTLP_ENDPOINT");
      if (StringUtils.hasText(traces)) {
        props.put(OTLP_ENDPOINT, traces);
      } else if (StringUtils.hasText(base)) {
        props.put(OTLP_ENDPOINT, base.replaceAll("/+$", "") + "/v1/traces");
      }
      // else no OTLP exporter at all (Boot creates one only for an endpoint). Not through
      // management.tracing.export.enabled=false: that also switches off traceparent propagation
    }
    if (!env.containsProperty(STRUCTURED_FORMAT)) {
      String format = env.getProperty("LOG_FORMAT", "");
      boolean development = env.acceptsProfiles(Profiles.of("dev"));
      if (!format.equalsIgnoreCase("text") && !(development && format.isEmpty())) {
        props.put(STRUCTURED_FORMAT, format.isEmpty() ? "ecs" : format);
      }
    }
    env.getPropertySources().addLast(new MapPropertySource("dedw3n-observability", props));
  }
}
