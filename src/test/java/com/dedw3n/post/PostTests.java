package com.dedw3n.post;

import static org.assertj.core.api.Assertions.assertThat;

import com.dedw3n.ApiTests;
import com.dedw3n.BlockingCalls;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.springframework.core.ParameterizedTypeReference;
import org.springframework.graphql.test.tester.GraphQlTester;
import reactor.core.publisher.Mono;

class PostTests extends ApiTests {

  @Test
  void likesAreIdempotentAndCounted() {
    var author = signUp("Author");
    var fan = signUp("Fan");
    String post = createPost(author, "hello");
    like(fan, "likePost", post)
        .path("likePost.likeCount")
        .entity(Integer.class)
        .isEqualTo(1)
        .path("likePost.viewerHasLiked")
        .entity(Boolean.class)
        .isEqualTo(true);
    like(fan, "likePost", post).path("likePost.likeCount").entity(Integer.class).isEqualTo(1);
    like(author, "likePost", post).path("likePost.likeCount").entity(Integer.class).isEqualTo(2);
    like(fan, "unlikePost", post)
        .path("unlikePost.likeCount")
        .entity(Integer.class)
        .isEqualTo(1)
        .path("unlikePost.viewerHasLiked")
        .entity(Boolean.class)
        .isEqualTo(false);
    like(fan, "unlikePost", post).path("unlikePost.likeCount").entity(Integer.class).isEqualTo(1);
    anonymous()
        .documentName("post")
        .variable("id", post)
        .execute()
        .path("post.viewerHasLiked")
        .entity(Boolean.class)
        .isEqualTo(false);
    author
        .graphQl()
        .documentName("post")
        .variable("id", post)
        .execute()
        .path("post.viewerHasLiked")
        .entity(Boolean.class)
        .isEqualTo(true);
  }

  @Test
  void commentsAreCountedAndPagedNewestFirst() {
    var author = signUp("Author");
    var reader = signUp("Reader");
    String post = createPost(author, "discuss");
    for (int i = 1; i <= 3; i++) {
      reader
          .graphQl()
          .documentName("addComment")
          .variable("postId", post)
          .variable("body", "c" + i)
          .execute()
          .path("addComment.post.commentCount")
          .entity(Integer.class)
          .isEqualTo(i);
    }
    var page =
        anonymous().documentName("post").variable("id", post).variable("comments", 2).execute();
    assertThat(page.path("post.comments.edges[*].node.body").entityList(String.class).get())
        .containsExactly("c3", "c2");
    page.path("post.comments.pageInfo.hasNextPage").entity(Boolean.class).isEqualTo(true);
    String cursor = page.path("post.comments.pageInfo.endCursor").entity(String.class).get();
    // the last edge's cursor is the page's end cursor: either resumes after "c2"
    page.path("post.comments.edges[1].cursor").entity(String.class).isEqualTo(cursor);
    var last =
        anonymous()
            .documentName("post")
            .variable("id", post)
            .variable("comments", 2)
            .variable("after", cursor)
            .execute();
    last.path("post.comments.edges[*].node.body").entityList(String.class).containsExactly("c1");
    last.path("post.comments.pageInfo.hasNextPage").entity(Boolean.class).isEqualTo(false);
  }

  /**
   * Two comments in one document (an offline queue flushing its writes): each answers its post's
   * count after it, the second not as the first left it.
   */
  @Test
  void aSecondCommentInOneDocumentAnswersTheCountAfterIt() {
    var author = signUp("Author");
    var reader = signUp("Reader");
    String post = createPost(author, "twice in one go");
    reader
        .graphQl()
        .document(
            "mutation($p:ID!){ a: addComment(postId:$p, body:\"one\") { post { commentCount } }"
                + " b: addComment(postId:$p, body:\"two\") { post { commentCount } } }")
        .variable("p", post)
        .execute()
        .path("a.post.commentCount")
        .entity(Integer.class)
        .isEqualTo(1)
        .path("b.post.commentCount")
        .entity(Integer.class)
        .isEqualTo(2);
  }

