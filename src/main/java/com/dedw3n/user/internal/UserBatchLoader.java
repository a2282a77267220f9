package com.dedw3n.user.internal;

import com.dedw3n.user.User;
import com.dedw3n.user.Users;
import org.springframework.graphql.execution.BatchLoaderRegistry;
import org.springframework.stereotype.Component;

/**
 * The {@code DataLoader<Long, User>} every feature uses to resolve a user by id (a product's
 * seller, a review's author, a message's sender, ...): one statement per request level, whatever
 * the number of users on the page. Registered under {@link User#LOADER}, the name every field that
 * loads a user looks it up by.
 */
@Component
class UserBatchLoader {

  UserBatchLoader(BatchLoaderRegistry registry, Users users) {
    registry
        .<Long, User>forName(User.LOADER)
        .registerMappedBatchLoader((ids, env) -> users.findAllById(ids).collectMap(User::id));
  }
}
