package com.dedw3n.match.internal;

import com.dedw3n.mail.Outbox;
import com.dedw3n.platform.budget.Action;
import com.dedw3n.platform.budget.Budgets;
import com.dedw3n.platform.graphql.ApiException;
import com.dedw3n.platform.graphql.Ids;
import com.dedw3n.platform.graphql.LoadedField;
import com.dedw3n.platform.graphql.Page;
import com.dedw3n.platform.security.Viewer;
import com.dedw3n.user.User;
import com.dedw3n.user.Users;
import graphql.schema.idl.RuntimeWiring;
import java.util.List;
import java.util.Map;
import org.springframework.data.domain.Window;
import org.springframework.graphql.data.federation.EntityMapping;
import org.springframework.graphql.data.method.annotation.Argument;
import org.springframework.graphql.data.method.annotation.MutationMapping;
import org.springframework.graphql.data.method.annotation.QueryMapping;
import org.springframework.graphql.execution.RuntimeWiringConfigurer;
import org.springframework.stereotype.Controller;
import org.springframework.transaction.reactive.TransactionalOperator;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/** Dating: profile likes and the matches they make; the {@code Match} entity. */
@Controller
class MatchController implements RuntimeWiringConfigurer {

  private final Matches matches;
  private final Users users;
  private final TransactionalOperator transaction;
  private final Outbox outbox;
  private final Budgets budgets;

  MatchController(
      Matches matches,
      Users users,
      TransactionalOperator transaction,
      Outbox outbox,
      Budgets budgets) {
    this.outbox = outbox;
    this.budgets = budgets;
    this.matches = matches;
    this.users = users;
    this.transaction = transaction;
  }

  /** Fields that are loads by keys of their parent, as {@link LoadedField}s (see there why). */
  @Override
  public void configure(RuntimeWiring.Builder wiring) {
    wiring.type(
        "Match",
        type ->
            type.dataFetcher(
                "users",
                LoadedField.many(
                    User.LOADER, (Match match) -> List.of(match.userAId(), match.userBId()))));
    wiring.type(
        "ProfileLike",
        type -> type.dataFetcher("liked", LoadedField.of(User.LOADER, ProfileLike::likedUserId)));
  }

  @QueryMapping
  Mono<Match> match(@Argument String id) {
    long matchId = Ids.parse("id", id);
    return Viewer.requireId()
        .flatMap(viewer -> matches.visible(List.of(matchId), viewer).next())
        .switchIfEmpty(Mono.error(() -> ApiException.notFound("Match", id)));
  }

  @QueryMapping
  Mono<Window<Match>> myMatches(@Argument Integer first, @Argument String after) {
    Page page = Page.of("first", first, 20, after);
    return Viewer.requireId()
        .flatMap(viewer -> matches.activeOf(viewer, page).collectList())
        .map(rows -> page.window(rows, match -> Page.key(match.createdAt(), match.id())));
  }

  @MutationMapping
  Mono<ProfileLike> likeProfile(@Argument String userId) {
    long likee = Ids.parse("userId", userId);
    return Viewer.requireId()
        .flatMap(
            liker -> {
              if (liker == likee) {
                return Mono.error(ApiException.badRequest("You cannot like your own profile."));
              }
              // spent before anything is read: a like's answer tells whether the other had liked
              // the liker, so liking every profile must not list someone's admirers
              return budgets.spendAs(
                  Action.PROFILE_LIKE,
                  liker,
                  spender ->
                      users
                          .existing(List.of(likee))
                          .hasElements()
                          .flatMap(
                              exists ->
                                  exists
                                      ? likeAndMaybeMatch(spender, likee)
                                      : Mono.error(ApiException.notFound("User", userId))));
            });
  }

  private Mono<ProfileLike> likeAndMaybeMatch(long liker, long likee) {
    return matches
        .lockPair(liker, likee)
        .then(matches.like(liker, likee))
        .then(matches.likes(likee, liker))
        .flatMap(
            mutual ->
                mutual
                    ? matches
                        .match(liker, likee)
                        .flatMap(match -> announce(match).thenReturn(new ProfileLike(likee, match)))
                    : Mono.just(new ProfileLike(likee, null)))
        .as(transaction::transactional);
  }

  /**
   * Queues the "new match" mail to both users, in the match's transaction; once per match (a like
   * that finds the match already active, or a rematch at the same instant, queues nothing), and
   * only to a verified address: an address is anyone's to sign up with, and an account on it, a
   * like back and an unmatch, over and over, would mail its owner a display name of the sender's
   * choosing, from our domain, a few times an hour.
   */
  private Mono<Void> announce(Match match) {
    String since = String.valueOf(match.createdAt().toInstant().toEpochMilli());
    List<Long> both = List.of(match.userAId(), match.userBId());
    // one statement after the other: they share the transaction's connection
    return users
        .verified(both)
        .collectList()
        .filter(verified -> !verified.isEmpty())
        .flatMapMany(
            verified ->
                users
                    .findAllById(both)
                    .collectMap(User::id)
                    .flatMapMany(
                        pair ->
                            Flux.fromIterable(verified)
                                .filter(pair::containsKey)
                                .concatMap(
                                    id -> {
                                      User user = pair.get(id);
                                      User other =
                                          pair.get(
                                              id == match.userAId()
                                                  ? match.userBId()
                                                  : match.userAId());
                                      return outbox.enqueue(
                                          "new-match:" + match.id() + ":" + since + ":" + id,
                                          user.email(),
                                          "You have a new match on Dedw3n",
                                          "You and "
                                              + (other == null ? "someone" : other.displayName())
                                              + " like each other. Say hello in the app.");
                                    })))
        .then();
  }

  @MutationMapping
  Mono<Match> unmatch(@Argument String matchId) {
    long id = Ids.parse("matchId", matchId);
    return Viewer.requireId()
        .flatMap(viewer -> matches.end(id, viewer).as(transaction::transactional))
        .switchIfEmpty(Mono.error(() -> ApiException.notFound("Match", matchId)));
  }

  @EntityMapping("Match")
  Mono<List<Match>> matchEntities(@Argument List<String> idList) {
    List<Long> ids = Ids.parseAll("id", idList);
    return Viewer.current()
        .flatMap(viewer -> matches.visible(ids, viewer.userId()).collectMap(Match::id))
        .defaultIfEmpty(Map.of())
        .map(visible -> ids.stream().map(visible::get).toList());
  }
}
