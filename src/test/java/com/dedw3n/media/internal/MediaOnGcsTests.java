package com.dedw3n.media.internal;

import static org.assertj.core.api.Assertions.assertThat;

import com.dedw3n.ApiTests;
import com.google.auth.ServiceAccountSigner;
import com.google.auth.oauth2.ServiceAccountCredentials;
import com.google.cloud.storage.BlobId;
import com.google.cloud.storage.BlobInfo;
import com.google.cloud.storage.Storage;
import com.google.cloud.storage.StorageException;
import com.google.cloud.storage.contrib.nio.testing.LocalStorageHelper;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.net.URI;
import java.security.KeyPairGenerator;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.TestConfiguration;
import org.springframework.context.annotation.Bean;
import org.springframework.test.context.TestPropertySource;
import org.springframework.transaction.reactive.TransactionalOperator;
import reactor.core.publisher.Mono;
import reactor.util.context.Context;

/**
 * The whole API with a bucket configured (PUBLIC_OBJECT_SEARCH_PATHS, PRIVATE_OBJECT_DIR), against
 * Cloud Storage's semantics in process (google-cloud-nio's LocalStorageHelper) and URLs signed with
 * a generated service-account key. The fake cannot take a signed PUT, so the test writes the object
 * as Cloud Storage would store it from the signed request: with the headers the ticket names. The
 * cache times are set as an operator would (CACHE_TTL_IMAGES, CACHE_TTL_VIDEOS), to values other
 * than the defaults, so a time that ignored its setting would show.
 */
@TestPropertySource(
    properties = {
      "dedw3n.media.public-object-search-paths=/test-bucket/public,/old-bucket/images",
      "dedw3n.media.private-object-dir=/test-bucket/.private",
      "CACHE_TTL_IMAGES=120",
      "CACHE_TTL_VIDEOS=3000"
    })
class MediaOnGcsTests extends ApiTests {

  /** Objects whose next deletion the store fails, as Cloud Storage does when it is unavailable. */
  static final Set<BlobId> failNextDelete = ConcurrentHashMap.newKeySet();

  /** Set: the store's next signing fails, as IAM's signBlob does when it is throttled. */
  static final AtomicBoolean failNextSign = new AtomicBoolean();

  @TestConfiguration
  static class FakeCloudStorage {

    /** The fake, except that a deletion of an object in {@link #failNextDelete} fails once. */
    @Bean
    Storage storage() {
      Storage fake = LocalStorageHelper.getOptions().getService();
      return (Storage)
          Proxy.newProxyInstance(
              Storage.class.getClassLoader(),
              new Class<?>[] {Storage.class},
              (proxy, method, args) -> {
                if (method.getName().equals("delete")
                    && args != null
                    && args[0] instanceof BlobId blob
                    && failNextDelete.remove(blob)) {
                  throw new StorageException(503, "Service Unavailable (the test's one failure)");
                }
                if (method.getName().equals("signUrl") && failNextSign.compareAndSet(true, false)) {
                  throw new ServiceAccountSigner.SigningException(
                      "Failed to sign the provided bytes (the test's one failure)",
                      new java.io.IOException("429 Too Many Requests"));
                }
                try {
                  return method.invoke(fake, args);
                } catch (InvocationTargetException e) {
                  throw e.getCause();
                }
              });
    }

    @Bean
    ServiceAccountSigner testServiceAccount() throws NoSuchAlgorithmException {
      var generator = KeyPairGenerator.getInstance("RSA");
      generator.initialize(2048);
      return ServiceAccountCredentials.newBuilder()
          .setClientEmail("media@test-project.iam.gserviceaccount.com")
          .setClientId("1")
          .setPrivateKey(generator.generateKeyPair().getPrivate())
          .setPrivateKeyId("test")
          .setProjectId("test-project")
          .build();
    }
  }

  @Autowired Storage storage;
  @Autowired MediaCleanup cleanup;
  @Autowired TransactionalOperator transaction;

