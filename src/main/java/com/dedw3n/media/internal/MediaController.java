package com.dedw3n.media.internal;

import com.dedw3n.chat.MessageAccess;
import com.dedw3n.media.internal.MediaFormat.Sniffed;
import com.dedw3n.media.internal.ObjectStore.ObjectRef;
import com.dedw3n.platform.budget.BudgetSettings;
import com.dedw3n.platform.budget.Budgets;
import com.dedw3n.platform.graphql.ApiException;
import com.dedw3n.platform.graphql.ErrorKind;
import com.dedw3n.platform.graphql.Identified;
import com.dedw3n.platform.graphql.Ids;
import com.dedw3n.platform.security.Viewer;
import com.dedw3n.post.PostAuthors;
import com.dedw3n.product.ProductSellers;
import jakarta.validation.Valid;
import jakarta.validation.constraints.NotNull;
import jakarta.validation.constraints.Positive;
import jakarta.validation.constraints.Size;
import java.time.Clock;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.Collection;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.stream.Collectors;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.graphql.data.method.annotation.Argument;
import org.springframework.graphql.data.method.annotation.BatchMapping;
import org.springframework.graphql.data.method.annotation.MutationMapping;
import org.springframework.stereotype.Controller;
import org.springframework.transaction.reactive.TransactionalOperator;
import reactor.core.publisher.Mono;

/**
 * Uploads (requestUpload, completeUpload, deleteMedia) and the media fields of other features'
 * types: Product.images, Post.media, User.photos and Message.attachments, each one statement for a
 * whole page of parents. The bytes never pass through here: clients PUT and GET them with the
 * signed URLs this controller issues.
 */
@Controller
class MediaController {

  /** Download URLs signed at once for one page of parents (each signature may be a call). */
  private static final int SIGNING_AT_ONCE = 8;

  /** The schema's {@code RequestUploadInput}. */
  record RequestUploadInput(
      @NotNull MediaPurpose purpose,
      @NotNull @Size(min = 1, max = 100, message = "must be 1 to 100 characters long")
          String contentType,
      // the largest size depends on the type: checked in code, with its own error code
      @NotNull @Positive(message = "must be 1 byte or more") Long byteSize,
      String attachTo) {}

  /** A signed request the client makes to upload the bytes itself. */
  record UploadTicket(
      String objectId,
      String uploadUrl,
      String method,
      List<HttpHeader> headers,
      OffsetDateTime expiresAt) {}

  record HttpHeader(String name, String value) {}

  /** The schema's {@code Media}: a stored, checked object and where to read it. */
  record Media(
      String id, String url, String contentType, long byteSize, Integer width, Integer height) {}

  private final MediaObjects objects;
  private final MediaStorage storage;
  private final MediaSettings settings;
  private final Budgets budgets;
  private final ProductSellers sellers;
  private final PostAuthors authors;
  private final MessageAccess messages;
  private final TransactionalOperator transaction;
  private final MediaMetrics metrics;
  private final MediaCleanup cleanup;
  private final Clock clock;

  MediaController(
      MediaObjects objects,
      MediaStorage storage,
      MediaSettings settings,
      Budgets budgets,
      ProductSellers sellers,
      PostAuthors authors,
      MessageAccess messages,
      TransactionalOperator transaction,
      MediaMetrics metrics,
      MediaCleanup cleanup,
      ObjectProvider<Clock> clock) {
    this.objects = objects;
    this.storage = storage;
    this.settings = settings;
    this.budgets = budgets;
    this.sellers = sellers;
    this.authors = authors;
    this.messages = messages;
    this.transaction = transaction;
    this.metrics = metrics;
    this.cleanup = cleanup;
    this.clock = clock.getIfUnique(Clock::systemUTC);
  }

