package com.dedw3n.match;

import static org.assertj.core.api.Assertions.assertThat;

import com.dedw3n.ApiTests;
import com.dedw3n.BlockingCalls;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.RepeatedTest;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Mono;

class MatchTests extends ApiTests {

  @Test
  void aNewMatchMailsBothUsersOnce() {
    var ann = signUp("Ann");
    var ben = signUp("Ben");
    verified(ann);
    verified(ben);
    like(ann, ben);
    like(ben, ann);
    like(ben, ann); // the match stands: no second mail
    for (var user : List.of(ann, ben)) {
      org.assertj.core.api.Assertions.assertThat(
              db.sql(
                      "SELECT count(*) FROM mail_outbox WHERE recipient = $1"
                          + " AND dedup_key LIKE 'new-match:%'")
                  .bind(0, user.email())
                  .map(r -> r.get(0, Long.class))
                  .one()
                  .block())
          .isEqualTo(1);
    }
  }

  /**
   * Anyone may sign up with someone else's address: like, like back and unmatch, over and over,
   * would mail its owner a display name of the sender's choosing. Only a verified address gets it.
   */
  @Test
  void matchMailsGoOnlyToVerifiedAddresses() {
    var owner = signUp("Owner");
    verified(owner);
    var squatter = signUp("Squatter");
    for (int round = 0; round < 3; round++) {
      like(squatter, owner);
      String match = like(owner, squatter).path("likeProfile.match.id").entity(String.class).get();
      squatter.graphQl().documentName("unmatch").variable("matchId", match).execute();
    }
    assertThat(matchMails(squatter)).isZero();
    assertThat(matchMails(owner)).isEqualTo(3);
  }

  private long matchMails(Client user) {
    return db.sql(
            "SELECT count(*) FROM mail_outbox WHERE recipient = $1 AND dedup_key LIKE 'new-match:%'")
        .bind(0, user.email())
        .map(r -> r.get(0, Long.class))
        .one()
        .block();
  }

  /** As verifyEmail leaves the account (its token comes by mail: AccountMailTests). */
  private void verified(Client user) {
    db.sql("UPDATE users SET email_verified_at = now() WHERE id = $1")
        .bind(0, Long.parseLong(user.id()))
        .then()
        .block();
  }

  @Test
  void aOneSidedLikeIsNoMatchAMutualOneIs() {
    var ann = signUp("Ann");
    var ben = signUp("Ben");
    like(ann, ben).path("likeProfile.match").valueIsNull();
    like(ann, ben).path("likeProfile.match").valueIsNull();
    ann.graphQl()
        .documentName("myMatches")
        .execute()
        .path("myMatches.edges")
        .entityList(Object.class)
        .hasSize(0);
    String matchId = like(ben, ann).path("likeProfile.match.id").entity(String.class).get();
    for (var user : List.of(ann, ben)) {
      user.graphQl()
          .documentName("myMatches")
          .execute()
          .path("myMatches.edges[*].node.id")
          .entityList(String.class)
          .containsExactly(matchId)
          .path("myMatches.edges[0].node.users[*].id")
          .entityList(String.class)
          .hasSize(2)
          .contains(ann.id(), ben.id());
    }
  }

  @Test
  void onlyTheTwoUsersCanSeeTheirMatch() {
    var ann = signUp("Ann");
    var ben = signUp("Ben");
    var eve = signUp("Eve");
    like(ann, ben);
    String matchId = like(ben, ann).path("likeProfile.match.id").entity(String.class).get();
    ann.graphQl()
        .documentName("match")
        .variable("id", matchId)
        .execute()
        .path("match.id")
        .entity(String.class)
        .isEqualTo(matchId);
    eve.graphQl()
        .documentName("match")
        .variable("id", matchId)
        .execute()
        .errors()
        .expect(e -> e.getErrorType().toString().equals("NOT_FOUND"))
        .verify();
    anonymous()
        .documentName("match")
        .variable("id", matchId)
        .execute()
        .errors()
        .expect(e -> e.getErrorType().toString().equals("UNAUTHORIZED"))
        .verify();
    unmatch(eve, matchId)
        .errors()
        .expect(e -> e.getErrorType().toString().equals("NOT_FOUND"))
        .verify();
    eve.graphQl()
        .document("query($r:[_Any!]!){_entities(representations:$r){... on Match{id}}}")
        .variable("r", List.of(Map.of("__typename", "Match", "id", matchId)))
        .execute()
        .path("_entities[0]")
        .valueIsNull();
    assertThat(status(matchId)).isEqualTo("ACTIVE");
  }

