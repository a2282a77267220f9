package com.dedw3n.chat.internal;

import com.dedw3n.platform.graphql.KeysetCursors;
import com.dedw3n.platform.graphql.LoadedField;
import com.dedw3n.platform.graphql.NestedPages;
import com.dedw3n.user.User;
import graphql.schema.DataFetcher;
import graphql.schema.idl.RuntimeWiring;
import java.util.Map;
import org.springframework.data.domain.Window;
import org.springframework.graphql.execution.BatchLoaderRegistry;
import org.springframework.graphql.execution.RuntimeWiringConfigurer;
import org.springframework.stereotype.Component;

/**
 * Conversations by id (for {@code Message.conversation}: whoever sees a message takes part in its
 * conversation), and a page of messages per conversation in one statement for the whole page.
 *
 * <p>It also wires the fields of messages and typing indicators that need nothing but their parent:
 * loads by a key of it (a message's sender and conversation, unless the message carries them: a
 * delivered message carries both to every subscriber, so no statement per subscriber, and a page
 * read for a query that selects senders carries them) as {@link LoadedField}s, which cost less than
 * controller methods, and the cursors that resume a subscription after a message.
 */
@Component
class ChatBatchLoaders implements RuntimeWiringConfigurer {

  /**
   * Name of the {@code DataLoader<Long, Conversation>} of conversations by id (a message's or a
   * typing indicator's conversation).
   */
  static final String CONVERSATIONS = "conversations";

  /** Name of the messages DataLoader. */
  static final String CONVERSATION_MESSAGES = "conversationMessages";

  /** The pages of a conversation's messages that its DataLoader reads. */
  final NestedPages<Message> messages;

  ChatBatchLoaders(BatchLoaderRegistry registry, Conversations conversations) {
    registry
        .<Long, Conversation>forName(CONVERSATIONS)
        .registerMappedBatchLoader(
            (ids, env) -> conversations.findAllById(ids).collectMap(Conversation::id));
    messages =
        new NestedPages<Message>(
            conversations::newestMessages,
            conversations::messagesBefore,
            Message::conversationId,
            message -> Map.of("seq", message.seq()));
    registry
        .<NestedPages.Key, Window<Message>>forName(CONVERSATION_MESSAGES)
        .registerMappedBatchLoader((keys, env) -> messages.load(keys));
  }

  @Override
  public void configure(RuntimeWiring.Builder wiring) {
    wiring.type(
        "Message",
        type ->
            type.dataFetcher(
                    "sender",
                    LoadedField.carriedOr(Message::sender, User.LOADER, Message::senderId))
                // resumes a messageAdded subscription (or pages messages) after this one
                .dataFetcher(
                    "cursor",
                    (DataFetcher<String>)
                        env -> KeysetCursors.of("seq", env.<Message>getSource().seq()))
                .dataFetcher(
                    "conversation",
                    LoadedField.carriedOr(
                        Message::conversation, CONVERSATIONS, Message::conversationId)));
    wiring.type(
        "InboxMessage",
        type ->
            type.dataFetcher(
                "cursor",
                (DataFetcher<String>)
                    env -> KeysetCursors.of("inbox", env.<InboxMessage>getSource().inboxSeq())));
    wiring.type(
        "TypingIndicator",
        type ->
            type.dataFetcher(
                    "user",
                    LoadedField.carriedOr(
                        TypingIndicator::user, User.LOADER, TypingIndicator::userId))
                .dataFetcher(
                    "conversation",
                    LoadedField.of(CONVERSATIONS, TypingIndicator::conversationId)));
  }
}