  @MutationMapping
  Mono<UploadTicket> requestUpload(@Argument @Valid RequestUploadInput input) {
    MediaPurpose purpose = input.purpose();
    String contentType = input.contentType().strip();
    MediaFormat format =
        MediaFormat.ofContentType(contentType)
            .filter(purpose.formats()::contains)
            .orElseThrow(
                () ->
                    refusal(
                        purpose,
                        "UNSUPPORTED_MEDIA_TYPE",
                        "input.contentType "
                            + contentType
                            + " is not allowed for "
                            + purpose
                            + "; allowed: "
                            + purpose.formats().stream()
                                .map(MediaFormat::contentType)
                                .collect(Collectors.joining(", "))));
    long byteSize = input.byteSize();
    if (byteSize > format.maxBytes()) {
      throw refusal(
          purpose,
          "MEDIA_TOO_LARGE",
          "input.byteSize "
              + byteSize
              + " is over the limit for "
              + format.contentType()
              + ": "
              + format.maxBytes()
              + " bytes");
    }
    if (purpose.needsAttachTo() == (input.attachTo() == null)) {
      throw ApiException.badRequest(
          purpose.needsAttachTo()
              ? "input.attachTo must name " + purpose.ownerDescription() + " for " + purpose
              : "input.attachTo must be left out for " + purpose + ": it is the viewer's own");
    }
    Long attachTo = input.attachTo() == null ? null : Ids.parse("input.attachTo", input.attachTo());
    ObjectStore store = storage.store();
    UUID id = UUID.randomUUID();
    return Viewer.requireId()
        .flatMap(uploader -> checkOwner(purpose, attachTo, uploader).thenReturn(uploader))
        .flatMap(uploader -> spendUploadBudget(purpose, uploader, byteSize).thenReturn(uploader))
        .flatMap(
            uploader -> {
              long owner = attachTo == null ? uploader : attachTo;
              ObjectRef object = storage.newObject(purpose, uploader, id);
              Duration lifetime = settings.signedUrlLifetime();
              // the ticket's expiry is read before signing, so it is never later than the URL's
              OffsetDateTime expiresAt =
                  OffsetDateTime.ofInstant(clock.instant().plus(lifetime), ZoneOffset.UTC);
              // signed before the row is stored: signing can fail (IAM's signBlob without a key
              // file, a full media-io queue), and a row committed without its URL would hold a
              // slot and quota that its uploader, never told its id, cannot free for a day
              return store
                  .signUpload(
                      object,
                      format.contentType(),
                      byteSize,
                      storage.cacheControl(format.contentType(), purpose.isPublic()),
                      lifetime)
                  .flatMap(
                      signed ->
                          storePending(
                                  purpose, uploader, owner, object, format, byteSize, lifetime, id)
                              .thenReturn(
                                  new UploadTicket(
                                      id.toString(),
                                      signed.url(),
                                      signed.method(),
                                      signed.headers().entrySet().stream()
                                          .map(h -> new HttpHeader(h.getKey(), h.getValue()))
                                          .toList(),
                                      expiresAt)));
            });
  }

  /**
   * The pending row, counted after the insert in its transaction: the insert's usage trigger locks
   * the uploader's usage row until the commit, so concurrent uploads for one owner (all of one
   * user's) count one after the other and cannot all pass at max - 1. Its recorded expiry is taken
   * after the URL was signed, so it is never earlier than the URL's.
   */
  private Mono<MediaObject> storePending(
      MediaPurpose purpose,
      long uploader,
      long owner,
      ObjectRef object,
      MediaFormat format,
      long byteSize,
      Duration lifetime,
      UUID id) {
    return objects
        .insertPending(
            id, uploader, purpose, object, format.contentType(), byteSize, owner, lifetime)
        .flatMap(
            row ->
                objects
                    .countOf(purpose, owner)
                    .flatMap(
                        count ->
                            count > purpose.maxPerOwner()
                                ? Mono.error(
                                    refusal(
                                        purpose,
                                        ErrorKind.CONFLICT,
                                        "MEDIA_LIMIT",
                                        "At most "
                                            + purpose.maxPerOwner()
                                            + " "
                                            + purpose
                                            + " per owner (pending uploads count)."))
                                : Mono.just(row)))
        .flatMap(row -> checkQuota(purpose, uploader).thenReturn(row))
        .as(transaction::transactional);
  }

  @MutationMapping
  Mono<Media> completeUpload(@Argument String objectId) {
    UUID id = uuid("objectId", objectId);
    ObjectStore store = storage.store();
    return Viewer.requireId()
        .flatMap(
            uploader ->
                objects
                    .findOwn(id, uploader)
                    .switchIfEmpty(Mono.error(() -> ApiException.notFound("Upload", objectId))))
        .flatMap(
            row -> {
              if (row.attached()) {
                return view(row); // completing twice answers the same media
              }
              return store
                  .stat(row.object())
                  .switchIfEmpty(
                      Mono.error(
                          () ->
                              refusal(
                                  row.purpose(),
                                  "UPLOAD_NOT_FOUND",
                                  "Nothing has been uploaded for objectId "
                                      + objectId
                                      + " yet: PUT the file to its uploadUrl first.")))
                  .flatMap(
                      stored -> {
                        if (!stored.contentType().equals(row.contentType())
                            || stored.byteSize() != row.byteSize()) {
                          return reject(
                              row,
                              "UPLOAD_MISMATCH",
                              "The uploaded object is "
                                  + stored.contentType()
                                  + " of "
                                  + stored.byteSize()
                                  + " bytes, not the "
                                  + row.contentType()
                                  + " of "
                                  + row.byteSize()
                                  + " bytes requested; it was deleted.");
                        }
                        // never ask for more than the object holds: a reader past the end is the
                        // store's guess
                        return store.head(
                            row.object(),
                            (int) Math.min(MediaFormat.HEAD_BYTES, stored.byteSize()));
                      })
                  .flatMap(
                      head -> {
                        Sniffed sniffed =
                            MediaFormat.sniff(head)
                                .filter(s -> s.format().contentType().equals(row.contentType()))
                                .orElse(null);
                        if (sniffed == null) {
                          return reject(
                              row,
                              "NOT_DECLARED_FORMAT",
                              "The uploaded bytes are not a readable "
                                  + row.contentType()
                                  + " file; it was deleted.");
                        }
                        return objects
                            .attach(row.id(), sniffed.width(), sniffed.height())
                            // counted once, by the request that attached it
                            .doOnNext(attached -> metrics.completed(row.purpose(), row.byteSize()))
                            // completed concurrently by another request: answer what it stored;
                            // deleted meanwhile (deleteMedia, the sweep): there is none
                            .switchIfEmpty(objects.findOwn(row.id(), row.uploaderId()))
                            .switchIfEmpty(
                                Mono.error(() -> ApiException.notFound("Media", row.id())))
                            .flatMap(this::view);
                      });
            });
  }

