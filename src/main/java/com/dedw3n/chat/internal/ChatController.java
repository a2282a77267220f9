package com.dedw3n.chat.internal;

import com.dedw3n.platform.budget.Action;
import com.dedw3n.platform.budget.Budgets;
import com.dedw3n.platform.graphql.ApiException;
import com.dedw3n.platform.graphql.DataLoaders;
import com.dedw3n.platform.graphql.ErrorKind;
import com.dedw3n.platform.graphql.IdempotencyKey;
import com.dedw3n.platform.graphql.Ids;
import com.dedw3n.platform.graphql.Inputs;
import com.dedw3n.platform.graphql.NestedPages;
import com.dedw3n.platform.graphql.Page;
import com.dedw3n.platform.graphql.Selections;
import com.dedw3n.platform.graphql.Text;
import com.dedw3n.platform.security.Viewer;
import com.dedw3n.user.User;
import com.dedw3n.user.Users;
import graphql.schema.DataFetchingEnvironment;
import jakarta.validation.constraints.NotEmpty;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.stream.Collectors;
import org.jspecify.annotations.Nullable;
import org.springframework.dao.DuplicateKeyException;
import org.springframework.data.domain.KeysetScrollPosition;
import org.springframework.data.domain.Window;
import org.springframework.graphql.data.federation.EntityMapping;
import org.springframework.graphql.data.method.annotation.Argument;
import org.springframework.graphql.data.method.annotation.BatchMapping;
import org.springframework.graphql.data.method.annotation.MutationMapping;
import org.springframework.graphql.data.method.annotation.QueryMapping;
import org.springframework.graphql.data.method.annotation.SchemaMapping;
import org.springframework.stereotype.Controller;
import reactor.core.publisher.Mono;

/**
 * Private chat: conversations and their messages, readable and writable by participants only; the
 * {@code Conversation} and {@code Message} entities.
 */
@Controller
class ChatController {

  static final int MAX_PARTICIPANTS = 50;

  /** {@code Conversation.messages}: a page is {@code last} (default 50) messages {@code before}. */
  private static final int MESSAGES_DEFAULT = 50;

  private final Conversations conversations;
  private final ChatBatchLoaders loaders;
  private final Users users;
  private final ChatBus bus;
  private final Budgets budgets;

  ChatController(
      Conversations conversations,
      ChatBatchLoaders loaders,
      Users users,
      ChatBus bus,
      Budgets budgets) {
    this.conversations = conversations;
    this.loaders = loaders;
    this.users = users;
    this.bus = bus;
    this.budgets = budgets;
  }

  /**
   * The conversation, when the viewer takes part in it; read with the first page of its messages
   * when the query selects that: one statement, whose messages the messages field then finds in its
   * DataLoader.
   */
  @QueryMapping
  Mono<Conversation> conversation(@Argument String id, DataFetchingEnvironment env) {
    long conversationId = Ids.parse("id", id);
    var messages =
        NestedPages.Ahead.of(
            env, "messages", "last", "before", MESSAGES_DEFAULT, "sender", "hasPreviousPage");
    return Viewer.requireId()
        .flatMap(
            viewer ->
                messages == null
                    ? conversations.visible(List.of(conversationId), viewer).next()
                    : conversations
                        .visibleWithMessages(
                            conversationId, viewer, messages.page().fetchSize(), messages.join())
                        .map(
                            read ->
                                loaders
                                    .messages
                                    .prime(
                                        env,
                                        ChatBatchLoaders.CONVERSATION_MESSAGES,
                                        messages,
                                        List.of(read),
                                        Conversation::id)
                                    .get(0)))
        // someone else's conversation is indistinguishable from none
        .switchIfEmpty(Mono.error(() -> ApiException.notFound("Conversation", id)));
  }

  @QueryMapping
  Mono<Window<Conversation>> myConversations(@Argument Integer first, @Argument String after) {
    Page page = Page.of("first", first, 20, after);
    return Viewer.requireId()
        .flatMap(viewer -> conversations.ofUser(viewer, page).collectList())
        .map(rows -> page.window(rows, c -> Page.key(c.lastMessageAt(), c.id())));
  }

  /** Two statements for every conversation on the page: participant ids, then the users. */
  @BatchMapping
  Mono<Map<Conversation, List<User>>> participants(List<Conversation> page) {
    return conversations
        .participants(page.stream().map(Conversation::id).toList())
        .collectMultimap(pair -> pair[0], pair -> pair[1])
        .flatMap(
            idsByConversation ->
                users
                    .findAllById(
                        idsByConversation.values().stream()
                            .flatMap(Collection::stream)
                            .collect(Collectors.toSet()))
                    .collectMap(User::id)
                    .map(
                        byId ->
                            page.stream()
                                .collect(
                                    Collectors.toMap(
                                        c -> c,
                                        c ->
                                            idsByConversation
                                                .getOrDefault(c.id(), List.of())
                                                .stream()
                                                .map(byId::get)
                                                .toList(),
                                        (a, b) -> a))));
  }

  /** A page of messages, read with their senders when the query selects them. */
  @SchemaMapping
  CompletableFuture<Window<Message>> messages(
      Conversation conversation,
      @Argument Integer last,
      @Argument String before,
      DataFetchingEnvironment env) {
    Page page =
        Page.of("last", last, MESSAGES_DEFAULT, before)
            .within(List.of("seq"))
            .peeking(Selections.selects(env, "pageInfo", "hasPreviousPage"));
    return DataLoaders.<NestedPages.Key, Window<Message>>named(
            env, ChatBatchLoaders.CONVERSATION_MESSAGES)
        .load(
            new NestedPages.Key(
                conversation.id(), page, Selections.selects(env, "edges", "node", "sender")))
        .thenApply(ChatController::backward);
  }

