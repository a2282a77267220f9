package com.dedw3n.post.internal;

import com.dedw3n.platform.db.SqlLimit;
import com.dedw3n.platform.db.WithChildren;
import com.dedw3n.platform.graphql.Page;
import com.dedw3n.user.Users;
import io.r2dbc.spi.Readable;
import java.time.OffsetDateTime;
import java.util.Collection;
import java.util.List;
import org.springframework.r2dbc.core.DatabaseClient;
import org.springframework.stereotype.Repository;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/** The posts, comments and post_likes tables. */
@Repository
class Posts {

  private static final String POST_COLUMNS =
      "id, author_id, body, like_count, comment_count, created_at";
  private static final String COMMENT_COLUMNS = "id, post_id, author_id, body, created_at";

  /** A post's columns as {@code posts p}, for the statements that may join its author. */
  private static final String P_COLUMNS =
      "p.id, p.author_id, p.body, p.like_count, p.comment_count, p.created_at";

  /** A comment's columns as {@code comments c}, for the statements that may join its author. */
  private static final String C_COLUMNS = "c.id, c.post_id, c.author_id, c.body, c.created_at";

  /**
   * The author read with a post or comment, when the query selects it: one statement for the page
   * and its authors instead of one more (and a round trip) through the users DataLoader. Its
   * columns ({@code user_id}, ...) name none of posts' or comments'.
   */
  private static final Users.Join USER = Users.join("u", "user_");

  /**
   * A comment's author, when read in the statement of its post ({@link #newestWithComments}): its
   * columns ({@code by_id}, ...) name none of the post's, its author's or the comment's.
   */
  private static final Users.Join COMMENT_AUTHOR = Users.join("a", "by_");

  private final DatabaseClient db;

  Posts(DatabaseClient db) {
    this.db = db;
  }

  Flux<Post> findAllById(Collection<Long> ids) {
    return db.sql("SELECT " + POST_COLUMNS + " FROM posts WHERE id = ANY($1)")
        .bind(0, ids.toArray(Long[]::new))
        .map(Posts::post)
        .all();
  }

  /** The post, carrying its author when {@code withAuthor}. */
  Mono<Post> findById(long id, boolean withAuthor) {
    return db.sql(
            "SELECT "
                + postColumns(withAuthor)
                + " FROM posts p"
                + (withAuthor ? USER.on("p.author_id") : "")
                + " WHERE p.id = $1")
        .bind(0, id)
        .map(row -> readPost(row, withAuthor))
        .one();
  }

  /** Every post, newest first, carrying their authors when {@code withAuthors}. */
  Flux<Post> newest(Page page, boolean withAuthors) {
    var spec =
        db.sql(
                "SELECT "
                    + postColumns(withAuthors)
                    + " FROM posts p"
                    + (withAuthors ? USER.on("p.author_id") : "")
                    + (page.isFirst() ? "" : " WHERE (p.created_at, p.id) < ($2, $3)")
                    + " ORDER BY p.created_at DESC, p.id DESC LIMIT $1")
            .bind(0, page.fetchSize());
    if (!page.isFirst()) {
      spec = spec.bind(1, page.afterTime("t")).bind(2, page.afterLong("id"));
    }
    return spec.map(row -> readPost(row, withAuthors)).all();
  }

