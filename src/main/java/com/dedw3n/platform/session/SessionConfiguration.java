package com.dedw3n.platform.session;

import com.dedw3n.platform.RedisChannel;
import com.dedw3n.platform.RedisEnvironment;
import com.dedw3n.platform.graphql.WebSocketShutdown;
import io.micrometer.core.instrument.MeterRegistry;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.ConcurrentHashMap;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.Ordered;
import org.springframework.core.annotation.Order;
import org.springframework.core.env.Environment;
import org.springframework.data.redis.connection.ReactiveRedisConnectionFactory;
import org.springframework.data.redis.connection.lettuce.LettuceConnectionFactory;
import org.springframework.data.redis.core.ReactiveRedisTemplate;
import org.springframework.data.redis.core.ReactiveStringRedisTemplate;
import org.springframework.data.redis.serializer.RedisSerializationContext;
import org.springframework.data.redis.serializer.RedisSerializer;
import org.springframework.graphql.server.WebSocketGraphQlInterceptor;
import org.springframework.session.ReactiveMapSessionRepository;
import org.springframework.session.data.redis.ReactiveRedisSessionRepository;
import org.springframework.util.StringUtils;

/**
 * Sessions in Redis when this instance has Redis ({@code REDIS_URL}), so that any instance serves
 * any user; in this process's memory otherwise (one instance: the development default).
 */
@Configuration(proxyBeanMethods = false)
class SessionConfiguration {

  /**
   * Mobile clients identify a WebSocket by the session token in connection_init. First of the
   * interceptors, so that everything after it (the budgets) knows the socket's user.
   */
  @Bean
  @Order(Ordered.HIGHEST_PRECEDENCE)
  WebSocketGraphQlInterceptor sessionTokenAuthentication(
      SessionStore store, SessionCookie cookie, WebSocketShutdown sockets) {
    return new SessionTokenAuthentication(store, cookie, sockets);
  }

  @Bean
  SessionStore sessionStore(
      SessionSettings settings,
      Environment environment,
      ObjectProvider<ReactiveRedisConnectionFactory> connections,
      ObjectProvider<ReactiveStringRedisTemplate> strings,
      ObjectProvider<Clock> clock,
      MeterRegistry meters) {
    // dedw3n.session.redis=false keeps sessions in memory beside a Redis used for the rest: only
    // for measuring what Redis sessions cost (one instance; bench/ab.sh)
    boolean redis =
        environment.getProperty(RedisEnvironment.ENABLED, Boolean.class, false)
            && environment.getProperty("dedw3n.session.redis", Boolean.class, true);
    Clock time = clock.getIfUnique(Clock::systemUTC);
    SessionTokens tokens;
    if (StringUtils.hasText(settings.secret())) {
      tokens = new SessionTokens(settings.secret().getBytes(StandardCharsets.UTF_8));
    } else if (redis) {
      throw new IllegalStateException(
          "SESSION_SECRET is required when sessions live in Redis (REDIS_URL is set): every"
              + " instance signs and checks session tokens with it. Use 32 or more random bytes,"
              + " for example: openssl rand -base64 48");
    } else {
      // one instance, sessions in its memory: they end with the process anyway
      tokens = SessionTokens.withRandomSecret();
    }
    if (!redis) {
      var records = new ReactiveMapSessionRepository(new ConcurrentHashMap<>());
      records.setDefaultMaxInactiveInterval(settings.idleTimeout());
      return new SessionStore(
          records,
          SessionRecords.of(records),
          new SessionIndex.InMemory(),
          tokens,
          settings,
          time,
          null,
          meters);
    }
    ReactiveRedisConnectionFactory factory = connections.getObject();
    RedisSerializationContext<String, Object> serialization =
        RedisSerializationContext.<String, Object>newSerializationContext(SessionValues.INSTANCE)
            .key(RedisSerializer.string())
            .hashKey(RedisSerializer.string())
            .build();
    var records =
        new ReactiveRedisSessionRepository(new ReactiveRedisTemplate<>(factory, serialization));
    // keys <prefix>sessions:<id>, beside the index's <prefix>user:<id> and <prefix>expiry
    String prefix = settings.redisPrefix();
    String namespace = prefix.endsWith(":") ? prefix.substring(0, prefix.length() - 1) : prefix;
    records.setRedisKeyNamespace(namespace);
    records.setDefaultMaxInactiveInterval(settings.idleTimeout());
    var announcements =
        new RedisChannel(prefix + "ended", factory, strings.getObject(), Duration.ofSeconds(1));
    return new SessionStore(
        records,
        // the key Spring Session gives a record: its namespace, a colon, "sessions:", the id
        new RedisSessionRecords((LettuceConnectionFactory) factory, namespace + ":sessions:"),
        new RedisSessionIndex(strings.getObject(), prefix),
        tokens,
        settings,
        time,
        announcements,
        meters);
  }
}
