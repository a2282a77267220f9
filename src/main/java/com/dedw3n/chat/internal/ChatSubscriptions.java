package com.dedw3n.chat.internal;

import com.dedw3n.platform.graphql.ApiException;
import com.dedw3n.platform.graphql.ErrorKind;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BiFunction;
import java.util.function.ToLongFunction;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import org.jspecify.annotations.Nullable;
import org.springframework.beans.factory.DisposableBean;
import org.springframework.stereotype.Component;
import reactor.core.Disposable;
import reactor.core.publisher.BufferOverflowStrategy;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.publisher.Sinks;

/**
 * The live streams behind the chat subscriptions, and the guarantee that they lose nothing.
 *
 * <p>Every message has a gapless number in its conversation and in each participant's inbox. A
 * stream starts from the number the client last saw: it first reads from PostgreSQL everything
 * after it, then follows notifications from the {@link ChatBus}. A notification that is the next
 * number is emitted as it is; one that skips numbers makes the stream read the skipped messages
 * from PostgreSQL first; an old one is dropped. A notification that never arrives is caught by the
 * sweep, which periodically reads the newest numbers of the conversations and inboxes that have
 * subscribers here and feeds them in as if notified.
 *
 * <p>Each subscription buffers at most {@link ChatSettings#subscriptionBuffer()} events for a
 * client that does not keep up, then ends with an error that tells it to resume from its last
 * cursor: memory stays bounded and nothing is dropped silently.
 */
@Component
class ChatSubscriptions implements DisposableBean {

  private static final Log log = LogFactory.getLog(ChatSubscriptions.class);

  private final Conversations conversations;
  private final ChatSettings settings;
  private final Flux<ChatEvent> events;
  private final Sinks.Many<ChatEvent> heads = Sinks.many().multicast().directBestEffort();
  private final Map<Long, AtomicInteger> watchedConversations = new ConcurrentHashMap<>();
  private final Map<Long, AtomicInteger> watchedInboxes = new ConcurrentHashMap<>();
  private final Disposable sweeping;

  ChatSubscriptions(Conversations conversations, ChatBus bus, ChatSettings settings) {
    this.conversations = conversations;
    this.settings = settings;
    this.events = Flux.merge(bus.events(), heads.asFlux());
    this.sweeping =
        Flux.interval(settings.sweepInterval())
            .onBackpressureDrop()
            .concatMap(tick -> sweep().onErrorResume(e -> logged(e)), 1)
            .subscribe();
  }

  /** The messages of a conversation after number {@code after}, then live. */
  Flux<Message> conversation(long conversationId, long after) {
    Flux<Signal<Message>> live =
        events
            .filter(
                e ->
                    e.conversationId() == conversationId
                        && (e.kind() == ChatEvent.Kind.MESSAGE
                            || e.kind() == ChatEvent.Kind.CONVERSATION_HEAD))
            .map(e -> new Signal<>(e.head(), e.message()));
    return watched(
        watchedConversations,
        conversationId,
        sequenced(
            after,
            live,
            (from, to) -> conversations.messagesBetween(conversationId, from, to),
            Message::seq));
  }

  /** A user's inbox after number {@code after}, then live. */
  Flux<InboxMessage> inbox(long userId, long after) {
    Flux<Signal<InboxMessage>> live =
        events.<Signal<InboxMessage>>handle(
            (e, sink) -> {
              if (e.kind() == ChatEvent.Kind.MESSAGE
                  && e.inboxSeqs() != null
                  && e.inboxSeqs().containsKey(userId)) {
                long seq = e.inboxSeqs().get(userId);
                sink.next(new Signal<>(seq, new InboxMessage(seq, e.message())));
              } else if (e.kind() == ChatEvent.Kind.INBOX_HEAD && e.userId() == userId) {
                sink.next(new Signal<>(e.head(), null));
              }
            });
    return watched(
        watchedInboxes,
        userId,
        sequenced(
            after,
            live,
            (from, to) -> conversations.inboxBetween(userId, from, to),
            InboxMessage::inboxSeq));
  }

  /** Who starts typing in a conversation, live only. */
  Flux<ChatEvent> typing(long conversationId) {
    return events
        .filter(e -> e.kind() == ChatEvent.Kind.TYPING && e.conversationId() == conversationId)
        .onBackpressureLatest();
  }