  @MutationMapping
  Mono<Boolean> deleteMedia(@Argument String id) {
    UUID mediaId = uuid("id", id);
    return Viewer.requireId()
        .flatMap(uploader -> objects.deleteOwn(mediaId, uploader))
        .flatMap(
            deleted -> {
              if (!deleted) {
                return Mono.error(ApiException.notFound("Media", id));
              }
              cleanup.nudge();
              return Mono.just(true);
            });
  }

  /** One statement for the page of products. */
  @BatchMapping(typeName = "Product", field = "images")
  Mono<Map<Identified, List<Media>>> images(List<Identified> products) {
    return attached(MediaPurpose.PRODUCT_IMAGE, products, ids(products));
  }

  /** One statement for the page of posts. */
  @BatchMapping(typeName = "Post", field = "media")
  Mono<Map<Identified, List<Media>>> media(List<Identified> posts) {
    return attached(MediaPurpose.POST_MEDIA, posts, ids(posts));
  }

  /** One statement for all the users of a response. */
  @BatchMapping(typeName = "User", field = "photos")
  Mono<Map<Identified, List<Media>>> photos(List<Identified> users) {
    return attached(MediaPurpose.PROFILE_PHOTO, users, ids(users));
  }

  /**
   * The attachments of the messages whose conversation the viewer takes part in, each with a fresh
   * signed URL; none for anybody else (the chat feature shows messages to participants only, and
   * this holds even if a message reached someone else by another way). Two statements for the page.
   */
  @BatchMapping(typeName = "Message", field = "attachments")
  Mono<Map<Identified, List<Media>>> attachments(List<Identified> page) {
    return Viewer.current()
        .flatMap(
            viewer ->
                messages
                    .readableBy(ids(page), viewer.userId())
                    .collect(Collectors.toCollection(HashSet::new)))
        .defaultIfEmpty(new HashSet<>())
        .flatMap(readable -> attached(MediaPurpose.MESSAGE_ATTACHMENT, page, readable));
  }

  private Mono<Map<Identified, List<Media>>> attached(
      MediaPurpose purpose, List<Identified> parents, Collection<Long> ownerIds) {
    Mono<Map<Long, List<Media>>> byOwner =
        ownerIds.isEmpty() || !storage.configured()
            ? Mono.just(Map.of())
            : objects
                .attachedTo(purpose, ownerIds)
                // signed several at a time, in order: without a key file each signature is a
                // call to Google's IAM (signBlob), and a chat page holds many attachments
                .flatMapSequential(
                    row -> view(row).map(view -> Map.entry(row.ownerId(), view)), SIGNING_AT_ONCE)
                .collect(
                    Collectors.groupingBy(
                        Map.Entry::getKey,
                        Collectors.mapping(Map.Entry::getValue, Collectors.toList())));
    return byOwner.map(
        found -> {
          Map<Identified, List<Media>> result = new LinkedHashMap<>();
          for (Identified parent : parents) {
            result.put(parent, found.getOrDefault(parent.id(), List.of()));
          }
          return result;
        });
  }

  private Mono<Media> view(MediaObject row) {
    ObjectStore store = storage.store();
    Mono<String> url =
        row.purpose().isPublic()
            ? Mono.just(store.publicUrl(row.object()))
            : store.signDownload(row.object(), settings.signedUrlLifetime());
    return url.map(
        u ->
            new Media(
                row.id().toString(),
                u,
                row.contentType(),
                row.byteSize(),
                row.width(),
                row.height()));
  }

