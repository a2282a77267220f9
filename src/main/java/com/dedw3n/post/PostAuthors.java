package com.dedw3n.post;

import org.springframework.r2dbc.core.DatabaseClient;
import org.springframework.stereotype.Component;
import reactor.core.publisher.Mono;

/**
 * Who wrote a post, for features that let only the author change something hanging off it (the
 * media feature attaches a post's photos and videos for its author alone).
 */
@Component
public class PostAuthors {

  private final DatabaseClient db;

  PostAuthors(DatabaseClient db) {
    this.db = db;
  }

  /** The author's user id; empty when there is no such post. */
  public Mono<Long> authorOf(long postId) {
    return db.sql("SELECT author_id FROM posts WHERE id = $1")
        .bind(0, postId)
        .map(row -> row.get(0, Long.class))
        .one();
  }
}