  /**
   * {@link #newest} with each post's {@code limit} newest comments (carrying their authors when
   * {@code withCommentAuthors}) in one statement: W4's timeline, for which a statement of its own
   * for the comments was a large part of the work. Every row repeats its post (its body on the
   * first row only); the comments' columns are renamed ({@code comment_id}, ...) so as to name none
   * of the post's.
   */
  Mono<List<WithChildren<Post, Comment>>> newestWithComments(
      Page page, boolean withAuthors, int limit, boolean withCommentAuthors) {
    // a post's body (up to 5,000 characters) is sent on its first row only, null on the others
    String sql =
        "SELECT p.id, p.author_id, p.like_count, p.comment_count, p.created_at,"
            + " CASE WHEN coalesce(c.comment_n, 1) = 1 THEN p.body END AS body"
            + (withAuthors ? ", " + USER.columnsOf("p") : "")
            + ", c.* FROM (SELECT "
            + postColumns(withAuthors)
            + " FROM posts p"
            + (withAuthors ? USER.on("p.author_id") : "")
            + (page.isFirst() ? "" : " WHERE (p.created_at, p.id) < ($2, $3)")
            + " ORDER BY p.created_at DESC, p.id DESC"
            + SqlLimit.of(page.fetchSize())
            + ") p"
            + " LEFT JOIN LATERAL (SELECT c.id AS comment_id, c.author_id AS comment_author_id,"
            + " c.body AS comment_body, c.created_at AS comment_created_at,"
            + " row_number() OVER (ORDER BY c.created_at DESC, c.id DESC) AS comment_n"
            + (withCommentAuthors ? ", " + COMMENT_AUTHOR.columns() : "")
            + " FROM comments c"
            + (withCommentAuthors ? COMMENT_AUTHOR.on("c.author_id") : "")
            + " WHERE c.post_id = p.id ORDER BY c.created_at DESC, c.id DESC LIMIT $1) c ON true"
            + " ORDER BY p.created_at DESC, p.id DESC, c.comment_created_at DESC,"
            + " c.comment_id DESC";
    // the page's size is in the text (SqlLimit: PostgreSQL then plans the statement once); the
    // comments' limit a post stays a parameter, which also keeps the statement a prepared one
    // (r2dbc-postgresql sends a statement without parameters as a simple query, in text)
    var spec = db.sql(sql).bind(0, limit);
    if (!page.isFirst()) {
      spec = spec.bind(1, page.afterTime("t")).bind(2, page.afterLong("id"));
    }
    return WithChildren.read(
        spec,
        "id",
        row -> readPost(row, withAuthors),
        "comment_id",
        row ->
            new Comment(
                row.get("comment_id", Long.class),
                row.get("id", Long.class),
                row.get("comment_author_id", Long.class),
                row.get("comment_body", String.class),
                row.get("comment_created_at", OffsetDateTime.class),
                withCommentAuthors ? COMMENT_AUTHOR.user(row) : null));
  }

  Mono<Post> insert(long authorId, String body) {
    return db.sql("INSERT INTO posts (author_id, body) VALUES ($1, $2) RETURNING " + POST_COLUMNS)
        .bind(0, authorId)
        .bind(1, body)
        .map(Posts::post)
        .one();
  }

  /** Stores a comment and counts it on its post; empty when the post does not exist. */
  Mono<Comment> insertComment(long postId, long authorId, String body) {
    return db.sql(
            "WITH counted AS (UPDATE posts SET comment_count = comment_count + 1 WHERE id = $1"
                + " RETURNING id) INSERT INTO comments (post_id, author_id, body)"
                + " SELECT id, $2, $3 FROM counted RETURNING "
                + COMMENT_COLUMNS)
        .bind(0, postId)
        .bind(1, authorId)
        .bind(2, body)
        .map(Posts::comment)
        .one();
  }

  /**
   * Likes a post once: the counter moves only when the like row is new, in the same statement, so
   * liking twice counts once. Returns the post as it is now; empty when it does not exist.
   *
   * <p>When the like was there already, the post is read with a row lock: that reads the row's
   * newest version, where the statement's snapshot may be older. A double tap's second like waits
   * for the first's commit at the unique key, and would otherwise answer the count from before the
   * first. {@code FOR SHARE}, because it conflicts with the count's update: {@code FOR KEY SHARE}
   * does not, and locks the old version without reading the new one (tried: the count stayed
   * behind).
   */
  Mono<Post> like(long postId, long userId) {
    return db.sql(
            "WITH liked AS (INSERT INTO post_likes (post_id, user_id) SELECT id, $2 FROM posts"
                + " WHERE id = $1 ON CONFLICT DO NOTHING RETURNING post_id),"
                + " counted AS (UPDATE posts SET like_count = like_count + 1"
                + " WHERE id IN (SELECT post_id FROM liked) RETURNING "
                + POST_COLUMNS
                + "), unchanged AS (SELECT "
                + POST_COLUMNS
                + " FROM posts WHERE id = $1 AND NOT EXISTS (SELECT 1 FROM liked)"
                + " FOR SHARE) SELECT * FROM counted UNION ALL SELECT * FROM unchanged")
        .bind(0, postId)
        .bind(1, userId)
        .map(Posts::post)
        .one();
  }

