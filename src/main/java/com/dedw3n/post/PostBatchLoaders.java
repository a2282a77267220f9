package com.dedw3n.post;

import com.dedw3n.platform.graphql.NestedPages;
import com.dedw3n.platform.graphql.Page;
import org.springframework.data.domain.Window;
import org.springframework.graphql.execution.BatchLoaderRegistry;
import org.springframework.stereotype.Component;

/** Posts by id, and a page of comments per post in one statement for the whole timeline page. */
@Component
class PostBatchLoaders {

  static final String POST_COMMENTS = "postComments";

  PostBatchLoaders(BatchLoaderRegistry registry, Posts posts) {
    registry
        .forTypePair(Long.class, Post.class)
        .registerMappedBatchLoader((ids, env) -> posts.findAllById(ids).collectMap(Post::id));
    var comments =
        new NestedPages<Comment>(
            posts::newestComments,
            posts::commentsAfter,
            Comment::postId,
            comment -> Page.key(comment.createdAt(), comment.id()));
    registry
        .<NestedPages.Key, Window<Comment>>forName(POST_COMMENTS)
        .registerMappedBatchLoader((keys, env) -> comments.load(keys));
  }
}
