package com.dedw3n.payment.internal;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.stripe.model.Refund;
import java.time.Instant;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * What Stripe said of one refund, in the answer to its creation or in an event ({@code refund.*},
 * {@code charge.refund.updated}, the refunds listed in a {@code charge.refunded}).
 *
 * @param ourId the id of our refund row, from the metadata the API creates refunds with; null for a
 *     refund made outside the API
 * @param created when Stripe made the refund
 */
record RefundReport(
    String stripeId,
    long amount,
    @Nullable String currency,
    String status,
    @Nullable String failureReason,
    @Nullable Long ourId,
    @Nullable Instant created) {

  /**
   * How far along a status is. Stripe moves a refund forward only (pending or requires_action, then
   * succeeded, then possibly failed: a card refund can fail after it succeeded), so of two reports
   * the further one is the newer, whatever order they arrived in. failed and canceled are final.
   */
  static int stage(String status) {
    return switch (status) {
      case "succeeded" -> 1;
      case "failed", "canceled" -> 2;
      default -> 0; // pending, requires_action
    };
  }

  static boolean over(String status) {
    return stage(status) == 2;
  }

  static RefundReport of(Refund refund) {
    Map<String, String> metadata = refund.getMetadata();
    return new RefundReport(
        refund.getId(),
        refund.getAmount() == null
            ? 0
            : StripeAmounts.fromStripe(refund.getCurrency(), refund.getAmount()),
        refund.getCurrency(),
        known(refund.getStatus()),
        refund.getFailureReason(),
        metadata == null ? null : id(metadata.get("refund_id")),
        refund.getCreated() == null ? null : Instant.ofEpochSecond(refund.getCreated()));
  }

  /** The refund in an event's JSON; null when the object is no refund with an id. */
  static @Nullable RefundReport of(JsonObject refund) {
    String id = string(refund, "id");
    if (id == null || !"refund".equals(string(refund, "object"))) {
      return null;
    }
    JsonElement amount = refund.get("amount");
    JsonElement metadata = refund.get("metadata");
    JsonElement created = refund.get("created");
    return new RefundReport(
        id,
        amount == null || amount.isJsonNull()
            ? 0
            : StripeAmounts.fromStripe(string(refund, "currency"), amount.getAsLong()),
        string(refund, "currency"),
        known(string(refund, "status")),
        string(refund, "failure_reason"),
        metadata != null && metadata.isJsonObject()
            ? id(string(metadata.getAsJsonObject(), "refund_id"))
            : null,
        created == null || created.isJsonNull() || !created.isJsonPrimitive()
            ? null
            : Instant.ofEpochSecond(created.getAsLong()));
  }

  /** A status Stripe may add later counts as still in flight: it reserves, and refunds nothing. */
  private static String known(@Nullable String status) {
    return status != null
            && switch (status) {
              case "pending", "requires_action", "succeeded", "failed", "canceled" -> true;
              default -> false;
            }
        ? status
        : "pending";
  }

  private static @Nullable Long id(@Nullable String text) {
    if (text == null) {
      return null;
    }
    try {
      return Long.parseLong(text);
    } catch (NumberFormatException e) {
      return null;
    }
  }

  private static @Nullable String string(JsonObject object, String field) {
    JsonElement value = object.get(field);
    return value == null || value.isJsonNull() || !value.isJsonPrimitive()
        ? null
        : value.getAsString();
  }
}