  /** Only the product's seller, the post's author, the message's sender may attach to it. */
  private Mono<Void> checkOwner(MediaPurpose purpose, Long attachTo, long uploader) {
    Mono<Long> owner =
        switch (purpose) {
          case PRODUCT_IMAGE -> sellers.sellerOf(attachTo);
          case POST_MEDIA -> authors.authorOf(attachTo);
          case MESSAGE_ATTACHMENT -> messages.senderOf(attachTo, uploader);
          case PROFILE_PHOTO -> Mono.just(uploader);
        };
    return owner
        .switchIfEmpty(
            Mono.error(() -> ApiException.notFound(describe(purpose), String.valueOf(attachTo))))
        .flatMap(
            found ->
                found == uploader
                    ? Mono.empty()
                    : Mono.error(
                        ApiException.forbidden(
                            "Only its "
                                + switch (purpose) {
                                  case PRODUCT_IMAGE -> "seller";
                                  case POST_MEDIA -> "author";
                                  default -> "sender";
                                }
                                + " may attach media to "
                                + purpose.ownerDescription()
                                + ".")));
  }

  /** The hourly upload budgets: uploads and bytes per user (RATE_LIMITED beyond). */
  private Mono<Void> spendUploadBudget(MediaPurpose purpose, long uploader, long byteSize) {
    if (!budgets.enabled()) {
      return Mono.empty();
    }
    return spend(purpose, "media-uploads:" + uploader, settings.uploads(), 1, "uploads")
        .then(
            spend(
                purpose,
                "media-upload-bytes:" + uploader,
                settings.uploadBytes(),
                byteSize,
                "bytes of uploads"));
  }

  private Mono<Void> spend(
      MediaPurpose purpose, String key, BudgetSettings.Rate rate, long tokens, String what) {
    return budgets
        .take(key, rate, tokens)
        .flatMap(
            spent -> {
              if (spent.allowed()) {
                return Mono.empty();
              }
              budgets.refused(key.substring(0, key.indexOf(':')));
              metrics.refused(purpose, "RATE_LIMITED");
              return Mono.error(
                  ApiException.rateLimited(
                      "Too many "
                          + what
                          + ": at most "
                          + rate.capacity()
                          + " per "
                          + rate.per().toString().substring(2).toLowerCase(java.util.Locale.ROOT)
                          + ". Retry in "
                          + spent.retryAfterSeconds()
                          + " s.",
                      spent.retryAfterSeconds()));
            });
  }

  /** Inside requestUpload's transaction, after the new row counted: over quota rolls it back. */
  private Mono<Void> checkQuota(MediaPurpose purpose, long uploader) {
    long quota = settings.quota().toBytes();
    return objects
        .bytesHeldBy(uploader)
        .flatMap(
            held ->
                held <= quota
                    ? Mono.empty()
                    : Mono.error(
                        refusal(
                            purpose,
                            ErrorKind.CONFLICT,
                            "STORAGE_QUOTA_EXCEEDED",
                            "This upload would take your media to "
                                + held
                                + " bytes; the quota is "
                                + quota
                                + " bytes. Delete some media first.")));
  }

  /** Deletes a rejected upload (its object goes with it) and refuses with a BAD_REQUEST. */
  private <T> Mono<T> reject(MediaObject row, String code, String message) {
    return objects
        .delete(row.id())
        .doOnSuccess(done -> cleanup.nudge())
        .then(Mono.error(refusal(row.purpose(), code, message)));
  }

  private ApiException refusal(MediaPurpose purpose, String code, String message) {
    return refusal(purpose, ErrorKind.BAD_REQUEST, code, message);
  }

  private ApiException refusal(MediaPurpose purpose, ErrorKind kind, String code, String message) {
    metrics.refused(purpose, code);
    return new ApiException(kind, code, message, 0);
  }

  private static String describe(MediaPurpose purpose) {
    return switch (purpose) {
      case PRODUCT_IMAGE -> "Product";
      case POST_MEDIA -> "Post";
      case MESSAGE_ATTACHMENT -> "Message";
      case PROFILE_PHOTO -> "User";
    };
  }

  private static Set<Long> ids(List<Identified> parents) {
    return parents.stream().map(Identified::id).collect(Collectors.toSet());
  }

  private static UUID uuid(String argument, String value) {
    try {
      if (value != null && value.length() == 36) {
        UUID id = UUID.fromString(value);
        if (id.toString().equals(value.toLowerCase(java.util.Locale.ROOT))) {
          return id;
        }
      }
    } catch (IllegalArgumentException malformed) {
      // reported below
    }
    throw ApiException.badRequest(argument + " is not a valid media id: '" + value + "'");
  }
}
