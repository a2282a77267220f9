package com.dedw3n.chat.internal;

import com.dedw3n.platform.graphql.ApiException;
import com.dedw3n.platform.graphql.Ids;
import com.dedw3n.platform.graphql.KeysetCursors;
import com.dedw3n.platform.security.Viewer;
import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import jakarta.validation.constraints.PositiveOrZero;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.jspecify.annotations.Nullable;
import org.springframework.graphql.data.method.annotation.Argument;
import org.springframework.graphql.data.method.annotation.BatchMapping;
import org.springframework.graphql.data.method.annotation.MutationMapping;
import org.springframework.graphql.data.method.annotation.SubscriptionMapping;
import org.springframework.stereotype.Controller;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/** Realtime chat: message and inbox subscriptions with resume, typing indicators, read state. */
@Controller
class ChatRealtimeController {

  private final Conversations conversations;
  private final ChatSubscriptions subscriptions;
  private final ChatBus bus;
  private final ChatSettings settings;
  // who was published typing where by this instance, for typing-repeat: bounded, as each entry
  // is a participant who said so in the last second
  private final Cache<Typist, Boolean> recentlyPublished;

  ChatRealtimeController(
      Conversations conversations,
      ChatSubscriptions subscriptions,
      ChatBus bus,
      ChatSettings settings) {
    this.conversations = conversations;
    this.subscriptions = subscriptions;
    this.bus = bus;
    this.settings = settings;
    this.recentlyPublished =
        Caffeine.newBuilder()
            .expireAfterWrite(settings.typingRepeat())
            .maximumSize(100_000)
            .build();
  }

  @SubscriptionMapping
  Flux<Message> messageAdded(@Argument String conversationId, @Argument String after) {
    long id = Ids.parse("conversationId", conversationId);
    Long resumeAfter = after == null ? null : KeysetCursors.read(after, "seq");
    return participant(id)
        .flatMapMany(
            conversation ->
                outOfRange(resumeAfter, conversation.lastSeq())
                    ? Flux.<Message>error(notGivenHere(conversation.lastSeq(), "conversation"))
                    : subscriptions.conversation(
                        id,
                        resumeAfter != null ? resumeAfter : conversation.lastSeq(),
                        conversation.lastSeq()));
  }

  /**
   * Whether {@code after} is a number this conversation (or inbox) cannot have given: past its
   * newest message, most likely another's cursor, from which resuming would skip every message up
   * to it without a word; or below 0.
   */
  private static boolean outOfRange(@Nullable Long after, long newest) {
    return after != null && (after < 0 || after > newest);
  }

  private static ApiException notGivenHere(long newest, String of) {
    return ApiException.badRequest(
        "`after` is not the cursor of a message of this "
            + of
            + " (its newest is number "
            + newest
            + "): pass the cursor of a message this "
            + of
            + " gave you, or none to start from now.");
  }

  @SubscriptionMapping
  Flux<InboxMessage> inbox(@Argument String after) {
    Long resumeAfter = after == null ? null : KeysetCursors.read(after, "inbox");
    return Viewer.requireId()
        .flatMapMany(
            user ->
                conversations
                    .inboxHeads(List.of(user))
                    .next()
                    .map(Map.Entry::getValue)
                    .defaultIfEmpty(0L)
                    .flatMapMany(
                        head ->
                            outOfRange(resumeAfter, head)
                                ? Flux.<InboxMessage>error(notGivenHere(head, "inbox"))
                                : subscriptions.inbox(
                                    user, resumeAfter != null ? resumeAfter : head, head)));
  }

  @SubscriptionMapping
  Flux<TypingIndicator> typing(@Argument String conversationId) {
    long id = Ids.parse("conversationId", conversationId);
    return Viewer.requireId()
        .flatMapMany(
            viewer ->
                participant(id)
                    .flatMapMany(c -> subscriptions.typing(id))
                    .filter(event -> event.userId() != viewer)
                    .map(
                        event ->
                            new TypingIndicator(
                                id,
                                event.userId(),
                                event.until().atOffset(ZoneOffset.UTC),
                                event.typist())));
  }

  /**
   * Tells the other participants that the caller is typing; it expires by itself. One statement,
   * which checks that the caller takes part and reads them for the event, so that its subscribers
   * read nothing; said again within {@code dedw3n.chat.typing-repeat} (1 s) of a publish from this
   * instance, it is answered true and neither read nor published (the indicator already lasts 5 s).
   */
  @MutationMapping
  Mono<Boolean> setTyping(@Argument String conversationId) {
    long id = Ids.parse("conversationId", conversationId);
    return Viewer.requireId()
        .flatMap(
            viewer -> {
              var typist = new Typist(id, viewer);
              if (recentlyPublished.getIfPresent(typist) != null) {
                return Mono.just(true);
              }
              return conversations
                  .participant(id, viewer)
                  .switchIfEmpty(Mono.error(ChatRealtimeController::notAParticipant))
                  .map(
                      user -> {
                        recentlyPublished.put(typist, true);
                        bus.publish(
                            ChatEvent.typing(id, user, Instant.now().plus(settings.typingFor())));
                        return true;
                      });
            });
  }

  /** A participant of a conversation, as {@link #recentlyPublished} knows them. */
  private record Typist(long conversationId, long userId) {}

  @MutationMapping
  Mono<Conversation> markRead(
      @Argument String conversationId,
      @Argument @PositiveOrZero(message = "must be a message seq, 0 or more") int upTo) {
    long id = Ids.parse("conversationId", conversationId);
    return Viewer.requireId()
        .flatMap(viewer -> conversations.markRead(id, viewer, upTo))
        .switchIfEmpty(Mono.error(() -> ApiException.notFound("Conversation", conversationId)))
        .then(Mono.defer(() -> Viewer.requireId()))
        .flatMap(viewer -> conversations.visible(List.of(id), viewer).next());
  }

  /** Messages of the conversation after what the viewer has read; one statement per page. */
  @BatchMapping
  Mono<Map<Conversation, Integer>> unreadCount(List<Conversation> page) {
    return Viewer.requireId()
        .flatMap(
            viewer ->
                conversations
                    .readUpTo(viewer, page.stream().map(Conversation::id).toList())
                    .collectMap(Map.Entry::getKey, Map.Entry::getValue))
        .map(
            read ->
                page.stream()
                    .collect(
                        Collectors.toMap(
                            c -> c,
                            c -> (int) Math.max(0, c.lastSeq() - read.getOrDefault(c.id(), 0L)),
                            (a, b) -> a)));
  }

  /** The conversation, when the caller takes part in it; FORBIDDEN otherwise. */
  private Mono<Conversation> participant(long conversationId) {
    return Viewer.requireId()
        .flatMap(viewer -> conversations.visible(List.of(conversationId), viewer).next())
        .switchIfEmpty(Mono.error(ChatRealtimeController::notAParticipant));
  }

  private static ApiException notAParticipant() {
    return ApiException.forbidden("You do not take part in this conversation.");
  }
}