  /**
   * Turns notifications into a gapless, duplicate-free stream. {@code fetch(from, to)} reads the
   * items numbered from..to (inclusive) in order; a catch-up signal with head {@code
   * Long.MAX_VALUE} starts the stream with everything stored after {@code after}.
   */
  private <T> Flux<T> sequenced(
      long after,
      Flux<Signal<T>> live,
      BiFunction<Long, Long, Flux<T>> fetch,
      ToLongFunction<T> seqOf) {
    return Flux.defer(
        () -> {
          AtomicLong last = new AtomicLong(after);
          // A full buffer cuts the stream at once: an error held back behind a buffer that a
          // stalled client never drains would never reach it.
          Sinks.One<Boolean> overflow = Sinks.one();
          Flux<Signal<T>> signals =
              Flux.merge(
                  live.onBackpressureBuffer(
                      settings.subscriptionBuffer(),
                      dropped -> overflow.tryEmitValue(true),
                      BufferOverflowStrategy.DROP_LATEST),
                  Mono.just(new Signal<T>(Long.MAX_VALUE, null)));
          return signals
              .concatMap(
                  signal -> {
                    long seen = last.get();
                    if (signal.head() <= seen) {
                      return Flux.<T>empty();
                    }
                    Flux<T> items =
                        signal.item() != null && signal.head() == seen + 1
                            ? Flux.just(signal.item())
                            : fetch.apply(seen + 1, signal.head());
                    return items
                        .filter(item -> seqOf.applyAsLong(item) > last.get())
                        .doOnNext(item -> last.set(seqOf.applyAsLong(item)));
                  })
              .takeUntilOther(overflow.asMono())
              .concatWith(
                  Mono.defer(
                      () ->
                          overflow.scan(reactor.core.Scannable.Attr.TERMINATED) == Boolean.TRUE
                              ? Mono.error(slowConsumer())
                              : Mono.empty()));
        });
  }

  private ApiException slowConsumer() {
    return new ApiException(
        ErrorKind.CONFLICT,
        "This subscription fell "
            + settings.subscriptionBuffer()
            + " events behind and was closed; subscribe again with `after` set to the cursor of"
            + " the last message you received.");
  }

  /** Counts the subscribers of a conversation or inbox, for the sweep. */
  private static <T> Flux<T> watched(Map<Long, AtomicInteger> watched, long id, Flux<T> stream) {
    return Flux.defer(
        () -> {
          watched.computeIfAbsent(id, k -> new AtomicInteger()).incrementAndGet();
          return stream.doFinally(
              signal ->
                  watched.computeIfPresent(id, (k, n) -> n.decrementAndGet() <= 0 ? null : n));
        });
  }

  /** How many conversations and inboxes have subscribers here (for diagnostics). */
  Map<String, Integer> watched() {
    return Map.of("conversations", watchedConversations.size(), "inboxes", watchedInboxes.size());
  }

  /** Feeds the newest numbers of every watched conversation and inbox to their subscribers. */
  Mono<Void> sweep() {
    Mono<Void> conversationHeads =
        watchedConversations.isEmpty()
            ? Mono.empty()
            : conversations
                .conversationHeads(watchedConversations.keySet())
                .doOnNext(h -> emit(ChatEvent.conversationHead(h.getKey(), h.getValue())))
                .then();
    Mono<Void> inboxHeads =
        watchedInboxes.isEmpty()
            ? Mono.empty()
            : conversations
                .inboxHeads(watchedInboxes.keySet())
                .doOnNext(h -> emit(ChatEvent.inboxHead(h.getKey(), h.getValue())))
                .then();
    return conversationHeads.then(inboxHeads);
  }

  private void emit(ChatEvent event) {
    heads.emitNext(event, Sinks.EmitFailureHandler.busyLooping(Duration.ofSeconds(1)));
  }

  private static Mono<Void> logged(Throwable e) {
    log.warn("Chat sweep failed; the next one retries: " + e);
    return Mono.empty();
  }

  @Override
  public void destroy() {
    sweeping.dispose();
  }

  /** A notification: the stream's source has come up to {@code head}; item when it is that one. */
  private record Signal<T>(long head, @Nullable T item) {}
}