  @Test
  void aProductImageGoesToTheFirstPublicPathAndIsReadByItsPlainUrl() {
    var seller = signUp("Seller");
    String product = product(seller);
    byte[] png = TestImages.png(20, 10);
    Map<String, Object> ticket = requestUpload(seller, "PRODUCT_IMAGE", png.length, product);
    URI url = URI.create((String) ticket.get("uploadUrl"));
    assertThat(url.getHost()).isEqualTo("storage.googleapis.com");
    assertThat(url.getPath())
        .isEqualTo(
            "/test-bucket/public/product-image/" + seller.id() + "/" + ticket.get("objectId"));
    assertThat(url.getRawQuery()).contains("X-Goog-Expires=900").contains("X-Goog-Signature=");
    Map<String, String> headers = headers(ticket);
    assertThat(headers)
        .containsEntry("Content-Type", "image/png")
        .containsEntry("Cache-Control", "public, max-age=120") // CACHE_TTL_IMAGES
        .containsEntry("x-goog-content-length-range", png.length + "," + png.length)
        .containsEntry("x-goog-if-generation-match", "0");

    uploadAsCloudStorageWould(url, headers, png);
    seller
        .graphQl()
        .documentName("completeUpload")
        .variable("objectId", ticket.get("objectId"))
        .execute()
        .path("completeUpload.width")
        .entity(Integer.class)
        .isEqualTo(20);
    anonymous()
        .document("query($id:ID!){product(id:$id){images{url width height}}}")
        .variable("id", product)
        .execute()
        .path("product.images[0].url")
        .entity(String.class)
        .isEqualTo("https://storage.googleapis.com" + url.getPath());
  }

  @Test
  void anObjectOfAnotherTypeOrSizeThanRequestedIsRefusedAndDeleted() {
    var seller = signUp("Seller");
    // declared image/png, stored as image/jpeg: Cloud Storage refuses such a PUT, the fake does not
    byte[] jpeg = TestImages.jpeg(5, 5);
    expectMismatch(seller, jpeg.length, "image/jpeg", jpeg);
    // declared as many bytes as the PNG, stored with one more (a trailing byte still reads as a
    // PNG, so only the size check stands between it and the profile)
    byte[] png = TestImages.png(5, 5);
    expectMismatch(seller, png.length, "image/png", java.util.Arrays.copyOf(png, png.length + 1));
    anonymous()
        .documentName("userPhotos")
        .variable("id", seller.id())
        .execute()
        .path("user.photos")
        .entityList(Object.class)
        .hasSize(0);
  }

  /**
   * Requests a PNG of {@code declaredSize}, stores {@code bytes} as {@code storedType}, and expects
   * completeUpload to refuse it with UPLOAD_MISMATCH and the object to be deleted.
   */
  private void expectMismatch(Client user, long declaredSize, String storedType, byte[] bytes) {
    Map<String, Object> ticket = requestUpload(user, "PROFILE_PHOTO", declaredSize, null);
    URI url = URI.create((String) ticket.get("uploadUrl"));
    var headers = new java.util.HashMap<>(headers(ticket));
    headers.put("Content-Type", storedType);
    uploadAsCloudStorageWould(url, headers, bytes);
    user.graphQl()
        .documentName("completeUpload")
        .variable("objectId", ticket.get("objectId"))
        .execute()
        .errors()
        .expect(e -> "UPLOAD_MISMATCH".equals(e.getExtensions().get("code")))
        .verify();
    BlobId blob = blobOf(url);
    awaitTrue("the refused object is deleted", () -> storage.get(blob) == null);
  }