  @Test
  void unmatchEndsItAndLikingAgainRevivesIt() {
    var ann = signUp("Ann");
    var ben = signUp("Ben");
    like(ann, ben);
    String matchId = like(ben, ann).path("likeProfile.match.id").entity(String.class).get();
    unmatch(ann, matchId).path("unmatch.status").entity(String.class).isEqualTo("UNMATCHED");
    ben.graphQl()
        .documentName("myMatches")
        .execute()
        .path("myMatches.edges")
        .entityList(Object.class)
        .hasSize(0);
    like(ben, ann).path("likeProfile.match").valueIsNull();
    assertMatchedAgain(like(ann, ben), matchId);
  }

  /**
   * Ann's unmatch is sent again (its answer was lost) after Ben liked her once more: it changes
   * nothing, so Ben's like stays and Ann's like makes the match again.
   */
  @Test
  void anUnmatchSentAgainLeavesALikeMadeSince() {
    var ann = signUp("Ann");
    var ben = signUp("Ben");
    like(ann, ben);
    String matchId = like(ben, ann).path("likeProfile.match.id").entity(String.class).get();
    for (int attempt = 0; attempt < 2; attempt++) {
      unmatch(ann, matchId).path("unmatch.status").entity(String.class).isEqualTo("UNMATCHED");
      if (attempt == 0) {
        like(ben, ann).path("likeProfile.match").valueIsNull();
      }
    }
    assertMatchedAgain(like(ann, ben), matchId);
  }

  @Test
  void selfLikesUnknownUsersAndAnonymousCallersAreRefused() {
    var ann = signUp("Ann");
    like(ann, ann.id())
        .errors()
        .expect(e -> e.getErrorType().toString().equals("BAD_REQUEST"))
        .verify();
    like(ann, "987654321")
        .errors()
        .expect(e -> e.getErrorType().toString().equals("NOT_FOUND"))
        .verify();
    like(ann, "abc")
        .errors()
        .expect(e -> e.getErrorType().toString().equals("BAD_REQUEST"))
        .verify();
    anonymous()
        .documentName("likeProfile")
        .variable("userId", ann.id())
        .execute()
        .errors()
        .expect(e -> e.getErrorType().toString().equals("UNAUTHORIZED"))
        .verify();
    anonymous()
        .documentName("myMatches")
        .execute()
        .errors()
        .expect(e -> e.getErrorType().toString().equals("UNAUTHORIZED"))
        .verify();
  }

  @RepeatedTest(3)
  void simultaneousMutualLikesMakeExactlyOneMatch() {
    var ann = signUp("Ann");
    var ben = signUp("Ben");
    Mono.zip(
            Mono.fromCallable(() -> like(ann, ben)).subscribeOn(BlockingCalls.SCHEDULER),
            Mono.fromCallable(() -> like(ben, ann)).subscribeOn(BlockingCalls.SCHEDULER))
        .block(Duration.ofSeconds(30));
    long pairs =
        db.sql(
                "SELECT count(*) FROM matches WHERE user_a_id = least($1, $2) AND user_b_id = greatest($1, $2) AND status = 'ACTIVE'")
            .bind(0, Long.parseLong(ann.id()))
            .bind(1, Long.parseLong(ben.id()))
            .map(r -> r.get(0, Long.class))
            .one()
            .block();
    assertThat(pairs).isEqualTo(1);
  }

  private org.springframework.graphql.test.tester.GraphQlTester.Response unmatch(
      Client user, String matchId) {
    return user.graphQl().documentName("unmatch").variable("matchId", matchId).execute();
  }

  /** A like that made the pair's match again: the same match, active. */
  private static void assertMatchedAgain(
      org.springframework.graphql.test.tester.GraphQlTester.Response like, String matchId) {
    like.path("likeProfile.match.id")
        .entity(String.class)
        .isEqualTo(matchId)
        .path("likeProfile.match.status")
        .entity(String.class)
        .isEqualTo("ACTIVE");
  }

  private org.springframework.graphql.test.tester.GraphQlTester.Response like(
      Client liker, Client likee) {
    return like(liker, likee.id());
  }

  private org.springframework.graphql.test.tester.GraphQlTester.Response like(
      Client liker, String likee) {
    return liker.graphQl().documentName("likeProfile").variable("userId", likee).execute();
  }

  private String status(String matchId) {
    return db.sql("SELECT status FROM matches WHERE id = $1")
        .bind(0, Long.parseLong(matchId))
        .map(r -> r.get(0, String.class))
        .one()
        .block();
  }
}