  /**
   * A post of 5,000 characters may be 5,000 emoji: a character is one however many UTF-16 units
   * Java stores it in (an emoji is two), as PostgreSQL's char_length counts it.
   */
  @Test
  void aLengthLimitCountsCharactersNotUtf16Units() {
    var author = signUp("Emoji");
    String full = "\uD83D\uDE00".repeat(5000);
    author
        .graphQl()
        .documentName("createPost")
        .variable("body", full)
        .execute()
        .path("createPost.body")
        .entity(String.class)
        .isEqualTo(full);
    author
        .graphQl()
        .documentName("createPost")
        .variable("body", full + "\uD83D\uDE00")
        .execute()
        .errors()
        .expect(
            e ->
                e.getErrorType().toString().equals("BAD_REQUEST")
                    && e.getMessage().contains("not 5001"))
        .verify();
  }

  @Test
  void writesNeedSignInValidInputAndAnExistingPost() {
    var author = signUp("Author");
    String post = createPost(author, "x");
    anonymous()
        .documentName("createPost")
        .variable("body", "hi")
        .execute()
        .errors()
        .expect(e -> e.getErrorType().toString().equals("UNAUTHORIZED"))
        .verify();
    anonymous()
        .documentName("likePost")
        .variable("postId", post)
        .execute()
        .errors()
        .expect(e -> e.getErrorType().toString().equals("UNAUTHORIZED"))
        .verify();
    anonymous()
        .documentName("addComment")
        .variable("postId", post)
        .variable("body", "hi")
        .execute()
        .errors()
        .expect(e -> e.getErrorType().toString().equals("UNAUTHORIZED"))
        .verify();
    author
        .graphQl()
        .documentName("createPost")
        .variable("body", " ")
        .execute()
        .errors()
        .expect(e -> e.getErrorType().toString().equals("BAD_REQUEST"))
        .verify();
    author
        .graphQl()
        .documentName("createPost")
        .variable("body", "x".repeat(5001))
        .execute()
        .errors()
        .expect(e -> e.getErrorType().toString().equals("BAD_REQUEST"))
        .verify();
    author
        .graphQl()
        .documentName("addComment")
        .variable("postId", "987654321")
        .variable("body", "hi")
        .execute()
        .errors()
        .expect(e -> e.getErrorType().toString().equals("NOT_FOUND"))
        .verify();
    author
        .graphQl()
        .documentName("likePost")
        .variable("postId", "987654321")
        .execute()
        .errors()
        .expect(e -> e.getErrorType().toString().equals("NOT_FOUND"))
        .verify();
    assertThat(
            db.sql("SELECT count(*) FROM comments WHERE post_id = 987654321")
                .map(r -> r.get(0, Long.class))
                .one()
                .block())
        .isZero();
  }

  /**
   * A body is text people see: one of no-break or zero-width spaces showed everyone an empty post,
   * and control characters (six bytes of JSON each) made a timeline page larger than the response
   * limit, answered with nothing and no cursor past them. Spaces of any kind around a body are
   * stripped, as they always were for plain ones; tabs and line breaks stay.
   */
  @Test
  void aBodyIsVisibleTextWithoutControlCharacters() {
    var author = signUp("Author");
    String post = createPost(author, "x");
    for (String body :
        List.of("\u00A0", " \u200B ", "\u2060\uFEFF", "\u200F\u200E", "\u0001".repeat(5000))) {
      author
          .graphQl()
          .documentName("createPost")
          .variable("body", body)
          .execute()
          .errors()
          .expect(e -> e.getErrorType().toString().equals("BAD_REQUEST"))
          .verify();
    }
    author
        .graphQl()
        .documentName("addComment")
        .variable("postId", post)
        .variable("body", "x\u001by")
        .execute()
        .errors()
        .expect(
            e ->
                e.getErrorType().toString().equals("BAD_REQUEST")
                    && e.getMessage().contains("U+001B"))
        .verify();
    author
        .graphQl()
        .documentName("createPost")
        .variable("body", "\u00A0\u200B line one\n\tline two \u202F")
        .execute()
        .path("createPost.body")
        .entity(String.class)
        .isEqualTo("line one\n\tline two");
    // format characters that end a text are part of it: the tags of the flag of England, the
    // right-to-left mark after Hebrew
    for (String body :
        List.of(
            "Go England \uD83C\uDFF4\uDB40\uDC67\uDB40\uDC62\uDB40\uDC65\uDB40\uDC6E\uDB40\uDC67\uDB40\uDC7F",
            "\u05E9\u05DC\u05D5\u05DD\u200F")) {
      author
          .graphQl()
          .documentName("createPost")
          .variable("body", body)
          .execute()
          .path("createPost.body")
          .entity(String.class)
          .isEqualTo(body);
    }
  }

