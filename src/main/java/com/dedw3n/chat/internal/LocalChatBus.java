package com.dedw3n.chat.internal;

import com.dedw3n.platform.SerialSink;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBooleanProperty;
import org.springframework.stereotype.Component;
import reactor.core.publisher.Flux;

/** The chat bus of a server that runs alone: events go straight to this instance's subscribers. */
@Component
@ConditionalOnBooleanProperty(
    name = "dedw3n.redis.enabled",
    havingValue = false,
    matchIfMissing = true)
class LocalChatBus implements ChatBus {

  // sends commit on several of the driver's event loops at once: none may wait for another
  private final SerialSink<ChatEvent> sink = SerialSink.multicast();

  @Override
  public void publish(ChatEvent event) {
    sink.emit(event);
  }

  @Override
  public Flux<ChatEvent> events() {
    return sink.asFlux();
  }
}
