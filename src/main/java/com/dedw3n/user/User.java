package com.dedw3n.user;

import com.dedw3n.platform.graphql.Identified;
import java.time.OffsetDateTime;

/**
 * A user as the API shows it. The email is private: the user feature's controller hands it to the
 * user alone.
 */
public record User(long id, String email, String displayName, OffsetDateTime createdAt)
    implements Identified {

  /**
   * Name of the {@code DataLoader<Long, User>} of users by id, which every feature uses to resolve
   * a user it refers to (a product's seller, a review's author, a message's sender, ...).
   */
  public static final String LOADER = "users";
}