  @Test
  void publicImagesAndVideosCarryTheCacheTimesTheirSettingsGive() {
    var author = signUp("Author");
    String post =
        author
            .graphQl()
            .documentName("createPost")
            .variable("body", "cache times")
            .execute()
            .path("createPost.id")
            .entity(String.class)
            .get();
    assertThat(headers(requestUpload(author, "POST_MEDIA", "image/webp", 100, post)))
        .containsEntry("Cache-Control", "public, max-age=120");
    assertThat(headers(requestUpload(author, "POST_MEDIA", "video/mp4", 1000, post)))
        .containsEntry("Cache-Control", "public, max-age=3000");
    assertThat(headers(requestUpload(author, "POST_MEDIA", "video/webm", 1000, post)))
        .containsEntry("Cache-Control", "public, max-age=3000");
  }

  @Test
  void anUploadWhoseUrlCannotBeSignedStoresNothingAndHoldsNoSlot() {
    var user = signUp("Unlucky");
    byte[] png = TestImages.png(3, 3);

    failNextSign.set(true);
    user.graphQl()
        .documentName("requestUpload")
        .variable(
            "input",
            Map.of("purpose", "PROFILE_PHOTO", "contentType", "image/png", "byteSize", png.length))
        .execute()
        .errors()
        .satisfy(errors -> assertThat(errors).isNotEmpty());
    assertThat(failNextSign).as("the store was asked to sign").isFalse();
    // the client never learned an id: no row may hold one of its slots or its quota
    assertThat(
            db.sql(
                    "SELECT (SELECT count(*) FROM media_objects WHERE uploader_id = $1)"
                        + " + coalesce((SELECT bytes FROM media_usage WHERE user_id = $1), 0)")
                .bind(0, Long.parseLong(user.id()))
                .map(row -> row.get(0, Long.class))
                .one()
                .block())
        .isZero();

    // its retry gets a ticket
    assertThat(requestUpload(user, "PROFILE_PHOTO", png.length, null)).containsKey("objectId");
  }

  @Test
  void aDeletionTheStoreFailsIsRetriedWithItsErrorRecordedUntilTheObjectIsGone() {
    var seller = signUp("Seller");
    String product = product(seller);
    byte[] png = TestImages.png(4, 4);
    Map<String, Object> ticket = requestUpload(seller, "PRODUCT_IMAGE", png.length, product);
    URI url = URI.create((String) ticket.get("uploadUrl"));
    uploadAsCloudStorageWould(url, headers(ticket), png);
    complete(seller, ticket);
    BlobId blob = blobOf(url);

    failNextDelete.add(blob);
    seller
        .graphQl()
        .documentName("deleteMedia")
        .variable("id", ticket.get("objectId"))
        .execute()
        .path("deleteMedia")
        .entity(Boolean.class)
        .isEqualTo(true);
    // the first attempt fails: the object stays, and so does its deletion, with the store's error
    // and a next attempt 10 s later (the first step of the backoff)
    // (last_error is written after the attempt was counted: it is what says the attempt is over)
    awaitTrue("the first attempt failed", () -> deletionOf(blob).get("last_error") != null);
    Map<String, Object> queued = deletionOf(blob);
    assertThat(queued.get("attempts")).isEqualTo(1);
    assertThat((String) queued.get("last_error")).contains("the test's one failure");
    assertThat((Double) queued.get("due_in"))
        .as("seconds until the next attempt")
        .isPositive()
        .isLessThanOrEqualTo(10.0);
    assertThat(storage.get(blob)).isNotNull();
    // not due yet: a run of the worker leaves it alone
    cleanup.drainDeletions().block();
    assertThat(deletionOf(blob)).containsEntry("attempts", 1);
    assertThat(storage.get(blob)).isNotNull();

    // its time comes (the test moves the queue's time instead of waiting 10 s): the retry deletes
    // the object
    due(blob);
    awaitTrue("the retry deleted the object", () -> storage.get(blob) == null);
    // its upload URL still works (V37): the deletion is done once more when the URL has expired,
    // and then the queue forgets it
    awaitTrue(
        "the deletion waits for the URL's expiry",
        () ->
            deletionOf(blob).get("due_in") instanceof Double dueIn
                && dueIn > Duration.ofMinutes(10).toSeconds());
    due(blob);
    awaitTrue("the queue forgets it", () -> deletionOf(blob).isEmpty());
  }

