package com.dedw3n.chat.internal;

import java.time.Duration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBooleanProperty;
import org.springframework.stereotype.Component;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Sinks;

/** The chat bus of a server that runs alone: events go straight to this instance's subscribers. */
@Component
@ConditionalOnBooleanProperty(
    name = "dedw3n.redis.enabled",
    havingValue = false,
    matchIfMissing = true)
class LocalChatBus implements ChatBus {

  private final Sinks.Many<ChatEvent> sink = Sinks.many().multicast().directBestEffort();

  @Override
  public void publish(ChatEvent event) {
    sink.emitNext(event, Sinks.EmitFailureHandler.busyLooping(Duration.ofSeconds(1)));
  }

  @Override
  public Flux<ChatEvent> events() {
    return sink.asFlux();
  }
}
