package com.dedw3n.platform.budget;

import java.util.function.Function;

/** The writes and attempts that have a budget of their own, each named for its error message. */
public enum Action {
  SIGN_IN_ACCOUNT("sign-in attempts for this account", BudgetSettings::signInPerAccount),
  SIGN_IN_ADDRESS("sign-in attempts from your address", BudgetSettings::signInPerAddress),
  SIGN_UP_ADDRESS("sign-ups from your address", BudgetSettings::signUpPerAddress),
  PARTNER_KEY_ADDRESS(
      "partner keys unknown to this API from your address", BudgetSettings::partnerKeysPerAddress),
  RESET_MAIL_RECIPIENT(
      "password reset mails to this address", BudgetSettings::resetMailsPerRecipient),
  MESSAGE("messages", BudgetSettings::messages),
  POST("posts", BudgetSettings::posts),
  PRODUCT("products listed", BudgetSettings::products),
  COMMENT("comments", BudgetSettings::comments),
  REVIEW("reviews", BudgetSettings::reviews),
  PROFILE_LIKE("profile likes", BudgetSettings::profileLikes),
  PRICE_QUOTE("locked price quotes", BudgetSettings::priceQuotes);

  private final String what;
  private final Function<BudgetSettings, BudgetSettings.Rate> rate;

  Action(String what, Function<BudgetSettings, BudgetSettings.Rate> rate) {
    this.what = what;
    this.rate = rate;
  }

  String what() {
    return what;
  }

  BudgetSettings.Rate rate(BudgetSettings settings) {
    return rate.apply(settings);
  }

  /** Whether its subject is a client address (an IPv6 one spends its /64's budget). */
  boolean perClientAddress() {
    return this == SIGN_IN_ADDRESS || this == SIGN_UP_ADDRESS || this == PARTNER_KEY_ADDRESS;
  }

  /** The bucket key's prefix. */
  String key() {
    return name().toLowerCase(java.util.Locale.ROOT).replace('_', '-');
  }
}
