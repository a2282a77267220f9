package com.dedw3n.post.internal;

import com.dedw3n.platform.graphql.LoadedConnection;
import com.dedw3n.platform.graphql.LoadedField;
import com.dedw3n.platform.graphql.NestedPages;
import com.dedw3n.platform.graphql.Page;
import com.dedw3n.user.User;
import graphql.schema.idl.RuntimeWiring;
import org.springframework.data.domain.ScrollPosition;
import org.springframework.data.domain.Window;
import org.springframework.graphql.data.pagination.CursorStrategy;
import org.springframework.graphql.execution.BatchLoaderRegistry;
import org.springframework.graphql.execution.RuntimeWiringConfigurer;
import org.springframework.stereotype.Component;

/**
 * Posts by id, and a page of comments per post in one statement for the whole timeline page.
 *
 * <p>It also wires the fields that are one load by a key of their parent (a post's author, a
 * comment's author and post) as {@link LoadedField}s and a post's comments as a {@link
 * LoadedConnection}, which cost less than controller methods. An author is the one the post or
 * comment carries when the statement that read it joined the users (because the query selects
 * them), else loaded.
 */
@Component
class PostBatchLoaders implements RuntimeWiringConfigurer {

  /** Name of the {@code DataLoader<Long, Post>} of posts by id (a comment's post). */
  static final String POSTS = "posts";

  /** Name of the comments DataLoader. */
  static final String POST_COMMENTS = "postComments";

  /** A post's comments: the pages its DataLoader reads, and the field. */
  final NestedPages<Comment> comments;

  final LoadedConnection<Post> commentsField;

  PostBatchLoaders(
      BatchLoaderRegistry registry, Posts posts, CursorStrategy<ScrollPosition> cursors) {
    registry
        .<Long, Post>forName(POSTS)
        .registerMappedBatchLoader((ids, env) -> posts.findAllById(ids).collectMap(Post::id));
    comments =
        new NestedPages<Comment>(
            posts::newestComments,
            posts::commentsAfter,
            Comment::postId,
            comment -> Page.key(comment.createdAt(), comment.id()));
    registry
        .<NestedPages.Key, Window<Comment>>forName(POST_COMMENTS)
        .registerMappedBatchLoader((keys, env) -> comments.load(keys));
    commentsField =
        LoadedConnection.<Post>forward(POST_COMMENTS, Post::id, 10, cursors, "t", "id")
            .joining("author");
  }

  @Override
  public void configure(RuntimeWiring.Builder wiring) {
    wiring.type(
        "Post",
        type ->
            type.dataFetcher(
                    "author", LoadedField.carriedOr(Post::author, User.LOADER, Post::authorId))
                .dataFetcher("comments", commentsField));
    wiring.type(
        "Comment",
        type ->
            type.dataFetcher(
                    "author",
                    LoadedField.carriedOr(Comment::author, User.LOADER, Comment::authorId))
                .dataFetcher("post", LoadedField.of(POSTS, Comment::postId)));
  }
}