  @Test
  void theTimelineCostsTheSameFewStatementsForFiveAndTwentyPosts() {
    // posts dated in the future top the shared timeline, so this test sees only its own
    seedTimeline(5, 40);
    long forFive = statementsFor(5);
    seedTimeline(20, 50);
    long forTwenty = statementsFor(20);
    assertThat(forTwenty).isEqualTo(forFive);
    // the posts with their authors and the first comments of each with theirs, read ahead
    assertThat(forTwenty).isEqualTo(1);
  }

  /**
   * The authors the timeline's statements carry are each item's own: each post is by its own user
   * and its comments by another, and the posts are stored in the reverse order of their authors (so
   * neither a post's id nor its comments' post id happens to be its author's id, even in a fresh
   * database): a user joined on the wrong column or row would show.
   */
  @Test
  void theTimelinesJoinedAuthorsAreEachItemsOwn() {
    String tag = UUID.randomUUID().toString();
    // A1..A4, then C1..C4
    db.sql(
            "INSERT INTO users (email, display_name, password_hash) SELECT"
                + " k || g || '-' || $1 || '@example.com', k || g, 'x'"
                + " FROM unnest(ARRAY['A', 'C']) k CROSS JOIN generate_series(1, 4) g ORDER BY k, g")
        .bind(0, tag)
        .then()
        .block();
    // post G by AG, stored G = 4 first; dated in the future, so they top the shared timeline
    db.sql(
            "INSERT INTO posts (author_id, body, created_at, comment_count)"
                + " SELECT u.id, 'post ' || g, now() + interval '80 years' + g * interval '1 minute', 2"
                + " FROM generate_series(1, 4) g JOIN users u ON u.email = 'A' || g || '-' || $1 || '@example.com'"
                + " ORDER BY g DESC")
        .bind(0, tag)
        .then()
        .block();
    db.sql(
            "INSERT INTO comments (post_id, author_id, body, created_at)"
                + " SELECT p.id, u.id, 'comment ' || c, p.created_at + c * interval '1 second'"
                + " FROM posts p JOIN users a ON a.id = p.author_id"
                + " JOIN users u ON u.email = 'C' || substr(a.email, 2, 1) || '-' || $1 || '@example.com'"
                + " CROSS JOIN generate_series(1, 2) c WHERE a.email LIKE '%-' || $1 || '@example.com'")
        .bind(0, tag)
        .then()
        .block();
    var read = new AtomicReference<GraphQlTester.Response>();
    long statements =
        statementsOf(
            () -> read.set(anonymous().documentName("timeline").variable("first", 4).execute()));
    // the posts with their first comments, read ahead in one statement; the users below come
    // from its joins, not from a fallback to the DataLoader
    assertThat(statements).isEqualTo(1);
    var response = read.get();
    response
        .path("timeline.edges[*].node.body")
        .entityList(String.class)
        .containsExactly("post 4", "post 3", "post 2", "post 1");
    for (int i = 0; i < 4; i++) {
      String node = "timeline.edges[" + i + "].node.";
      int g = 4 - i;
      response.path(node + "author.displayName").entity(String.class).isEqualTo("A" + g);
      String authorId = response.path(node + "author.id").entity(String.class).get();
      assertThat(displayNameOf(authorId)).isEqualTo("A" + g);
      response
          .path(node + "comments.edges[*].node.author.displayName")
          .entityList(String.class)
          .containsExactly("C" + g, "C" + g);
      List<String> commenterIds =
          response.path(node + "comments.edges[*].node.author.id").entityList(String.class).get();
      assertThat(commenterIds)
          .hasSize(2)
          .allSatisfy(id -> assertThat(displayNameOf(id)).isEqualTo("C" + g));
    }
    // a post with its comment by someone else: the comment's author is the commenter's
    var author = signUp("Poster");
    var commenter = signUp("Commenter");
    String post = createPost(author, "mine");
    commenter
        .graphQl()
        .documentName("addComment")
        .variable("postId", post)
        .variable("body", "theirs")
        .execute();
    assertThat(
            statementsOf(
                () ->
                    anonymous()
                        .documentName("post")
                        .variable("id", post)
                        .execute()
                        .path("post.author.id")
                        .entity(String.class)
                        .isEqualTo(author.id())
                        .path("post.comments.edges[0].node.author.displayName")
                        .entity(String.class)
                        .isEqualTo(commenter.name())))
        .isEqualTo(2);
  }