  /** Moves the object's deletion's time to now. */
  private void due(BlobId blob) {
    db.sql(
            "UPDATE media_deletions SET next_attempt_at = now() WHERE bucket = $1 AND"
                + " object_name = $2")
        .bind(0, blob.getBucket())
        .bind(1, blob.getName())
        .then()
        .block();
  }

  @Test
  void aDeletionThatRollsBackLeavesTheObjectAndQueuesNothing() {
    var seller = signUp("Seller");
    String product = product(seller);
    byte[] png = TestImages.png(4, 4);
    Map<String, Object> ticket = requestUpload(seller, "PRODUCT_IMAGE", png.length, product);
    URI url = URI.create((String) ticket.get("uploadUrl"));
    uploadAsCloudStorageWould(url, headers(ticket), png);
    complete(seller, ticket);
    BlobId blob = blobOf(url);

    AtomicLong queuedInside = new AtomicLong(-1);
    AtomicLong deletedMeanwhile = new AtomicLong(-1);
    db.sql("DELETE FROM products WHERE id = $1")
        .bind(0, Long.parseLong(product))
        .then()
        .then(queuedCount(blob))
        .doOnNext(queuedInside::set)
        // the worker, in a transaction of its own, meanwhile: it sees nothing uncommitted
        .then(cleanup.drainDeletions().contextWrite(context -> Context.empty()))
        .doOnNext(deletedMeanwhile::set)
        .then(Mono.error(new IllegalStateException("rolled back on purpose")))
        .as(transaction::transactional)
        .onErrorResume(IllegalStateException.class, rolledBack -> Mono.empty())
        .block();
    assertThat(queuedInside).as("queued by the trigger inside the transaction").hasValue(1);
    assertThat(deletedMeanwhile).hasValueGreaterThanOrEqualTo(0);
    assertThat(storage.get(blob)).as("deleted before the commit").isNotNull();

    assertThat(queuedCount(blob).block()).isZero();
    cleanup.drainDeletions().block();
    assertThat(storage.get(blob)).isNotNull();
    anonymous()
        .document("query($id:ID!){product(id:$id){images{id}}}")
        .variable("id", product)
        .execute()
        .path("product.images[0].id")
        .entity(String.class)
        .isEqualTo((String) ticket.get("objectId"));
  }

  @Test
  void aMessageAttachmentIsPrivateAndReadWithASignedGet() {
    var ann = signUp("Ann");
    var ben = signUp("Ben");
    String conversation =
        ann.graphQl()
            .documentName("startConversation")
            .variable("participantIds", List.of(ben.id()))
            .execute()
            .path("startConversation.id")
            .entity(String.class)
            .get();
    String message =
        ann.graphQl()
            .documentName("sendMessage")
            .variable("conversationId", conversation)
            .variable("body", "see attached")
            .execute()
            .path("sendMessage.id")
            .entity(String.class)
            .get();
    byte[] png = TestImages.png(7, 7);
    Map<String, Object> ticket = requestUpload(ann, "MESSAGE_ATTACHMENT", png.length, message);
    URI url = URI.create((String) ticket.get("uploadUrl"));
    assertThat(url.getPath())
        .startsWith("/test-bucket/.private/message-attachment/" + ann.id() + "/");
    assertThat(headers(ticket)).containsEntry("Cache-Control", "private, max-age=0, no-store");
    uploadAsCloudStorageWould(url, headers(ticket), png);
    ann.graphQl()
        .documentName("completeUpload")
        .variable("objectId", ticket.get("objectId"))
        .execute()
        .path("completeUpload.url")
        .entity(String.class)
        .satisfies(
            read -> {
              URI get = URI.create(read);
              assertThat(get.getPath()).isEqualTo(url.getPath());
              assertThat(get.getRawQuery())
                  .contains("X-Goog-Expires=900")
                  .contains("X-Goog-SignedHeaders=host")
                  .contains("X-Goog-Signature=");
            });
  }

