package com.dedw3n.user;

import java.time.OffsetDateTime;

/**
 * A user as the API shows it. The email is private: {@link UserController} hands it to the user
 * alone.
 */
public record User(long id, String email, String displayName, OffsetDateTime createdAt) {}