  /**
   * Look-ahead: a timeline that selects no author reads no users; selected for the comments only,
   * only the comments' part of the statement joins them (their author's alias {@code a}, not the
   * posts' {@code u}). The positive half proves the SQL is seen at all.
   */
  @Test
  void onlyTheAuthorsATimelineSelectsAreJoined() throws InterruptedException {
    seedTimeline(2, 70);
    String neither =
        "{ timeline(first: 2) { edges { node { body comments { edges { node { body } } } } } } }";
    String commentAuthors =
        "{ timeline(first: 2) { edges { node { body"
            + " comments { edges { node { author { displayName } } } } } } } }";
    List<String> none = sqlOf(null, t -> t.document(neither).execute());
    assertThat(none)
        .singleElement()
        .satisfies(
            s -> assertThat(s).contains("FROM comments").doesNotContainIgnoringCase("users"));
    List<String> comments = sqlOf(null, t -> t.document(commentAuthors).execute());
    assertThat(comments)
        .singleElement()
        .satisfies(
            s -> assertThat(s).contains("FROM comments", "JOIN users a").doesNotContain("users u"));
  }

  /**
   * The comments read ahead with the timeline are the ones the comments field reads itself: the
   * same edges, cursors and page info as from its DataLoader (which a second list of another size
   * makes the query use), for posts with more comments than the page, and on a later page of posts.
   */
  @Test
  void theCommentsReadAheadAreTheOnesTheFieldWouldRead() {
    seedTimeline(4, 3);
    String comments =
        "comments(first: 2) { edges { cursor node { id body author { id displayName } } }"
            + " pageInfo { hasNextPage endCursor } }";
    String ahead =
        "query($a: String) { timeline(first: 3, after: $a) { edges { node { id body "
            + comments
            + " } } pageInfo { endCursor } } }";
    String loaded =
        "query($a: String) { timeline(first: 3, after: $a) { edges { node { id body "
            + comments
            + " other: comments(first: 1) { edges { node { id } } } } } pageInfo { endCursor } } }";
    String after = null;
    for (int page = 0; page < 2; page++) {
      var read = new AtomicReference<Map<String, Object>>();
      String cursor = after;
      long oneStatement =
          statementsOf(
              () ->
                  read.set(
                      anonymous()
                          .document(ahead)
                          .variable("a", cursor)
                          .execute()
                          .path("timeline")
                          .entity(new ParameterizedTypeReference<Map<String, Object>>() {})
                          .get()));
      var viaLoader = new AtomicReference<Map<String, Object>>();
      long moreStatements =
          statementsOf(
              () ->
                  viaLoader.set(
                      anonymous()
                          .document(loaded)
                          .variable("a", cursor)
                          .execute()
                          .path("timeline")
                          .entity(new ParameterizedTypeReference<Map<String, Object>>() {})
                          .get()));
      assertThat(oneStatement).as("read ahead").isEqualTo(1);
      assertThat(moreStatements).as("read by the comments DataLoader").isGreaterThan(1);
      List<?> edges = (List<?>) viaLoader.get().get("edges");
      for (Object edge : edges) {
        ((Map<?, ?>) ((Map<?, ?>) edge).get("node")).remove("other");
      }
      assertThat(read.get()).isEqualTo(viaLoader.get());
      assertThat((List<?>) read.get().get("edges"))
          .isNotEmpty()
          // each post's body, which its statement sends on the post's first row only
          .allSatisfy(
              edge ->
                  assertThat(((Map<?, ?>) ((Map<?, ?>) edge).get("node")).get("body")).isNotNull());
      after = (String) ((Map<?, ?>) read.get().get("pageInfo")).get("endCursor");
    }
  }

  private String displayNameOf(String userId) {
    return db.sql("SELECT display_name FROM users WHERE id = $1")
        .bind(0, Long.parseLong(userId))
        .map(r -> r.get(0, String.class))
        .one()
        .block();
  }

  private long statementsFor(int n) {
    return statementsOf(
        () -> {
          var response = anonymous().documentName("timeline").variable("first", n).execute();
          response.path("timeline.edges").entityList(Object.class).hasSize(n);
          response
              .path("timeline.edges[*].node.comments.edges[*].node.author.displayName")
              .entityList(String.class)
              .hasSize(2 * n);
        });
  }

