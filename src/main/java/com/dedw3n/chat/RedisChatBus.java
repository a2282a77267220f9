package com.dedw3n.chat;

import com.dedw3n.platform.ThrottledLog;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Duration;
import org.jspecify.annotations.Nullable;
import org.springframework.beans.factory.DisposableBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBooleanProperty;
import org.springframework.data.redis.connection.ReactiveRedisConnectionFactory;
import org.springframework.data.redis.core.ReactiveStringRedisTemplate;
import org.springframework.data.redis.listener.ChannelTopic;
import org.springframework.data.redis.listener.ReactiveRedisMessageListenerContainer;
import org.springframework.stereotype.Component;
import reactor.core.Disposable;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.publisher.Sinks;
import reactor.core.scheduler.Schedulers;
import reactor.util.retry.Retry;
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

  private final ChannelTopic channel;
  private final ReactiveStringRedisTemplate redis;
  private final JsonMapper json;
  private volatile @Nullable ReactiveRedisMessageListenerContainer container;
  private final Sinks.Many<ChatEvent> sink = Sinks.many().multicast().directBestEffort();
  private final Disposable listening;
  private final Duration publishTimeout;
  private final Counter publishFailures;

  RedisChatBus(
      ReactiveRedisConnectionFactory connections,
      ReactiveStringRedisTemplate redis,
      JsonMapper json,
      ChatSettings settings,
      MeterRegistry meters) {
    this.publishTimeout = settings.publishTimeout();
    this.publishFailures =
        Counter.builder("dedw3n.chat.publish.failures")
            .description("Chat events not published to Redis in time (recovered from PostgreSQL)")
            .register(meters);
    this.channel = ChannelTopic.of(settings.redisChannel());
    this.redis = redis;
    this.json = json;
    // Listen for the life of the instance, re-subscribing after a Redis outage. The container
    // connects when it is made, so it is made inside the retry (off the event loop: connecting
    // blocks): an instance started while Redis is down starts, and listens once Redis is back.
    this.listening =
        Flux.defer(
                () -> {
                  var listener = new ReactiveRedisMessageListenerContainer(connections);
                  container = listener;
                  return listener
                      .receive(channel)
                      .doFinally(signal -> listener.destroyLater().subscribe());
                })
            .subscribeOn(Schedulers.boundedElastic())
            .map(message -> json.readValue(message.getMessage(), ChatEvent.class))
            .retryWhen(
                Retry.backoff(Long.MAX_VALUE, Duration.ofMillis(200))
                    .maxBackoff(Duration.ofSeconds(5)))
            .subscribe(
                event ->
                    sink.emitNext(
                        event, Sinks.EmitFailureHandler.busyLooping(Duration.ofSeconds(1))));
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
        .flatMap(text -> redis.convertAndSend(channel.getTopic(), text))
        .timeout(publishTimeout)
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
    listening.dispose();
    var listener = container;
    if (listener != null) {
      listener.destroyLater().subscribe();
    }
  }
}
