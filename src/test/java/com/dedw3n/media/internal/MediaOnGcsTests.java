package com.dedw3n.media.internal;

import static org.assertj.core.api.Assertions.assertThat;

import com.dedw3n.ApiTests;
import com.google.auth.ServiceAccountSigner;
import com.google.auth.oauth2.ServiceAccountCredentials;
import com.google.cloud.storage.BlobId;
import com.google.cloud.storage.BlobInfo;
import com.google.cloud.storage.Storage;
import com.google.cloud.storage.contrib.nio.testing.LocalStorageHelper;
import java.net.URI;
import java.security.KeyPairGenerator;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.TestConfiguration;
import org.springframework.context.annotation.Bean;
import org.springframework.test.context.TestPropertySource;

/**
 * The whole API with a bucket configured (PUBLIC_OBJECT_SEARCH_PATHS, PRIVATE_OBJECT_DIR), against
 * Cloud Storage's semantics in process (google-cloud-nio's LocalStorageHelper) and URLs signed with
 * a generated service-account key. The fake cannot take a signed PUT, so the test writes the object
 * as Cloud Storage would store it from the signed request: with the headers the ticket names.
 */
@TestPropertySource(
    properties = {
      "dedw3n.media.public-object-search-paths=/test-bucket/public,/old-bucket/images",
      "dedw3n.media.private-object-dir=/test-bucket/.private"
    })
class MediaOnGcsTests extends ApiTests {

  @TestConfiguration
  static class FakeCloudStorage {

    @Bean
    Storage storage() {
      return LocalStorageHelper.getOptions().getService();
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
        .containsEntry("Cache-Control", "public, max-age=86400")
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
  void anObjectOfAnotherTypeThanRequestedIsRefusedAndDeleted() {
    var seller = signUp("Seller");
    byte[] jpeg = TestImages.jpeg(5, 5);
    Map<String, Object> ticket = requestUpload(seller, "PROFILE_PHOTO", jpeg.length, null);
    URI url = URI.create((String) ticket.get("uploadUrl"));
    var headers = new java.util.HashMap<>(headers(ticket));
    // declared image/png, stored as image/jpeg: Cloud Storage refuses such a PUT, the fake does not
    headers.put("Content-Type", "image/jpeg");
    uploadAsCloudStorageWould(url, headers, jpeg);
    seller
        .graphQl()
        .documentName("completeUpload")
        .variable("objectId", ticket.get("objectId"))
        .execute()
        .errors()
        .expect(e -> "UPLOAD_MISMATCH".equals(e.getExtensions().get("code")))
        .verify();
    BlobId blob = blobOf(url);
    long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
    while (storage.get(blob) != null) {
      assertThat(System.nanoTime())
          .as("the refused object is deleted in time")
          .isLessThan(deadline);
      cleanup.drainDeletions().block();
      java.util.concurrent.locks.LockSupport.parkNanos(Duration.ofMillis(20).toNanos());
    }
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
    var input =
        new java.util.HashMap<String, Object>(
            Map.of("purpose", purpose, "contentType", "image/png", "byteSize", byteSize));
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
