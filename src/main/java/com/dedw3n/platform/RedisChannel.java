package com.dedw3n.platform;

import java.time.Duration;
import java.util.function.Consumer;
import org.jspecify.annotations.Nullable;
import org.springframework.data.redis.connection.ReactiveRedisConnectionFactory;
import org.springframework.data.redis.core.ReactiveStringRedisTemplate;
import org.springframework.data.redis.listener.ChannelTopic;
import org.springframework.data.redis.listener.ReactiveRedisMessageListenerContainer;
import reactor.core.Disposable;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;
import reactor.util.retry.Retry;

/**
 * One Redis pub/sub channel that the instances of a deployment share: listened to for the life of
 * the instance and published to with a bound, so that neither side ever waits on Redis.
 */
public final class RedisChannel {

  private static final ThrottledLog log = new ThrottledLog(RedisChannel.class);

  private final ChannelTopic topic;
  private final ReactiveStringRedisTemplate redis;
  private final Duration publishTimeout;
  private final ReactiveRedisConnectionFactory connections;
  private volatile @Nullable ReactiveRedisMessageListenerContainer container;
  private volatile @Nullable Disposable listening;

  public RedisChannel(
      String name,
      ReactiveRedisConnectionFactory connections,
      ReactiveStringRedisTemplate redis,
      Duration publishTimeout) {
    this.topic = ChannelTopic.of(name);
    this.connections = connections;
    this.redis = redis;
    this.publishTimeout = publishTimeout;
  }

  /**
   * Starts listening, re-subscribing after a Redis outage. The container connects when it is made,
   * so it is made inside the retry (off the event loop: connecting blocks): an instance started
   * while Redis is down starts, and listens once Redis is back. Only the making runs on {@code
   * boundedElastic}: a subscription on it would hold one of its threads for as long as it listens,
   * and once all are held, a task queues behind a busy one.
   */
  public void listen(Consumer<String> receiver) {
    listening =
        Mono.fromCallable(() -> new ReactiveRedisMessageListenerContainer(connections))
            .subscribeOn(Schedulers.boundedElastic())
            .flatMapMany(
                listener -> {
                  container = listener;
                  return listener
                      .receive(topic)
                      .doFinally(signal -> listener.destroyLater().subscribe());
                })
            .retryWhen(
                Retry.backoff(Long.MAX_VALUE, Duration.ofMillis(200))
                    .maxBackoff(Duration.ofSeconds(5)))
            .subscribe(
                message -> {
                  // a message that cannot be handled must not end the listening
                  try {
                    receiver.accept(message.getMessage());
                  } catch (RuntimeException e) {
                    log.warn("A message on " + topic.getTopic() + " could not be handled", e);
                  }
                });
  }

  /** Publishes, failing after the publish timeout; the caller decides what a failure costs. */
  public Mono<Long> publish(String message) {
    return redis.convertAndSend(topic.getTopic(), message).timeout(publishTimeout);
  }

  public void close() {
    var subscription = listening;
    if (subscription != null) {
      subscription.dispose();
    }
    var listener = container;
    if (listener != null) {
      listener.destroyLater().subscribe();
    }
  }
}