  private Map<String, Object> requestUpload(
      Client client, String purpose, long byteSize, String attachTo) {
    return requestUpload(client, purpose, "image/png", byteSize, attachTo);
  }

  private Map<String, Object> requestUpload(
      Client client, String purpose, String contentType, long byteSize, String attachTo) {
    var input =
        new java.util.HashMap<String, Object>(
            Map.of("purpose", purpose, "contentType", contentType, "byteSize", byteSize));
    if (attachTo != null) {
      input.put("attachTo", attachTo);
    }
    @SuppressWarnings("unchecked")
    Map<String, Object> ticket =
        client
            .graphQl()
            .documentName("requestUpload")
            .variable("input", input)
            .execute()
            .path("requestUpload")
            .entity(Map.class)
            .get();
    return ticket;
  }

  private void complete(Client client, Map<String, Object> ticket) {
    client
        .graphQl()
        .documentName("completeUpload")
        .variable("objectId", ticket.get("objectId"))
        .execute()
        .path("completeUpload.id")
        .entity(String.class)
        .isEqualTo((String) ticket.get("objectId"));
  }

  private Mono<Long> queuedCount(BlobId blob) {
    return db.sql("SELECT count(*) FROM media_deletions WHERE bucket = $1 AND object_name = $2")
        .bind(0, blob.getBucket())
        .bind(1, blob.getName())
        .map(row -> row.get(0, Long.class))
        .one();
  }

  /**
   * The object's row in the deletion queue (attempts, last_error, due_in seconds); empty if none.
   */
  private Map<String, Object> deletionOf(BlobId blob) {
    return db.sql(
            "SELECT attempts, last_error, extract(epoch FROM next_attempt_at - now())::float8 AS"
                + " due_in FROM media_deletions WHERE bucket = $1 AND object_name = $2")
        .bind(0, blob.getBucket())
        .bind(1, blob.getName())
        .fetch()
        .one()
        .defaultIfEmpty(Map.of())
        .block();
  }

  /**
   * Waits for background work (the deletion queue, nudged by the mutation) with a generous
   * deadline; the condition is checked, never a fixed pause assumed long enough.
   */
  private void awaitTrue(String what, BooleanSupplier condition) {
    long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("Not within 20 s: " + what);
      }
      cleanup.drainDeletions().block();
      LockSupport.parkNanos(Duration.ofMillis(20).toNanos());
    }
  }

  @SuppressWarnings("unchecked")
  private static Map<String, String> headers(Map<String, Object> ticket) {
    return ((List<Map<String, String>>) ticket.get("headers"))
        .stream()
            .collect(java.util.stream.Collectors.toMap(h -> h.get("name"), h -> h.get("value")));
  }

  /** Stores the object with the metadata the signed PUT's headers give it. */
  private void uploadAsCloudStorageWould(URI url, Map<String, String> headers, byte[] bytes) {
    storage.create(
        BlobInfo.newBuilder(blobOf(url))
            .setContentType(headers.get("Content-Type"))
            .setCacheControl(headers.get("Cache-Control"))
            .build(),
        bytes);
  }

  private static BlobId blobOf(URI url) {
    String path = url.getPath().substring(1);
    int slash = path.indexOf('/');
    return BlobId.of(path.substring(0, slash), path.substring(slash + 1));
  }

  private String product(Client seller) {
    return seller
        .graphQl()
        .documentName("createProduct")
        .variable(
            "input",
            Map.of(
                "title",
                "Chair",
                "category",
                "media-gcs",
                "price",
                Map.of("amount", 900, "currency", "EUR"),
                "stock",
                1))
        .execute()
        .path("createProduct.id")
        .entity(String.class)
        .get();
  }
}
