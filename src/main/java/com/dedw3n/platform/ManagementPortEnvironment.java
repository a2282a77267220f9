package com.dedw3n.platform;

import java.util.Map;
import org.springframework.boot.EnvironmentPostProcessor;
import org.springframework.boot.SpringApplication;
import org.springframework.core.env.ConfigurableEnvironment;
import org.springframework.core.env.MapPropertySource;
import org.springframework.core.env.Profiles;

/**
 * Puts metrics and detailed health on a port of their own ({@code MANAGEMENT_PORT}, default 8081)
 * unless the development profile runs, where they stay on the application port for a developer's
 * curl. A configuration file cannot say "no separate port" in one profile once the defaults chose
 * one (Boot treats an empty or zero port as a port), hence this decision in code.
 *
 * <p>When the default would be the application's own port ({@code PORT=8081} without {@code
 * MANAGEMENT_PORT}), Boot would serve health details, metrics and Prometheus on the public port, so
 * the server refuses to start instead. {@code MANAGEMENT_PORT} set to {@code PORT} on purpose (the
 * benchmark does) is taken as said; set to nothing, it is unset.
 */
public class ManagementPortEnvironment implements EnvironmentPostProcessor {

  private static final String DEFAULT = "8081";

  @Override
  public void postProcessEnvironment(ConfigurableEnvironment env, SpringApplication application) {
    if (env.containsProperty("management.server.port") || env.acceptsProfiles(Profiles.of("dev"))) {
      return;
    }
    String port = env.getProperty("MANAGEMENT_PORT");
    // empty is unset (a template's ${MANAGEMENT_PORT:-}): Boot reads an empty port as none and
    // mounts the actuator on the public port
    if (port == null || port.isBlank()) {
      port = DEFAULT;
      if (DEFAULT.equals(env.getProperty("server.port"))) {
        throw new IllegalStateException(
            "PORT is "
                + DEFAULT
                + ", the default of MANAGEMENT_PORT (health, metrics and Prometheus, which must not"
                + " be public): set MANAGEMENT_PORT to another port");
      }
    }
    env.getPropertySources()
        .addLast(
            new MapPropertySource("dedw3n-management", Map.of("management.server.port", port)));
  }
}
