package com.dedw3n.platform;

import io.lettuce.core.ClientOptions;
import io.lettuce.core.SocketOptions;
import io.lettuce.core.TimeoutOptions;
import io.lettuce.core.resource.Delay;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBooleanProperty;
import org.springframework.boot.data.redis.autoconfigure.ClientResourcesBuilderCustomizer;
import org.springframework.boot.data.redis.autoconfigure.LettuceClientOptionsBuilderCustomizer;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * The Redis client of Spring Data Redis (chat fan-out; sessions later) made to fail fast instead of
 * holding requests: Lettuce's defaults keep commands queued while disconnected and wait up to 60 s
 * for an answer, and reconnect with a back-off that grows to 30 s. A 15 s Redis outage stalled
 * every request of an instance for 18 s that way, and instances resubscribed to the chat channel 27
 * s after Redis returned. Here:
 *
 * <ul>
 *   <li>commands are rejected at once while the connection is down (not queued for later);
 *   <li>every command times out after {@code spring.data.redis.timeout} (500 ms), connecting after
 *       {@code spring.data.redis.connect-timeout} (1 s);
 *   <li>reconnection is tried again after at most one second, so the chat subscription (which
 *       Lettuce renews on reconnect) is back within about a second of Redis.
 * </ul>
 */
@Configuration(proxyBeanMethods = false)
@ConditionalOnBooleanProperty(RedisEnvironment.ENABLED)
class RedisConfiguration {

  @Bean
  LettuceClientOptionsBuilderCustomizer failFastRedis() {
    return options ->
        options
            .autoReconnect(true)
            .disconnectedBehavior(ClientOptions.DisconnectedBehavior.REJECT_COMMANDS)
            .socketOptions(
                SocketOptions.builder()
                    .connectTimeout(Duration.ofSeconds(1))
                    .keepAlive(true)
                    .build())
            // commands time out even when Redis is frozen and the connection stays open
            .timeoutOptions(TimeoutOptions.enabled());
  }

  @Bean
  ClientResourcesBuilderCustomizer quickReconnect() {
    return resources ->
        resources.reconnectDelay(
            Delay.exponential(
                Duration.ofMillis(100), Duration.ofSeconds(1), 2, TimeUnit.MILLISECONDS));
  }
}
