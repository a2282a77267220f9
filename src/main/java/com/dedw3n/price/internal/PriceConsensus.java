package com.dedw3n.price.internal;

import java.math.BigDecimal;
import java.math.MathContext;
import java.util.ArrayList;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * Which of several providers' prices for one pair to believe. The consensus is the median of all
 * answers; an answer further than the margin from it is an outlier and ignored; of the rest, the
 * answer of the provider earliest in the configured order wins. A lone answer is taken as it is
 * (there is nothing to compare it with). Two answers agree when each is within the margin of the
 * other: their median is their mean, from which each is half their gap, so the median's test would
 * let two answers 22 % apart both pass a 10 % margin (and serve the first of them, every healthy
 * refresh asking two). Two that disagree are both outliers: no price is agreed, and more providers
 * must be asked.
 */
final class PriceConsensus {

  /** One provider's price for one pair; {@code rank} is the provider's place in the order. */
  record Answer(String provider, int rank, BigDecimal price) {}

  private PriceConsensus() {}

  /** The answer to serve, or null when there is none or the answers disagree. */
  static @Nullable Answer agreed(List<Answer> answers, BigDecimal margin) {
    List<Answer> accepted = accepted(answers, margin);
    return accepted.isEmpty() ? null : accepted.get(0);
  }

  /**
   * The answers believed, in provider order: both of two within the margin of each other, or of
   * three or more those within the margin of their median.
   */
  static List<Answer> accepted(List<Answer> answers, BigDecimal margin) {
    if (answers.size() <= 1) {
      return answers;
    }
    if (answers.size() == 2) {
      BigDecimal low = answers.get(0).price().min(answers.get(1).price());
      BigDecimal high = answers.get(0).price().max(answers.get(1).price());
      boolean agree = high.subtract(low).divide(low, MathContext.DECIMAL64).compareTo(margin) <= 0;
      List<Answer> both = new ArrayList<>(agree ? answers : List.of());
      both.sort((a, b) -> Integer.compare(a.rank(), b.rank()));
      return both;
    }
    BigDecimal median = median(answers);
    List<Answer> accepted = new ArrayList<>();
    for (Answer answer : answers) {
      BigDecimal deviation =
          answer.price().subtract(median).abs().divide(median, MathContext.DECIMAL64);
      if (deviation.compareTo(margin) <= 0) {
        accepted.add(answer);
      }
    }
    accepted.sort((a, b) -> Integer.compare(a.rank(), b.rank()));
    return accepted;
  }

  static BigDecimal median(List<Answer> answers) {
    List<BigDecimal> prices = new ArrayList<>(answers.stream().map(Answer::price).toList());
    prices.sort(null);
    int n = prices.size();
    return n % 2 == 1
        ? prices.get(n / 2)
        : prices
            .get(n / 2 - 1)
            .add(prices.get(n / 2))
            .divide(BigDecimal.valueOf(2), MathContext.DECIMAL64);
  }
}
