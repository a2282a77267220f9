package com.dedw3n.user.internal;

import com.dedw3n.user.User;
import com.dedw3n.user.Users;
import org.springframework.graphql.execution.BatchLoaderRegistry;
import org.springframework.stereotype.Component;

/**
 * The {@code DataLoader<Long, User>} every feature uses to resolve a user by id (a product's
 * seller, a review's author, a message's sender, ...): one statement per request level, whatever
 * the number of users on the page. Controllers take it as a {@code DataLoader<Long, User>}
 * parameter, and {@code LoadedField.of(User.class, ...)} finds it by the name {@code forTypePair}
 * gives it, the class name of {@link User}: registering it under another name would break those
 * fields.
 */
@Component
class UserBatchLoader {

  UserBatchLoader(BatchLoaderRegistry registry, Users users) {
    registry
        .forTypePair(Long.class, User.class)
        .registerMappedBatchLoader((ids, env) -> users.findAllById(ids).collectMap(User::id));
  }
}