  /**
   * Locks the post's row as a like's count update does, waiting for the likes ahead (a row lock's
   * waiters are served in turn); in a transaction, until it ends.
   */
  Mono<Void> lockForLikes(long postId) {
    return db.sql("SELECT 1 FROM posts WHERE id = $1 FOR NO KEY UPDATE").bind(0, postId).then();
  }

  /**
   * Withdraws a like, if there was one; the counter moves only then. The post is read as {@link
   * #like} reads it when nothing changed: a double tap's second unlike waits for the first's
   * delete, and reads the count after it.
   */
  Mono<Post> unlike(long postId, long userId) {
    return db.sql(
            "WITH unliked AS (DELETE FROM post_likes WHERE post_id = $1 AND user_id = $2"
                + " RETURNING post_id), counted AS (UPDATE posts SET like_count = like_count - 1"
                + " WHERE id IN (SELECT post_id FROM unliked) RETURNING "
                + POST_COLUMNS
                + "), unchanged AS (SELECT "
                + POST_COLUMNS
                + " FROM posts WHERE id = $1 AND NOT EXISTS (SELECT 1 FROM unliked)"
                + " FOR SHARE) SELECT * FROM counted UNION ALL SELECT * FROM unchanged")
        .bind(0, postId)
        .bind(1, userId)
        .map(Posts::post)
        .one();
  }

  /** Which of these posts the user has liked, in one statement. */
  Flux<Long> likedBy(long userId, Collection<Long> postIds) {
    return db.sql("SELECT post_id FROM post_likes WHERE user_id = $1 AND post_id = ANY($2)")
        .bind(0, userId)
        .bind(1, postIds.toArray(Long[]::new))
        .map(row -> row.get(0, Long.class))
        .all();
  }

  /**
   * The newest comments of each post, {@code limit} per post, carrying their authors when {@code
   * withAuthors}, in one lateral statement. The authors are joined inside the lateral subquery,
   * whose ORDER BY keeps each post's comments in order whatever join the planner picks.
   */
  Flux<Comment> newestComments(Collection<Long> postIds, int limit, boolean withAuthors) {
    return db.sql(
            "SELECT c.* FROM unnest($1::bigint[]) AS p(id) CROSS JOIN LATERAL (SELECT "
                + commentColumns(withAuthors)
                + " FROM comments c"
                + (withAuthors ? USER.on("c.author_id") : "")
                + " WHERE c.post_id = p.id ORDER BY c.created_at DESC, c.id DESC"
                + " LIMIT $2) c")
        .bind(0, postIds.toArray(Long[]::new))
        .bind(1, limit)
        .map(row -> readComment(row, withAuthors))
        .all();
  }

  Flux<Comment> commentsAfter(long postId, Page page, boolean withAuthors) {
    return db.sql(
            "SELECT "
                + commentColumns(withAuthors)
                + " FROM comments c"
                + (withAuthors ? USER.on("c.author_id") : "")
                + " WHERE c.post_id = $1 AND (c.created_at, c.id) < ($2, $3)"
                + " ORDER BY c.created_at DESC, c.id DESC LIMIT $4")
        .bind(0, postId)
        .bind(1, page.afterTime("t"))
        .bind(2, page.afterLong("id"))
        .bind(3, page.fetchSize())
        .map(row -> readComment(row, withAuthors))
        .all();
  }

  private static String postColumns(boolean withAuthor) {
    return withAuthor ? P_COLUMNS + ", " + USER.columns() : P_COLUMNS;
  }

  private static String commentColumns(boolean withAuthor) {
    return withAuthor ? C_COLUMNS + ", " + USER.columns() : C_COLUMNS;
  }

  private static Post post(Readable row) {
    return readPost(row, false);
  }

  private static Post readPost(Readable row, boolean withAuthor) {
    return new Post(
        row.get("id", Long.class),
        row.get("author_id", Long.class),
        row.get("body", String.class),
        row.get("like_count", Integer.class),
        row.get("comment_count", Integer.class),
        row.get("created_at", OffsetDateTime.class),
        withAuthor ? USER.user(row) : null);
  }

  private static Comment comment(Readable row) {
    return readComment(row, false);
  }

  private static Comment readComment(Readable row, boolean withAuthor) {
    return new Comment(
        row.get("id", Long.class),
        row.get("post_id", Long.class),
        row.get("author_id", Long.class),
        row.get("body", String.class),
        row.get("created_at", OffsetDateTime.class),
        withAuthor ? USER.user(row) : null);
  }
}
