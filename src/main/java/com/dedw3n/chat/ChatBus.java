package com.dedw3n.chat;

import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * Carries chat events between server instances: through Redis pub/sub when {@code REDIS_URL} is set
 * ({@link RedisChatBus}), in process when the server runs alone ({@link LocalChatBus}). Delivery is
 * best effort; subscribers recover anything lost from PostgreSQL (see {@link ChatSubscriptions}).
 */
interface ChatBus {

  /** Sends an event to every instance, this one included. Never fails: loss is recovered. */
  Mono<Void> publish(ChatEvent event);

  /** Every event any instance published, as it arrives here; hot, never completes. */
  Flux<ChatEvent> events();
}