  private void seedTimeline(int n, int yearsAhead) {
    String tag = UUID.randomUUID().toString();
    db.sql(
            "INSERT INTO users (email, display_name, password_hash) SELECT 't' || g || '-' || $1 || '@example.com', 'T' || g, 'x' FROM generate_series(1, $2) g")
        .bind(0, tag)
        .bind(1, n)
        .then()
        .block();
    db.sql(
            "INSERT INTO posts (author_id, body, created_at, comment_count)"
                + " SELECT u.id, 'post ' || g, now() + make_interval(years => $3) + g * interval '1 minute', 3"
                + " FROM generate_series(1, $2) g JOIN users u ON u.email = 't' || g || '-' || $1 || '@example.com'")
        .bind(0, tag)
        .bind(1, n)
        .bind(2, yearsAhead)
        .then()
        .block();
    db.sql(
            "INSERT INTO comments (post_id, author_id, body, created_at)"
                + " SELECT p.id, p.author_id, 'comment ' || c, p.created_at + c * interval '1 second'"
                + " FROM posts p CROSS JOIN generate_series(1, 3) c"
                + " WHERE p.created_at >= now() + make_interval(years => $1)")
        .bind(0, yearsAhead)
        .then()
        .block();
  }

  private String createPost(Client author, String body) {
    return author
        .graphQl()
        .documentName("createPost")
        .variable("body", body)
        .execute()
        .path("createPost.id")
        .entity(String.class)
        .get();
  }

  /**
   * A double tap: two likes of one user at once. The second waits at the like's unique key for the
   * first to commit, and then answers the count the first left, not the count from before it (the
   * statement's snapshot). The same for two unlikes.
   */
  @Test
  void aDoubleTapAnswersTheCountAfterTheFirstTap() throws Exception {
    var author = signUp("Author");
    var fan = signUp("Fan");
    String post = createPost(author, "tap twice");
    for (String op : List.of("likePost", "unlikePost")) {
      List<CompletableFuture<Integer>> taps;
      // the first tap's count update waits for this lock, and the second tap for the first
      try (var held = holding("SELECT 1 FROM posts WHERE id = " + post + " FOR UPDATE")) {
        taps = List.of(tapAside(fan, op, post), tapAside(fan, op, post));
        held.awaitWaiting(2);
      }
      int expected = op.equals("likePost") ? 1 : 0;
      assertThat(taps.get(0).get(30, TimeUnit.SECONDS)).as(op).isEqualTo(expected);
      assertThat(taps.get(1).get(30, TimeUnit.SECONDS)).as(op).isEqualTo(expected);
    }
  }

  /**
   * A like then an unlike, the like still waiting for the post's row (behind other likers) when the
   * unlike comes: the unlike withdraws it, as one after the other would, and answers the count
   * without it. It used to miss the like's uncommitted row and answer the count with it, leaving
   * the like in place.
   */
  @Test
  void anUnlikeRightAfterALikeStillInFlightWithdrawsIt() throws Exception {
    var author = signUp("Author");
    var fan = signUp("Fan");
    String post = createPost(author, "like then unlike");
    CompletableFuture<Integer> liked;
    CompletableFuture<Integer> unliked;
    try (var held = holding("SELECT 1 FROM posts WHERE id = " + post + " FOR UPDATE")) {
      liked = tapAside(fan, "likePost", post);
      held.awaitWaiting(1);
      unliked = tapAside(fan, "unlikePost", post);
      held.awaitWaiting(2);
    }
    assertThat(liked.get(30, TimeUnit.SECONDS)).isEqualTo(1);
    assertThat(unliked.get(30, TimeUnit.SECONDS)).isEqualTo(0);
    assertThat(
            db.sql("SELECT count(*) FROM post_likes WHERE post_id = $1")
                .bind(0, Long.parseLong(post))
                .map(row -> row.get(0, Long.class))
                .one()
                .block())
        .isZero();
  }

  private CompletableFuture<Integer> tapAside(Client user, String op, String post) {
    return Mono.fromCallable(
            () -> like(user, op, post).path(op + ".likeCount").entity(Integer.class).get())
        .subscribeOn(BlockingCalls.SCHEDULER)
        .toFuture();
  }

  private org.springframework.graphql.test.tester.GraphQlTester.Response like(
      Client user, String op, String post) {
    return user.graphQl().documentName(op).variable("postId", post).execute();
  }
}
