package com.dedw3n.chat;

import java.time.Duration;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
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

  private static final Log log = LogFactory.getLog(RedisChatBus.class);

  private final ChannelTopic channel;
  private final ReactiveStringRedisTemplate redis;
  private final JsonMapper json;
  private volatile @Nullable ReactiveRedisMessageListenerContainer container;
  private final Sinks.Many<ChatEvent> sink = Sinks.many().multicast().directBestEffort();
  private final Disposable listening;

  RedisChatBus(
      ReactiveRedisConnectionFactory connections,
      ReactiveStringRedisTemplate redis,
      JsonMapper json,
      ChatSettings settings) {
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

  @Override
  public Mono<Void> publish(ChatEvent event) {
    return Mono.fromCallable(() -> json.writeValueAsString(event))
        .flatMap(text -> redis.convertAndSend(channel.getTopic(), text))
        .doOnError(e -> log.warn("Chat event not published; subscribers will fill the gap: " + e))
        .onErrorComplete()
        .then();
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
