package com.dedw3n.platform;

import java.util.HashMap;
import java.util.Map;
import org.springframework.boot.EnvironmentPostProcessor;
import org.springframework.boot.SpringApplication;
import org.springframework.core.env.ConfigurableEnvironment;
import org.springframework.core.env.MapPropertySource;
import org.springframework.util.StringUtils;

/**
 * Decides from {@code REDIS_URL} (or an explicit {@code spring.data.redis.url}) whether this
 * instance works with Redis. Boot always creates a lazy Redis connection factory for
 * localhost:6379, so the bean cannot tell; {@code dedw3n.redis.enabled} can. Without Redis the
 * server runs alone: chat fans out in-process and the Redis health check is off.
 */
public class RedisEnvironment implements EnvironmentPostProcessor {

  /** True when this instance talks to Redis. */
  public static final String ENABLED = "dedw3n.redis.enabled";

  @Override
  public void postProcessEnvironment(ConfigurableEnvironment env, SpringApplication application) {
    Map<String, Object> props = new HashMap<>();
    String url = env.getProperty("REDIS_URL");
    boolean explicit = StringUtils.hasText(env.getProperty("spring.data.redis.url"));
    if (StringUtils.hasText(url) && !explicit) {
      props.put("spring.data.redis.url", url);
    }
    boolean enabled = explicit || StringUtils.hasText(url);
    props.put(ENABLED, String.valueOf(enabled));
    if (!enabled) {
      props.put("management.health.redis.enabled", "false");
    }
    env.getPropertySources().addLast(new MapPropertySource("dedw3n-redis", props));
  }
}
