package com.dedw3n.platform.budget;

import org.jspecify.annotations.Nullable;

/**
 * Who pays for a request's query cost: the signed-in user, else the partner whose key it carries,
 * else (anonymous traffic) its client address.
 *
 * @param rate a budget of its own (a partner's record), or null for the kind's default
 */
public record Payer(Kind kind, String id, BudgetSettings.@Nullable Rate rate) {

  public enum Kind {
    USER,
    PARTNER,
    ADDRESS
  }

  public static Payer user(long userId) {
    return new Payer(Kind.USER, Long.toString(userId), null);
  }

  /** Anonymous traffic from a client address; an IPv6 one pays as its /64. */
  public static Payer address(String address) {
    return new Payer(Kind.ADDRESS, AddressSubjects.of(address), null);
  }

  /** The bucket key of this payer's query-cost budget. */
  public String costKey() {
    return switch (kind) {
      case USER -> "cost:user:" + id;
      case PARTNER -> "cost:partner:" + id;
      case ADDRESS -> "cost:address:" + id;
    };
  }
}
