package com.dedw3n.chat;

import com.dedw3n.platform.graphql.NestedPages;
import java.util.Map;
import org.springframework.data.domain.Window;
import org.springframework.graphql.execution.BatchLoaderRegistry;
import org.springframework.stereotype.Component;

/**
 * Conversations by id (for {@code Message.conversation}: whoever sees a message takes part in its
 * conversation), and a page of messages per conversation in one statement for the whole page.
 */
@Component
class ChatBatchLoaders {

  static final String CONVERSATION_MESSAGES = "conversationMessages";

  ChatBatchLoaders(BatchLoaderRegistry registry, Conversations conversations) {
    registry
        .forTypePair(Long.class, Conversation.class)
        .registerMappedBatchLoader(
            (ids, env) -> conversations.findAllById(ids).collectMap(Conversation::id));
    var messages =
        new NestedPages<Message>(
            conversations::newestMessages,
            conversations::messagesBefore,
            Message::conversationId,
            message -> Map.of("seq", message.seq()));
    registry
        .<NestedPages.Key, Window<Message>>forName(CONVERSATION_MESSAGES)
        .registerMappedBatchLoader((keys, env) -> messages.load(keys));
  }
}
