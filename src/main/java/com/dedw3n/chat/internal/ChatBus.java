package com.dedw3n.chat.internal;

import reactor.core.publisher.Flux;

/**
 * Carries chat events between server instances: through Redis pub/sub when {@code REDIS_URL} is set
 * ({@link RedisChatBus}), in process when the server runs alone ({@link LocalChatBus}). Delivery is
 * best effort; subscribers recover anything lost from PostgreSQL (see {@link ChatSubscriptions}).
 */
interface ChatBus {

  /**
   * Sends an event to every instance, this one included, without making the caller wait: a message
   * is already committed when it is published, and a send must not wait for Redis. Never fails: a
   * notification that does not arrive is recovered by subscribers from PostgreSQL.
   */
  void publish(ChatEvent event);

  /** Every event any instance published, as it arrives here; hot, never completes. */
  Flux<ChatEvent> events();
}
