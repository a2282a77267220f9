package com.dedw3n.price.internal;

import com.dedw3n.price.internal.PriceConsensus.Answer;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * Asks the providers, in their configured order, for a set of pairs, until every pair has an agreed
 * price or no provider is left. The first round asks {@code quorum} providers at once (two by
 * default, so an outlier can be seen at all); each later round asks the next provider, only for the
 * pairs still short of a quorum or without agreement (a provider failed, lacked a symbol, sent
 * zero, or the answers disagree). Every round is one request per provider for all its pairs, so a
 * refresh costs at most one request per provider.
 */
final class ProviderChain {

  private static final Log log = LogFactory.getLog(ProviderChain.class);

  private final List<GuardedProvider> providers;
  private final int quorum;
  private final BigDecimal margin;

  ProviderChain(List<GuardedProvider> providers, int quorum, BigDecimal margin) {
    this.providers = providers;
    this.quorum = quorum;
    this.margin = margin;
  }

  List<GuardedProvider> providers() {
    return providers;
  }

  /** The agreed price of each pair that got one; pairs without one are absent. Never fails. */
  Mono<Map<PricePair, Answer>> prices(Set<PricePair> pairs) {
    List<GuardedProvider> askable = providers.stream().filter(GuardedProvider::mayBeAsked).toList();
    Map<PricePair, List<Answer>> answers = new HashMap<>();
    return round(askable, 0, quorum, pairs, answers).map(ignored -> decide(pairs, answers));
  }

  private Mono<Boolean> round(
      List<GuardedProvider> askable,
      int next,
      int width,
      Set<PricePair> needed,
      Map<PricePair, List<Answer>> answers) {
    if (needed.isEmpty() || next >= askable.size()) {
      return Mono.just(true);
    }
    List<GuardedProvider> batch = askable.subList(next, Math.min(askable.size(), next + width));
    return Flux.fromIterable(batch)
        .flatMap(
            provider ->
                provider
                    .fetch(needed)
                    .map(answer -> Map.entry(provider, answer))
                    // the guard has logged and counted it; the other providers go on
                    .onErrorResume(e -> Mono.empty()))
        .collectMap(Map.Entry::getKey, Map.Entry::getValue)
        .flatMap(
            results -> {
              // one thread at a time touches the answers: rounds run one after the other
              for (GuardedProvider provider : batch) {
                ProviderAnswer answer = results.get(provider);
                if (answer == null) {
                  continue;
                }
                int rank = providers.indexOf(provider);
                answer
                    .prices()
                    .forEach(
                        (pair, price) -> {
                          if (needed.contains(pair)) {
                            answers
                                .computeIfAbsent(pair, p -> new ArrayList<>())
                                .add(new Answer(provider.name(), rank, price));
                          }
                        });
              }
              Set<PricePair> stillShort = new LinkedHashSet<>();
              for (PricePair pair : needed) {
                List<Answer> some = answers.getOrDefault(pair, List.of());
                if (some.size() < quorum || PriceConsensus.agreed(some, margin) == null) {
                  stillShort.add(pair);
                }
              }
              return round(askable, next + batch.size(), 1, stillShort, answers);
            });
  }

  private Map<PricePair, Answer> decide(
      Set<PricePair> pairs, Map<PricePair, List<Answer>> answers) {
    Map<PricePair, Answer> agreed = new LinkedHashMap<>();
    for (PricePair pair : pairs) {
      List<Answer> some = answers.getOrDefault(pair, List.of());
      List<Answer> accepted = PriceConsensus.accepted(some, margin);
      if (accepted.isEmpty()) {
        if (!some.isEmpty()) {
          log.warn("Price providers disagree on " + pair + ", none believed: " + some);
          some.forEach(answer -> providers.get(answer.rank()).rejected("disagreement").increment());
        }
        continue;
      }
      agreed.put(pair, accepted.get(0));
      for (Answer answer : some) {
        if (!accepted.contains(answer)) {
          log.warn(
              "Price provider "
                  + answer.provider()
                  + ": "
                  + pair
                  + " = "
                  + answer.price()
                  + " ignored, more than "
                  + margin
                  + " from the median "
                  + PriceConsensus.median(some));
          providers.get(answer.rank()).rejected("outlier").increment();
        }
      }
    }
    return agreed;
  }
}
