package com.dedw3n.chat.internal;

import com.dedw3n.platform.SerialSink;
import com.dedw3n.platform.db.RequestStatements;
import com.dedw3n.platform.graphql.ApiException;
import com.dedw3n.platform.graphql.ErrorKind;
import com.dedw3n.user.User;
import com.dedw3n.user.Users;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BiFunction;
import java.util.function.Function;
import java.util.function.ToLongFunction;
import java.util.stream.Collectors;
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
 * <p>Every message has a gapless number in its conversation and in each participant's inbox. Each
 * conversation and inbox with subscribers here has one {@link Feed} on this instance, which all its
 * subscribers share: it turns the notifications of the {@link ChatBus} into its items in order. A
 * notification that is the next number is emitted as it is, carrying everything a subscriber shows
 * (the message with its sender and conversation); one that skips numbers makes the feed read the
 * skipped messages from PostgreSQL first, once for all its subscribers; an old one is dropped. A
 * notification that never arrives is caught by the sweep, which periodically reads the newest
 * numbers of the conversations and inboxes that have feeds here and feeds them in as if notified.
 * So what a message costs here does not grow with its subscribers.
 *
 * <p>A stream starts from the number the client last saw: it joins the feed, then reads from
 * PostgreSQL everything after that number (everything the feed had emitted before is committed, so
 * it is in that read), then follows the feed, dropping what the read already gave it.
 *
 * <p>Each subscription buffers at most {@link ChatSettings#subscriptionBuffer()} events for a
 * client that does not keep up, then ends with an error that tells it to resume from its last
 * cursor: memory stays bounded and nothing is dropped silently.
 */
@Component
class ChatSubscriptions implements DisposableBean {

  private static final Log log = LogFactory.getLog(ChatSubscriptions.class);

  /** Rows a catch-up read takes at once (with their senders: one more statement a page). */
  static final int CATCH_UP_PAGE = 256;

  private final Conversations conversations;
  private final Users users;
  private final ChatSettings settings;
  private final Flux<ChatEvent> events;
  private final Map<Long, Feed<Message>> conversationFeeds = new ConcurrentHashMap<>();
  private final Map<Long, Feed<InboxMessage>> inboxFeeds = new ConcurrentHashMap<>();
  private final Disposable dispatching;
  private final Disposable sweeping;

  ChatSubscriptions(Conversations conversations, Users users, ChatBus bus, ChatSettings settings) {
    this.conversations = conversations;
    this.users = users;
    this.settings = settings;
    this.events = bus.events();
    this.dispatching = events.subscribe(this::dispatch);
    this.sweeping =
        Flux.interval(settings.sweepInterval())
            .onBackpressureDrop()
            .concatMap(
                tick ->
                    RequestStatements.bounded("The chat sweep", settings.readTimeout(), sweep())
                        .onErrorResume(e -> logged(e)),
                1)
            .subscribe();
  }

  /**
   * The messages of a conversation after number {@code after}, then live. {@code head} is the
   * conversation's newest number, read before this call: where this instance's feed of it starts
   * when it has none yet.
   */
  Flux<Message> conversation(long conversationId, long after, long head) {
    BiFunction<Long, Long, Flux<Message>> fetch =
        (from, to) ->
            withSenders(
                conversations.messagesBetween(conversationId, from, to),
                Function.identity(),
                (message, sent) -> sent);
    return followed(conversationFeeds, conversationId, head, fetch, Message::seq, after);
  }

  /**
   * A user's inbox after number {@code after}, then live; {@code head} is the inbox's newest
   * number, read before this call.
   */
  Flux<InboxMessage> inbox(long userId, long after, long head) {
    BiFunction<Long, Long, Flux<InboxMessage>> fetch =
        (from, to) ->
            withSenders(
                conversations.inboxBetween(userId, from, to),
                InboxMessage::message,
                (item, sent) -> new InboxMessage(item.inboxSeq(), sent));
    return followed(inboxFeeds, userId, head, fetch, InboxMessage::inboxSeq, after);
  }

  /**
   * The items read, their messages carrying their senders: one statement for all the senders of a
   * read, which a feed makes once for all its subscribers, instead of one per subscriber.
   */
  private <T> Flux<T> withSenders(
      Flux<T> read, Function<T, Message> messageOf, BiFunction<T, Message, T> withMessage) {
    return read.collectList()
        .flatMapMany(
            items -> {
              if (items.isEmpty()) {
                return Flux.empty();
              }
              Set<Long> senders =
                  items.stream()
                      .map(i -> messageOf.apply(i).senderId())
                      .collect(Collectors.toSet());
              return users
                  .findAllById(senders)
                  .collectMap(User::id)
                  .flatMapIterable(
                      byId ->
                          items.stream()
                              .map(
                                  i -> {
                                    Message m = messageOf.apply(i);
                                    User sender = byId.get(m.senderId());
                                    return sender == null
                                        ? i
                                        : withMessage.apply(i, m.withSender(sender));
                                  })
                              .toList());
            });
  }

  /** Hands a notification to the feeds it concerns; never fails (that would end dispatching). */
  private void dispatch(ChatEvent event) {
    try {
      switch (event.kind()) {
        case MESSAGE -> {
          Message message = event.message();
          offer(conversationFeeds, event.conversationId(), event.head(), message);
          if (message != null && event.inboxSeqs() != null) {
            event
                .inboxSeqs()
                .forEach(
                    (user, seq) -> offer(inboxFeeds, user, seq, new InboxMessage(seq, message)));
          }
        }
        case TYPING -> {}
      }
    } catch (RuntimeException e) {
      log.warn("Chat event not dispatched; the sweep recovers it: " + e);
    }
  }

  private static <T> void offer(Map<Long, Feed<T>> feeds, long key, long head, @Nullable T item) {
    Feed<T> feed = feeds.get(key);
    if (feed != null) {
      feed.offer(new Signal<>(head, item));
    }
  }

  /** Who starts typing in a conversation, live only. */
  Flux<ChatEvent> typing(long conversationId) {
    return events
        .filter(e -> e.kind() == ChatEvent.Kind.TYPING && e.conversationId() == conversationId)
        .onBackpressureLatest();
  }

  /**
   * A subscriber's gapless, duplicate-free stream: joins the feed of {@code key} (creating it at
   * {@code head}), reads everything stored after {@code after}, then follows the feed. The feed's
   * items come in order; should one still skip numbers (it cannot, as the class comment explains),
   * the stream reads the skipped ones itself rather than lose them. {@code fetch(from, to)} reads
   * the items numbered from..to (inclusive) in order.
   */
  private <T> Flux<T> followed(
      Map<Long, Feed<T>> feeds,
      long key,
      long head,
      BiFunction<Long, Long, Flux<T>> fetch,
      ToLongFunction<T> seqOf,
      long after) {
    return Flux.defer(
        () -> {
          Feed<T> feed =
              feeds.compute(
                  key,
                  (k, existing) -> {
                    Feed<T> joined =
                        existing != null
                            ? existing
                            : new Feed<>(head, fetch, seqOf, settings.readTimeout());
                    joined.subscribers++;
                    return joined;
                  });
          Flux<Signal<T>> live =
              feed.items().map(item -> new Signal<>(seqOf.applyAsLong(item), item));
          return sequenced(after, live, fetch, seqOf)
              .doFinally(
                  signal ->
                      feeds.computeIfPresent(
                          key,
                          (k, joined) -> {
                            if (--joined.subscribers > 0) {
                              return joined;
                            }
                            joined.close();
                            return null;
                          }));
        });
  }

  /**
   * Turns notifications into a gapless, duplicate-free stream. {@code fetch(from, to)} reads the
   * items numbered from..to (inclusive) in order; a catch-up signal with head {@code
   * Long.MAX_VALUE} starts the stream with everything stored after {@code after}, read after the
   * live notifications are subscribed to.
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
                            : paged(fetch, seen + 1, signal.head(), seqOf, settings.readTimeout());
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

  /**
   * Reads the items numbered from..to in pages of {@link #CATCH_UP_PAGE}, never more than a page
   * ahead of what went downstream (the next is read as one is handed over): a client that resumes a
   * week behind holds two pages in memory, not its week, and no read outlasts the statement
   * timeout. A page shorter than asked for is the end of what is stored (the numbers have no gaps;
   * were one missing, the next notification's gap read would fetch the rest). A loop, not a chain
   * of pages each nested in the one before, which would keep every page until the last.
   */
  private static <T> Flux<T> paged(
      BiFunction<Long, Long, Flux<T>> fetch,
      long from,
      long to,
      ToLongFunction<T> seqOf,
      Duration readTimeout) {
    return Flux.defer(
        () -> {
          AtomicLong next = new AtomicLong(from);
          AtomicBoolean more = new AtomicBoolean(true);
          return Mono.defer(
                  () -> {
                    long start = next.get();
                    // no overflow: start + page - 1 past to only where to is near Long.MAX_VALUE
                    long end = start > to - (CATCH_UP_PAGE - 1) ? to : start + CATCH_UP_PAGE - 1;
                    // a silent connection is given up at the deadline; a subscriber that leaves
                    // first gives its connection back to the pool
                    return RequestStatements.bounded(
                            "A chat read", readTimeout, fetch.apply(start, end).collectList())
                        .doOnNext(
                            page -> {
                              more.set(end != to && page.size() == end - start + 1);
                              if (!page.isEmpty()) {
                                next.set(seqOf.applyAsLong(page.get(page.size() - 1)) + 1);
                              }
                            });
                  })
              .repeat(more::get)
              .concatMapIterable(page -> page, 1);
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

  /** How many subscribers here follow the conversation; 0 when its feed is closed (diagnostics). */
  int followers(long conversationId) {
    Feed<Message> feed = conversationFeeds.get(conversationId);
    return feed == null ? 0 : feed.subscribers;
  }

  /** Whether a subscriber here follows the user's inbox: its feed is open (for diagnostics). */
  boolean followsInbox(long userId) {
    return inboxFeeds.containsKey(userId);
  }

  /** How many conversations and inboxes have subscribers here (for diagnostics). */
  Map<String, Integer> watched() {
    return Map.of("conversations", conversationFeeds.size(), "inboxes", inboxFeeds.size());
  }

  /** Feeds the newest numbers of every watched conversation and inbox to their feeds. */
  Mono<Void> sweep() {
    Mono<Void> conversationHeads =
        conversationFeeds.isEmpty()
            ? Mono.empty()
            : conversations
                .conversationHeads(conversationFeeds.keySet())
                .doOnNext(h -> offer(conversationFeeds, h.getKey(), h.getValue(), null))
                .then();
    Mono<Void> inboxHeads =
        inboxFeeds.isEmpty()
            ? Mono.empty()
            : conversations
                .inboxHeads(inboxFeeds.keySet())
                .doOnNext(h -> offer(inboxFeeds, h.getKey(), h.getValue(), null))
                .then();
    return conversationHeads.then(inboxHeads);
  }

  private static Mono<Void> logged(Throwable e) {
    log.warn("Chat read failed; the next notification or sweep retries: " + e);
    return Mono.empty();
  }

  @Override
  public void destroy() {
    sweeping.dispose();
    dispatching.dispose();
  }

  /**
   * The items of one conversation (or inbox) on this instance, in order and without gaps from where
   * it started, shared by all its subscribers here: whatever a notification costs (reading what it
   * skipped) is paid once here, not once per subscriber. Its signals are handled one at a time; a
   * read that fails leaves it where it was, and the next notification or sweep reads again.
   */
  private static final class Feed<T> {

    // offered by the bus and by the sweep, on different threads: neither waits for the other
    private final SerialSink<Signal<T>> signals = SerialSink.unicast();
    private final Sinks.Many<T> items = Sinks.many().multicast().directBestEffort();
    private final Disposable ordering;

    /** Subscribers here; changed only inside the feeds map's compute, read by followers(). */
    volatile int subscribers;

    /** The newest number emitted; written only by {@link #ordering}, one signal at a time. */
    private long last;

    Feed(
        long head,
        BiFunction<Long, Long, Flux<T>> fetch,
        ToLongFunction<T> seqOf,
        Duration readTimeout) {
      this.last = head;
      this.ordering =
          signals
              .asFlux()
              .concatMap(
                  signal -> {
                    if (signal.head() <= last) {
                      return Mono.<Void>empty();
                    }
                    Flux<T> next =
                        signal.item() != null && signal.head() == last + 1
                            ? Flux.just(signal.item())
                            : paged(fetch, last + 1, signal.head(), seqOf, readTimeout);
                    return next.filter(item -> seqOf.applyAsLong(item) > last)
                        .doOnNext(
                            item -> {
                              last = seqOf.applyAsLong(item);
                              items.emitNext(
                                  item,
                                  Sinks.EmitFailureHandler.busyLooping(Duration.ofSeconds(1)));
                            })
                        .then()
                        .onErrorResume(ChatSubscriptions::logged);
                  })
              .subscribe();
    }

    /** Takes a notification; any thread. */
    void offer(Signal<T> signal) {
      signals.emit(signal);
    }

    /** The items from now on; each subscriber buffers them itself (it never stops demand here). */
    Flux<T> items() {
      return items.asFlux();
    }

    void close() {
      ordering.dispose();
    }
  }

  /** A notification: the stream's source has come up to {@code head}; item when it is that one. */
  private record Signal<T>(long head, @Nullable T item) {}
}
