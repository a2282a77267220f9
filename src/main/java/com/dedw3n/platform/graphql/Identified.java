package com.dedw3n.platform.graphql;

/**
 * A GraphQL object with a numeric id. Another module can key fields of its own by that id (a
 * product's images, a post's media) without knowing the object's type, which may be internal to the
 * module that owns it.
 */
public interface Identified {

  /** The object's id, as the schema's {@code id: ID!} shows it. */
  long id();
}
