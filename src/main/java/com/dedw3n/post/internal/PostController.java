package com.dedw3n.post.internal;

import com.dedw3n.platform.budget.Action;
import com.dedw3n.platform.budget.Budgets;
import com.dedw3n.platform.graphql.ApiException;
import com.dedw3n.platform.graphql.Ids;
import com.dedw3n.platform.graphql.Inputs;
import com.dedw3n.platform.graphql.Page;
import com.dedw3n.platform.graphql.Selections;
import com.dedw3n.platform.graphql.Text;
import com.dedw3n.platform.security.Viewer;
import graphql.schema.DataFetchingEnvironment;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.springframework.data.domain.Window;
import org.springframework.graphql.data.federation.EntityMapping;
import org.springframework.graphql.data.method.annotation.Argument;
import org.springframework.graphql.data.method.annotation.BatchMapping;
import org.springframework.graphql.data.method.annotation.MutationMapping;
import org.springframework.graphql.data.method.annotation.QueryMapping;
import org.springframework.stereotype.Controller;
import org.springframework.transaction.reactive.TransactionalOperator;
import reactor.core.publisher.Mono;

/** The social timeline: posts, comments and likes; the {@code Post} entity. */
@Controller
class PostController {

  private final Posts posts;
  private final PostBatchLoaders loaders;
  private final Budgets budgets;
  private final TransactionalOperator transaction;

  PostController(
      Posts posts, PostBatchLoaders loaders, Budgets budgets, TransactionalOperator transaction) {
    this.posts = posts;
    this.loaders = loaders;
    this.budgets = budgets;
    this.transaction = transaction;
  }

  /** The post, read with its author when the query selects it. */
  @QueryMapping
  Mono<Post> post(@Argument String id, DataFetchingEnvironment env) {
    return posts
        .findById(Ids.parse("id", id), Selections.selects(env, "author"))
        .switchIfEmpty(Mono.error(() -> ApiException.notFound("Post", id)));
  }

  /**
   * A page of the timeline, read with the posts' authors when the query selects them, and with the
   * first page of each post's comments when the query selects that: one statement, whose comments
   * the comments fields then find in their DataLoader.
   */
  @QueryMapping
  Mono<Window<Post>> timeline(
      @Argument Integer first, @Argument String after, DataFetchingEnvironment env) {
    Page page = Page.of("first", first, 20, after);
    boolean withAuthors = Selections.selects(env, "edges", "node", "author");
    var comments = loaders.commentsField.ahead(env, "edges/node/comments");
    Mono<List<Post>> rows =
        comments == null
            ? posts.newest(page, withAuthors).collectList()
            : posts
                .newestWithComments(page, withAuthors, comments.page().fetchSize(), comments.join())
                .map(
                    read ->
                        loaders.comments.prime(
                            env, PostBatchLoaders.POST_COMMENTS, comments, read, Post::id));
    return rows.map(found -> page.window(found, post -> Page.key(post.createdAt(), post.id())));
  }

  /** One statement for the page; none when nobody is signed in. */
  @BatchMapping
  Mono<Map<Post, Boolean>> viewerHasLiked(List<Post> page) {
    return Viewer.current()
        .flatMap(
            viewer ->
                posts
                    .likedBy(viewer.userId(), page.stream().map(Post::id).toList())
                    .collect(Collectors.toCollection(HashSet::new)))
        .defaultIfEmpty(new HashSet<>())
        .map(
            liked ->
                page.stream()
                    .collect(
                        Collectors.toMap(
                            Function.identity(), post -> liked.contains(post.id()), (a, b) -> a)));
  }

  @MutationMapping
  Mono<Post> createPost(@Argument @Text(min = 1, max = 5000) String body) {
    String text = Inputs.strip(body);
    return Viewer.requireId()
        .flatMap(
            author -> budgets.spendAs(Action.POST, author, writer -> posts.insert(writer, text)));
  }

  /**
   * Stores a comment. A second addComment in the same document answers its post's commentCount with
   * both comments counted: each field at a mutation's root starts with the DataLoaders' caches
   * empty ({@code SubscriptionEventCleanup}), so it does not see the count the first one loaded.
   */
  @MutationMapping
  Mono<Comment> addComment(
      @Argument String postId, @Argument @Text(min = 1, max = 2000) String body) {
    long post = Ids.parse("postId", postId);
    String text = Inputs.strip(body);
    return Viewer.requireId()
        .flatMap(
            author ->
                budgets.spendAs(
                    Action.COMMENT, author, writer -> posts.insertComment(post, writer, text)))
        .switchIfEmpty(Mono.error(() -> ApiException.notFound("Post", postId)));
  }

  @MutationMapping
  Mono<Post> likePost(@Argument String postId) {
    long post = Ids.parse("postId", postId);
    return Viewer.requireId()
        .flatMap(user -> posts.like(post, user))
        .switchIfEmpty(Mono.error(() -> ApiException.notFound("Post", postId)));
  }

  /**
   * Withdraws the user's like, after the post's row is locked, in a statement of its own: a like of
   * the same user still in flight (its row inserted, waiting for the count behind other likers) is
   * then committed and seen, and withdrawn, where one statement would not see it and would answer
   * the count with the like in it.
   */
  @MutationMapping
  Mono<Post> unlikePost(@Argument String postId) {
    long post = Ids.parse("postId", postId);
    return Viewer.requireId()
        .flatMap(
            user ->
                posts
                    .lockForLikes(post)
                    .then(posts.unlike(post, user))
                    .as(transaction::transactional))
        .switchIfEmpty(Mono.error(() -> ApiException.notFound("Post", postId)));
  }

  @EntityMapping("Post")
  Mono<List<Post>> postEntities(@Argument List<String> idList) {
    List<Long> ids = Ids.parseAll("id", idList);
    return posts
        .findAllById(ids)
        .collectMap(Post::id)
        .map(found -> ids.stream().map(found::get).toList());
  }
}
