package com.dedw3n.chat.internal;

import com.dedw3n.platform.RedisChannel;
import com.dedw3n.platform.SerialSink;
import com.dedw3n.platform.ThrottledLog;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import org.springframework.beans.factory.DisposableBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBooleanProperty;
import org.springframework.data.redis.connection.ReactiveRedisConnectionFactory;
import org.springframework.data.redis.core.ReactiveStringRedisTemplate;
import org.springframework.stereotype.Component;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import tools.jackson.databind.json.JsonMapper;

/**
 * The chat bus across instances: every instance publishes to one Redis channel and listens to it
 * over one connection, feeding its own subscribers. One channel keeps the Redis side trivial; each
 * instance filters what its subscribers want, which is cheap at chat volumes.
 */
@Component
@ConditionalOnBooleanProperty("dedw3n.redis.enabled")
class RedisChatBus implements ChatBus, DisposableBean {

  private static final ThrottledLog log = new ThrottledLog(RedisChatBus.class);

  private final RedisChannel channel;
  private final JsonMapper json;
  private final SerialSink<ChatEvent> sink = SerialSink.multicast();
  private final Counter publishFailures;

  RedisChatBus(
      ReactiveRedisConnectionFactory connections,
      ReactiveStringRedisTemplate redis,
      JsonMapper json,
      ChatSettings settings,
      MeterRegistry meters) {
    this.publishFailures =
        Counter.builder("dedw3n.chat.publish.failures")
            .description("Chat events not published to Redis in time (recovered from PostgreSQL)")
            .register(meters);
    this.json = json;
    this.channel =
        new RedisChannel(settings.redisChannel(), connections, redis, settings.publishTimeout());
    channel.listen(message -> sink.emit(json.readValue(message, ChatEvent.class)));
  }

  /**
   * Publishes in the background, at most {@code dedw3n.chat.publish-timeout} (1 s): a send is
   * answered as soon as its message is committed, Redis or not. A failure is counted ({@code
   * dedw3n.chat.publish.failures}) and logged; the subscribers' gap fill and sweep deliver the
   * message from PostgreSQL.
   */
  @Override
  public void publish(ChatEvent event) {
    Mono.fromCallable(() -> json.writeValueAsString(event))
        .flatMap(channel::publish)
        .subscribe(
            receivers -> {},
            e -> {
              publishFailures.increment();
              log.warn("Chat event not published; subscribers will fill the gap", e);
            });
  }

  @Override
  public Flux<ChatEvent> events() {
    return sink.asFlux();
  }

  @Override
  public void destroy() {
    channel.close();
  }
}