  /**
   * Relay's backward paging: the loader reads newest first (the last {@code last} before the
   * cursor); the page is answered in chronological order, its positions scrolling backward, so that
   * pageInfo says hasPreviousPage (older messages exist) and startCursor (the oldest edge: pass it
   * as {@code before}), as Apollo Client's and Relay's pagination helpers read them.
   */
  static Window<Message> backward(Window<Message> newestFirst) {
    int n = newestFirst.size();
    List<Message> chronological = new ArrayList<>(newestFirst.getContent());
    Collections.reverse(chronological);
    return Window.from(
        chronological,
        // backward() keeps the position's own keys: no map copied for every message of the page
        index -> ((KeysetScrollPosition) newestFirst.positionAt(n - 1 - index)).backward(),
        newestFirst.hasNext());
  }

  @MutationMapping
  Mono<Conversation> startConversation(
      @Argument @NotEmpty(message = "must name at least one other user")
          List<String> participantIds) {
    List<Long> named = Ids.parseAll("participantIds", participantIds);
    return Viewer.requireId()
        .flatMap(
            me -> {
              TreeSet<Long> everyone = new TreeSet<>(named);
              everyone.add(me);
              if (everyone.size() < 2 || everyone.size() > MAX_PARTICIPANTS) {
                return Mono.error(
                    ApiException.badRequest(
                        "A conversation has you and 1 to "
                            + (MAX_PARTICIPANTS - 1)
                            + " other users"));
              }
              List<Long> sorted = new ArrayList<>(everyone);
              return users
                  .existing(sorted)
                  .collect(Collectors.toCollection(HashSet::new))
                  .flatMap(
                      existing -> {
                        var unknown = sorted.stream().filter(id -> !existing.contains(id)).toList();
                        if (!unknown.isEmpty()) {
                          return Mono.error(ApiException.notFound("User", unknown.get(0)));
                        }
                        // the same people talk on in the conversation they already have, also
                        // when two calls for them overlap (the insert then finds the other's)
                        return conversations
                            .withExactly(sorted)
                            .switchIfEmpty(
                                conversations
                                    .insert(me, sorted)
                                    .switchIfEmpty(conversations.withExactly(sorted)));
                      });
            });
  }

  /**
   * Stores and delivers a message. With an idempotency key, a retry answers the message of the
   * first attempt, delivered once: the send of a key already used fails as a whole on the unique
   * index (after waiting at the conversation's row for the first attempt's commit, if it is still
   * running), and the message stored with it is answered instead.
   */
  @MutationMapping
  Mono<Message> sendMessage(
      @Argument String conversationId,
      @Argument @Text(min = 1, max = 4000) String body,
      @Argument @IdempotencyKey @Nullable String idempotencyKey) {
    long id = Ids.parse("conversationId", conversationId);
    String text = Inputs.strip(body);
    return Viewer.requireId()
        .flatMap(
            sender ->
                budgets
                    .spendAs(
                        Action.MESSAGE,
                        sender,
                        // one statement, committed on its own, that returns the message with its
                        // sender and its conversation: neither the answer's fields nor any
                        // subscriber's cost another statement
                        writer ->
                            conversations
                                .send(id, writer, text, idempotencyKey)
                                // published once committed, in the background: a send never waits
                                // for Redis, and a lost notification is recovered by subscribers
                                .map(
                                    event -> {
                                      bus.publish(event);
                                      return event.message();
                                    }))
                    .onErrorResume(
                        e -> idempotencyKey != null && isRetry(e),
                        retry ->
                            sameSend(id, sender, idempotencyKey, text)
                                .switchIfEmpty(Mono.error(retry))))
        .switchIfEmpty(Mono.error(() -> ApiException.notFound("Conversation", conversationId)));
  }

  /**
   * Whether a send with a key may be a retry of one already stored: its key is taken, or its budget
   * is spent (an offline queue that flushed its messages retries those whose answers it lost, and
   * is answered them, not RATE_LIMITED).
   */
  private static boolean isRetry(Throwable e) {
    return e instanceof DuplicateKeyException
        || (e instanceof ApiException refused && refused.kind() == ErrorKind.RATE_LIMITED);
  }

  /**
   * The message an earlier send with this key stored, not delivered again (it was when it was
   * stored); CONFLICT when the key was used for another body.
   */
  private Mono<Message> sameSend(
      long conversationId, long sender, String idempotencyKey, String body) {
    return conversations
        .sentWithKey(conversationId, sender, idempotencyKey)
        .flatMap(
            sent ->
                sent.body().equals(body)
                    ? Mono.just(sent)
                    : Mono.error(
                        ApiException.conflict(
                            "The idempotency key "
                                + idempotencyKey
                                + " was used for message "
                                + sent.id()
                                + " with another body; use a new key for a new message.")));
  }

  @EntityMapping("Conversation")
  Mono<List<Conversation>> conversationEntities(@Argument List<String> idList) {
    List<Long> ids = Ids.parseAll("id", idList);
    return Viewer.current()
        .flatMap(viewer -> conversations.visible(ids, viewer.userId()).collectMap(Conversation::id))
        .defaultIfEmpty(Map.of())
        .map(visible -> ids.stream().map(visible::get).toList());
  }

  @EntityMapping("Message")
  Mono<List<Message>> messageEntities(@Argument List<String> idList) {
    List<Long> ids = Ids.parseAll("id", idList);
    return Viewer.current()
        .flatMap(
            viewer -> conversations.visibleMessages(ids, viewer.userId()).collectMap(Message::id))
        .defaultIfEmpty(Map.of())
        .map(visible -> ids.stream().map(visible::get).toList());
  }
}
