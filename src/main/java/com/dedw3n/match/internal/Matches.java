package com.dedw3n.match.internal;

import com.dedw3n.platform.graphql.Page;
import io.r2dbc.spi.Readable;
import java.time.OffsetDateTime;
import java.util.Collection;
import java.util.List;
import org.springframework.r2dbc.core.DatabaseClient;
import org.springframework.stereotype.Repository;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/** The profile_likes and matches tables. */
@Repository
class Matches {

  private static final String COLUMNS = "id, user_a_id, user_b_id, status, created_at";

  private final DatabaseClient db;

  Matches(DatabaseClient db) {
    this.db = db;
  }

  /** Matches of these ids that the user is part of; one statement. */
  Flux<Match> visible(Collection<Long> ids, long userId) {
    return db.sql(
            "SELECT "
                + COLUMNS
                + " FROM matches WHERE id = ANY($1) AND (user_a_id = $2 OR user_b_id = $2)")
        .bind(0, ids.toArray(Long[]::new))
        .bind(1, userId)
        .map(Matches::match)
        .all();
  }

  /** A user's active matches, newest first. */
  Flux<Match> activeOf(long userId, Page page) {
    String after = page.isFirst() ? "" : " AND (created_at, id) < ($3, $4)";
    var spec =
        db.sql(
                "SELECT "
                    + COLUMNS
                    + " FROM matches WHERE (user_a_id = $1 OR user_b_id = $1) AND status = 'ACTIVE'"
                    + after
                    + " ORDER BY created_at DESC, id DESC LIMIT $2")
            .bind(0, userId)
            .bind(1, page.fetchSize());
    if (!page.isFirst()) {
      spec = spec.bind(2, page.afterTime("t")).bind(3, page.afterLong("id"));
    }
    return spec.map(Matches::match).all();
  }

  /**
   * Serialises everything that happens to one pair of users until the transaction ends, so two
   * people liking each other at the same instant still see each other's like.
   */
  Mono<Void> lockPair(long a, long b) {
    return db.sql("SELECT pg_advisory_xact_lock(hashtextextended($1::text || ':' || $2::text, 0))")
        .bind(0, Math.min(a, b))
        .bind(1, Math.max(a, b))
        .then();
  }

  Mono<Void> like(long liker, long likee) {
    return db.sql(
            "INSERT INTO profile_likes (liker_id, likee_id) VALUES ($1, $2) ON CONFLICT DO NOTHING")
        .bind(0, liker)
        .bind(1, likee)
        .then();
  }

  Mono<Boolean> likes(long liker, long likee) {
    return db.sql(
            "SELECT EXISTS (SELECT 1 FROM profile_likes WHERE liker_id = $1 AND likee_id = $2)")
        .bind(0, liker)
        .bind(1, likee)
        .map(row -> row.get(0, Boolean.class))
        .one();
  }

  /** Makes the pair a match, or makes an ended match active again. */
  Mono<Match> match(long a, long b) {
    return db.sql(
            "INSERT INTO matches (user_a_id, user_b_id) VALUES ($1, $2)"
                + " ON CONFLICT (user_a_id, user_b_id) DO UPDATE SET status = 'ACTIVE',"
                + " created_at = CASE WHEN matches.status = 'ACTIVE' THEN matches.created_at"
                + " ELSE now() END RETURNING "
                + COLUMNS)
        .bind(0, Math.min(a, b))
        .bind(1, Math.max(a, b))
        .map(Matches::match)
        .one();
  }

  /**
   * Ends a match of this user, withdrawing both likes; empty when it is not theirs.
   *
   * <p>Takes the pair's lock first, as a like does: otherwise a like that saw both likes just
   * before they were withdrawn would wait for the match row and then set it ACTIVE again, right
   * after the unmatch, with no like left behind it.
   *
   * <p>Ending a match that is no longer active changes nothing and answers it as it is: the likes
   * are withdrawn only by the unmatch that ended it. A retried unmatch, or one from a screen still
   * showing the old match, came after one of the two may have liked the other again, and that like
   * is theirs.
   */
  Mono<Match> end(long matchId, long userId) {
    return visible(List.of(matchId), userId)
        .next()
        .flatMap(
            found ->
                lockPair(found.userAId(), found.userBId())
                    .then(
                        db.sql(
                                "UPDATE matches SET status = 'UNMATCHED' WHERE id = $1"
                                    + " AND status = 'ACTIVE' RETURNING "
                                    + COLUMNS)
                            .bind(0, matchId)
                            .map(Matches::match)
                            .one())
                    .flatMap(
                        match ->
                            db.sql(
                                    "DELETE FROM profile_likes WHERE (liker_id = $1 AND likee_id ="
                                        + " $2) OR (liker_id = $2 AND likee_id = $1)")
                                .bind(0, match.userAId())
                                .bind(1, match.userBId())
                                .then()
                                .thenReturn(match))
                    // read after the lock: the status another unmatch left
                    .switchIfEmpty(visible(List.of(matchId), userId).next()));
  }

  private static Match match(Readable row) {
    return new Match(
        row.get("id", Long.class),
        row.get("user_a_id", Long.class),
        row.get("user_b_id", Long.class),
        row.get("status", String.class),
        row.get("created_at", OffsetDateTime.class));
  }
}
