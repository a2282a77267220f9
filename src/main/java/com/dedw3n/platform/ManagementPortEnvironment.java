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
 */
public class ManagementPortEnvironment implements EnvironmentPostProcessor {

  @Override
  public void postProcessEnvironment(ConfigurableEnvironment env, SpringApplication application) {
    if (env.containsProperty("management.server.port") || env.acceptsProfiles(Profiles.of("dev"))) {
      return;
    }
    String port = env.getProperty("MANAGEMENT_PORT", "8081");
    env.getPropertySources()
        .addLast(
            new MapPropertySource("dedw3n-management", Map.of("management.server.port", port)));
  }
}
