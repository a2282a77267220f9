package com.dedw3n.media.internal;

import static org.assertj.core.api.Assertions.assertThat;

import com.dedw3n.ApiTests;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.graphql.test.tester.GraphQlTester;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatus;
import org.springframework.test.web.reactive.server.EntityExchangeResult;

/**
 * Media end to end with the embedded default (the local directory store), over real HTTP: the
 * client asks for an upload, PUTs the bytes to the signed URL with the headers it was given,
 * completes the upload, and reads the file back where the API says it is.
 */
class MediaTests extends ApiTests {

  @Autowired MediaCleanup cleanup;

  @Value("${dedw3n.media.local.directory}")
  Path directory;

  @Test
  void aSellerUploadsAProductImageAndTheFeedShowsItWithItsCacheHeaders() {
    var seller = signUp("Seller");
    String category = "media-" + UUID.randomUUID().toString().substring(0, 8);
    String product = createProduct(seller, category);
    byte[] png = TestImages.png(64, 48);

    var ticket = requestUpload(seller, "PRODUCT_IMAGE", "image/png", png.length, product);
    assertThat(ticket.method()).isEqualTo("PUT");
    assertThat(ticket.headers()).containsEntry("Content-Type", "image/png");
    assertThat(put(ticket, png).getStatus()).isEqualTo(HttpStatus.OK);

    var media =
        seller
            .graphQl()
            .documentName("completeUpload")
            .variable("objectId", ticket.objectId())
            .execute()
            .path("completeUpload")
            .entity(Map.class)
            .get();
    assertThat(media)
        .containsEntry("id", ticket.objectId())
        .containsEntry("contentType", "image/png")
        .containsEntry("byteSize", png.length)
        .containsEntry("width", 64)
        .containsEntry("height", 48);

    String url =
        anonymous()
            .documentName("productFeedWithImages")
            .variable("category", category)
            .execute()
            .path("products.edges[0].node.images[0].url")
            .entity(String.class)
            .get();
    assertThat(url).isEqualTo(media.get("url")).doesNotContain("signature");
    var download = get(url);
    assertThat(download.getStatus()).isEqualTo(HttpStatus.OK);
    assertThat(download.getResponseBody()).isEqualTo(png);
    assertThat(download.getResponseHeaders().getContentType()).hasToString("image/png");
    assertThat(download.getResponseHeaders().getCacheControl()).isEqualTo("public, max-age=86400");
  }

  @Test
  void aPostsVideoIsCachedForAWeekAndTheUploadsAreCounted() {
    var author = signUp("Author");
    String post = createPost(author);
    byte[] mp4 = TestImages.mp4();
    var ticket = upload(author, "POST_MEDIA", post, mp4);
    var media =
        anonymous()
            .documentName("postWithMedia")
            .variable("id", post)
            .execute()
            .path("post.media[0]")
            .entity(Map.class)
            .get();
    assertThat(media)
        .containsEntry("id", ticket.objectId())
        .containsEntry("contentType", "video/mp4")
        .containsEntry("width", null)
        .containsEntry("height", null);
    var download = get((String) media.get("url"));
    assertThat(download.getResponseBody()).isEqualTo(mp4);
    assertThat(download.getResponseHeaders().getCacheControl()).isEqualTo("public, max-age=604800");

    String metrics =
        http()
            .get()
            .uri("/actuator/prometheus")
            .exchange()
            .expectStatus()
            .isOk()
            .expectBody(String.class)
            .returnResult()
            .getResponseBody();
    assertThat(metrics)
        .containsPattern(
            "dedw3n_media_uploads_total\\{.*outcome=\"completed\",purpose=\"post_media\".*} [1-9]")
        .contains("dedw3n_media_uploaded_bytes_total")
        .contains("dedw3n_media_stored_bytes")
        .contains("dedw3n_media_deletions_pending");
  }

  @Test
  void refusesTypesAndSizesThePurposeDoesNotAllowAndStoresNothing() {
    var seller = signUp("Seller");
    String product = createProduct(seller, "media-refusals");
    expectRefusal(
        seller,
        "PRODUCT_IMAGE",
        "image/gif",
        100,
        product,
        "BAD_REQUEST",
        "UNSUPPORTED_MEDIA_TYPE");
    expectRefusal(
        seller,
        "PRODUCT_IMAGE",
        "video/mp4",
        100,
        product,
        "BAD_REQUEST",
        "UNSUPPORTED_MEDIA_TYPE");
    expectRefusal(
        seller,
        "MESSAGE_ATTACHMENT",
        "image/svg+xml",
        100,
        "1",
        "BAD_REQUEST",
        "UNSUPPORTED_MEDIA_TYPE");
    expectRefusal(
        seller,
        "PRODUCT_IMAGE",
        "image/png",
        10L * 1024 * 1024 + 1,
        product,
        "BAD_REQUEST",
        "MEDIA_TOO_LARGE");
    expectRefusal(seller, "PRODUCT_IMAGE", "image/png", 0, product, "BAD_REQUEST", null);
    expectRefusal(seller, "PRODUCT_IMAGE", "image/png", 100, null, "BAD_REQUEST", null);
    expectRefusal(seller, "PROFILE_PHOTO", "image/png", 100, product, "BAD_REQUEST", null);
    assertThat(rowsOf(seller)).isZero();
    // a video of 200 MiB is fine for a post, one byte more is not
    String post = createPost(seller);
    requestUpload(seller, "POST_MEDIA", "video/mp4", 200L * 1024 * 1024, post);
    expectRefusal(
        seller,
        "POST_MEDIA",
        "video/webm",
        200L * 1024 * 1024 + 1,
        post,
        "BAD_REQUEST",
        "MEDIA_TOO_LARGE");
    assertThat(rowsOf(seller)).isOne();
  }

  @Test
  void onlyTheOwnerAttachesAndNobodyCompletesSomeoneElsesUpload() {
    var seller = signUp("Seller");
    var other = signUp("Other");
    String product = createProduct(seller, "media-owners");
    expectRefusal(other, "PRODUCT_IMAGE", "image/png", 100, product, "FORBIDDEN", null);
    expectRefusal(other, "PRODUCT_IMAGE", "image/png", 100, "999999999", "NOT_FOUND", null);
    expectRefusal(other, "POST_MEDIA", "image/png", 100, createPost(seller), "FORBIDDEN", null);
    anonymous()
        .documentName("requestUpload")
        .variable("input", input("PROFILE_PHOTO", "image/png", 100, null))
        .execute()
        .errors()
        .expect(e -> e.getErrorType().toString().equals("UNAUTHORIZED"))
        .verify();

    byte[] png = TestImages.png(8, 8);
    var ticket = requestUpload(seller, "PRODUCT_IMAGE", "image/png", png.length, product);
    put(ticket, png);
    other
        .graphQl()
        .documentName("completeUpload")
        .variable("objectId", ticket.objectId())
        .execute()
        .errors()
        .expect(e -> e.getErrorType().toString().equals("NOT_FOUND"))
        .verify();
    other
        .graphQl()
        .documentName("deleteMedia")
        .variable("id", ticket.objectId())
        .execute()
        .errors()
        .expect(e -> e.getErrorType().toString().equals("NOT_FOUND"))
        .verify();
    assertThat(imagesOf(product)).isEmpty();
    // the seller still completes it
    complete(seller, ticket);
    assertThat(imagesOf(product)).hasSize(1);
  }

  @Test
  void theSignedPutIsBoundToItsObjectTypeAndSizeAndNeverOverwrites() {
    var user = signUp("Uploader");
    byte[] png = TestImages.png(5, 5);
    var ticket = requestUpload(user, "PROFILE_PHOTO", "image/png", png.length, null);
    URI url = URI.create(ticket.uploadUrl());

    // the wrong content type, more bytes than signed, fewer bytes than signed
    assertThat(put(url, "image/jpeg", png).getStatus()).isEqualTo(HttpStatus.BAD_REQUEST);
    byte[] longer = java.util.Arrays.copyOf(png, png.length + 1);
    assertThat(put(url, "image/png", longer).getStatus().value()).isEqualTo(413);
    byte[] shorter = java.util.Arrays.copyOf(png, png.length - 1);
    assertThat(put(url, "image/png", shorter).getStatus()).isEqualTo(HttpStatus.BAD_REQUEST);
    // an altered signature, size or expiry
    String u = ticket.uploadUrl();
    assertThat(put(URI.create(otherSignature(u)), "image/png", png).getStatus())
        .isEqualTo(HttpStatus.FORBIDDEN);
    assertThat(
            put(
                    URI.create(u.replace("size=" + png.length, "size=" + (png.length + 1))),
                    "image/png",
                    longer)
                .getStatus())
        .isEqualTo(HttpStatus.FORBIDDEN);
    long expires = Long.parseLong(u.replaceFirst(".*expires=(\\d+).*", "$1"));
    String later = u.replace("expires=" + expires, "expires=" + (expires + 3600));
    assertThat(put(URI.create(later), "image/png", png).getStatus())
        .isEqualTo(HttpStatus.FORBIDDEN);
    // another object name with this signature: another user's namespace, or a path escaping it
    String otherName = u.replaceFirst("/profile-photo/\\d+/", "/profile-photo/0/");
    assertThat(put(URI.create(otherName), "image/png", png).getStatus())
        .isEqualTo(HttpStatus.FORBIDDEN);
    String path = URI.create(u).getRawPath();
    String base = "http://localhost:" + port;
    String query = "?" + URI.create(u).getRawQuery();
    for (String evil :
        List.of(
            path.replace("/profile-photo/", "/profile-photo/../"),
            path.replace("/profile-photo/", "/profile-photo%2F"),
            path.replace("/profile-photo/", "/profile-photo%2f..%2f"),
            path.replace("/profile-photo/", "/%2e%2e/"),
            "/media/local/../../etc/passwd")) {
      assertThat(put(URI.create(base + evil + query), "image/png", png).getStatus().value())
          .as(evil)
          .isIn(400, 403, 404);
    }
    assertThat(Files.exists(directory.getParent().resolve("etc"))).isFalse();
    assertThat(rowsOf(user)).isOne();

    // the real upload works once; a second PUT to the same URL cannot replace it
    assertThat(put(ticket, png).getStatus()).isEqualTo(HttpStatus.OK);
    byte[] other = TestImages.png(6, 6);
    assertThat(put(url, "image/png", java.util.Arrays.copyOf(other, png.length)).getStatus())
        .isEqualTo(HttpStatus.CONFLICT);
    var media = complete(user, ticket);
    assertThat(get((String) media.get("url")).getResponseBody()).isEqualTo(png);
  }

  @Test
  void bytesThatAreNotTheDeclaredFormatAreRefusedAndDeleted() {
    var user = signUp("Uploader");
    byte[] notAnImage = "<html><script>alert(1)</script></html>".getBytes();
    var ticket = requestUpload(user, "PROFILE_PHOTO", "image/png", notAnImage.length, null);
    // completing before anything was uploaded changes nothing
    completeUpload(user, ticket.objectId())
        .errors()
        .expect(
            e ->
                e.getErrorType().toString().equals("BAD_REQUEST")
                    && "UPLOAD_NOT_FOUND".equals(e.getExtensions().get("code")))
        .verify();
    assertThat(rowsOf(user)).isOne();
    assertThat(put(ticket, notAnImage).getStatus()).isEqualTo(HttpStatus.OK);
    completeUpload(user, ticket.objectId())
        .errors()
        .expect(
            e ->
                e.getErrorType().toString().equals("BAD_REQUEST")
                    && "NOT_DECLARED_FORMAT".equals(e.getExtensions().get("code")))
        .verify();
    assertThat(rowsOf(user)).isZero();
    assertThat(photosOf(user)).isEmpty();
    Path file = fileOf(ticket);
    awaitTrue("the rejected object is deleted", () -> !Files.exists(file));
    // a JPEG declared as PNG is not a PNG either
    byte[] jpeg = TestImages.jpeg(4, 4);
    var second = requestUpload(user, "PROFILE_PHOTO", "image/png", jpeg.length, null);
    put(second, jpeg);
    completeUpload(user, second.objectId())
        .errors()
        .expect(e -> "NOT_DECLARED_FORMAT".equals(e.getExtensions().get("code")))
        .verify();
    assertThat(photosOf(user)).isEmpty();
  }

  @Test
  void messageAttachmentsArePrivateToTheConversationsParticipants() {
    var ann = signUp("Ann");
    var ben = signUp("Ben");
    var eve = signUp("Eve");
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
            .variable("body", "the photo")
            .execute()
            .path("sendMessage.id")
            .entity(String.class)
            .get();
    byte[] jpeg = TestImages.jpeg(30, 20);
    // only the sender attaches to a message; to an outsider it is no message at all, as its
    // conversation is none
    expectRefusal(ben, "MESSAGE_ATTACHMENT", "image/jpeg", jpeg.length, message, "FORBIDDEN", null);
    expectRefusal(eve, "MESSAGE_ATTACHMENT", "image/jpeg", jpeg.length, message, "NOT_FOUND", null);
    var ticket = requestUpload(ann, "MESSAGE_ATTACHMENT", "image/jpeg", jpeg.length, message);
    assertThat(ticket.uploadUrl()).contains("/local/.private/message-attachment/" + ann.id() + "/");
    put(ticket, jpeg);
    complete(ann, ticket);

    String url =
        ben.graphQl()
            .documentName("conversationAttachments")
            .variable("id", conversation)
            .execute()
            .path("conversation.messages.edges[0].node.attachments[0]")
            .entity(Map.class)
            .satisfies(
                a -> {
                  assertThat(a).containsEntry("width", 30).containsEntry("height", 20);
                  assertThat((String) a.get("url")).contains("signature=").contains("expires=");
                })
            .get()
            .get("url")
            .toString();
    var download = get(url);
    assertThat(download.getResponseBody()).isEqualTo(jpeg);
    assertThat(download.getResponseHeaders().getCacheControl()).isEqualTo("private, no-store");
    // without its signature, or with another one, the private object is not served
    assertThat(get(url.substring(0, url.indexOf('?'))).getStatus()).isEqualTo(HttpStatus.FORBIDDEN);
    assertThat(get(otherSignature(url)).getStatus()).isEqualTo(HttpStatus.FORBIDDEN);

    // an outsider sees neither the conversation nor, through the entity, the attachment
    eve.graphQl()
        .documentName("conversationAttachments")
        .variable("id", conversation)
        .execute()
        .errors()
        .expect(e -> e.getErrorType().toString().equals("NOT_FOUND"))
        .verify();
    String entities =
        "query($r:[_Any!]!){_entities(representations:$r){...on Message{id attachments{url}}}}";
    for (var client : List.of(eve, ann)) {
      var result =
          client
              .graphQl()
              .document(entities)
              .variable("r", List.of(Map.of("__typename", "Message", "id", message)))
              .execute();
      if (client == eve) {
        result.path("_entities[0]").valueIsNull();
      } else {
        result.path("_entities[0].attachments").entityList(Map.class).hasSize(1);
      }
    }
  }

  /**
   * Nine profile photos at most: with eight already there (pending uploads count), ten requests at
   * once get one upload and nine MEDIA_LIMIT.
   */
  @Test
  void concurrentUploadsStopAtTheLimitPerOwner() {
    var user = signUp("Eager");
    db.sql(
            "INSERT INTO media_objects (id, uploader_id, purpose, bucket, object_name,"
                + " content_type, byte_size, profile_user_id, upload_expires_at)"
                + " SELECT gen_random_uuid(), $1, 'PROFILE_PHOTO', 'test', 'eager/' || g,"
                + " 'image/png', 100, $1, now() + interval '15 minutes'"
                + " FROM generate_series(1, 8) g")
        .bind(0, Long.parseLong(user.id()))
        .then()
        .block();
    byte[] png = TestImages.png(2, 2);
    List<String> answers =
        reactor.core.publisher.Flux.range(0, 10)
            .parallel(10)
            .runOn(com.dedw3n.BlockingCalls.SCHEDULER)
            .map(
                i ->
                    postGraphQl(
                            user,
                            "mutation($i:RequestUploadInput!){requestUpload(input:$i){objectId}}",
                            Map.of("i", input("PROFILE_PHOTO", "image/png", png.length, null)))
                        .expectBody(String.class)
                        .returnResult()
                        .getResponseBody())
            .sequential()
            .collectList()
            .block(Duration.ofSeconds(60));
    assertThat(answers.stream().filter(a -> a.contains("\"objectId\"")).count())
        .as("%s", answers)
        .isEqualTo(1);
    assertThat(answers.stream().filter(a -> a.contains("MEDIA_LIMIT")).count())
        .as("%s", answers)
        .isEqualTo(9);
    assertThat(rowsOf(user)).isEqualTo(9);
  }

  @Test
  void deletingMediaOrItsProductDeletesTheObjectsAfterTheCommit() {
    var seller = signUp("Seller");
    String product = createProduct(seller, "media-deletions");
    var first = upload(seller, "PRODUCT_IMAGE", product, TestImages.png(3, 3));
    var second = upload(seller, "PRODUCT_IMAGE", product, TestImages.webp(3, 3));
    assertThat(imagesOf(product)).hasSize(2);

    seller
        .graphQl()
        .documentName("deleteMedia")
        .variable("id", first.objectId())
        .execute()
        .path("deleteMedia")
        .entity(Boolean.class)
        .isEqualTo(true);
    assertThat(imagesOf(product)).hasSize(1);
    Path firstFile = fileOf(first);
    awaitTrue("the deleted image's object is deleted", () -> !Files.exists(firstFile));

    // a product deleted by any means (here straight in the database) takes its images along
    db.sql("DELETE FROM products WHERE id = $1").bind(0, Long.parseLong(product)).then().block();
    assertThat(rowsOf(seller)).isZero();
    Path secondFile = fileOf(second);
    awaitTrue("the product's image is deleted", () -> !Files.exists(secondFile));
    // its upload URL still works for a while, and the object is gone, so the same PUT would
    // create it again: it is deleted once more when the URL has expired
    awaitRecheckAtTheUrlsExpiry(second);
    assertThat(put(second, TestImages.webp(3, 3)).getStatus()).isEqualTo(HttpStatus.OK);
    assertThat(secondFile).exists();
    // the URL has expired (the test moves the queue's time instead of waiting 15 minutes)
    db.sql("UPDATE media_deletions SET next_attempt_at = now() WHERE object_name LIKE $1")
        .bind(0, "%" + second.objectId())
        .then()
        .block();
    awaitTrue("the upload made again is deleted", () -> !Files.exists(secondFile));
    awaitTrue("the queue forgets it", () -> queued(second) == 0);
  }

  /**
   * The first deletion is done and the second one waits for the upload URL's expiry (15 minutes)
   * and an hour more: a PUT started before the expiry may still be arriving until then.
   */
  private void awaitRecheckAtTheUrlsExpiry(Ticket ticket) {
    awaitTrue(
        "the first deletion is done and the second one waits for the URL's expiry and an hour",
        () ->
            db.sql(
                        "SELECT count(*) FROM media_deletions WHERE object_name LIKE $1 AND recheck_at"
                            + " IS NULL AND next_attempt_at > now() + interval '70 minutes'")
                    .bind(0, "%" + ticket.objectId())
                    .map(row -> row.get(0, Long.class))
                    .one()
                    .block()
                == 1);
  }

  @Test
  void anUploadThatArrivesAfterItsRequestWasDeletedIsDeletedWhenItsUrlExpires() {
    var user = signUp("Hasty");
    byte[] png = TestImages.png(2, 2);
    var ticket = requestUpload(user, "PROFILE_PHOTO", "image/png", png.length, null);
    user.graphQl()
        .documentName("deleteMedia")
        .variable("id", ticket.objectId())
        .execute()
        .path("deleteMedia")
        .entity(Boolean.class)
        .isEqualTo(true);
    // deleted at once (there was nothing yet), and queued again for when the URL expires
    awaitRecheckAtTheUrlsExpiry(ticket);
    // the URL still works for a while: the client uploads anyway
    assertThat(put(ticket, png).getStatus()).isEqualTo(HttpStatus.OK);
    Path file = fileOf(ticket);
    assertThat(file).exists();
    // the URL has expired (the test moves the queue's time instead of waiting 15 minutes)
    db.sql("UPDATE media_deletions SET next_attempt_at = now() WHERE object_name LIKE $1")
        .bind(0, "%" + ticket.objectId())
        .then()
        .block();
    awaitTrue("the late upload is deleted", () -> !Files.exists(file));
    awaitTrue("the queue forgets it", () -> queued(ticket) == 0);
  }

  @Test
  void uploadsRequestedAndNeverCompletedAreDeletedAfterADay() {
    var user = signUp("Forgetful");
    byte[] png = TestImages.png(2, 2);
    var old = requestUpload(user, "PROFILE_PHOTO", "image/png", png.length, null);
    put(old, png);
    var recent = requestUpload(user, "PROFILE_PHOTO", "image/png", png.length, null);
    db.sql("UPDATE media_objects SET created_at = now() - interval '25 hours' WHERE id = $1")
        .bind(0, UUID.fromString(old.objectId()))
        .then()
        .block();

    cleanup.sweep().block();
    assertThat(rowsOf(user)).isOne(); // the recent one stays
    Path file = fileOf(old);
    awaitTrue("the orphan's object is deleted", () -> !Files.exists(file));
    completeUpload(user, old.objectId())
        .errors()
        .expect(e -> e.getErrorType().toString().equals("NOT_FOUND"))
        .verify();
    assertThat(recent.objectId()).isNotEqualTo(old.objectId());
  }

  @Test
  void oneSweepDeletesEveryOrphanDueNotOnlyABatch() {
    var user = signUp("Abandoner");
    // more than one statement's batch, left by a day of abandoned uploads across many users
    db.sql(
            "INSERT INTO media_objects (id, uploader_id, purpose, bucket, object_name,"
                + " content_type, byte_size, profile_user_id, upload_expires_at, created_at)"
                + " SELECT gen_random_uuid(), $1, 'PROFILE_PHOTO', 'test', 'abandoned/' || g,"
                + " 'image/png', 100, $1, now() - interval '25 hours' + interval '15 minutes',"
                + " now() - interval '25 hours' FROM generate_series(1, 1500) g")
        .bind(0, Long.parseLong(user.id()))
        .then()
        .block();

    assertThat(cleanup.sweep().block()).isGreaterThanOrEqualTo(1500L);
    assertThat(rowsOf(user)).isZero();
  }

  @Test
  void theUploadBudgetAndTheStorageQuotaHold() {
    // the build sets 10 uploads an hour and a quota of 300 MB (pom.xml)
    var user = signUp("Busy");
    String post = createPost(user);
    requestUpload(user, "POST_MEDIA", "video/mp4", 200L * 1024 * 1024, post);
    // a second 200 MiB video would hold 400 MiB: over the quota, and nothing is kept
    expectRefusal(
        user,
        "POST_MEDIA",
        "video/mp4",
        200L * 1024 * 1024,
        post,
        "CONFLICT",
        "STORAGE_QUOTA_EXCEEDED");
    assertThat(rowsOf(user)).isOne();
    // two uploads of the ten are spent (a refused attempt counts): eight more may go
    for (int i = 3; i <= 10; i++) {
      requestUpload(user, "PRODUCT_IMAGE", "image/png", 100, createProduct(user, "media-budget"));
    }
    // the eleventh: nothing answered, so HTTP 429 with Retry-After (README, Budgets)
    var refused =
        postGraphQl(
                user,
                "mutation($i:RequestUploadInput!){requestUpload(input:$i){objectId}}",
                Map.of("i", input("PROFILE_PHOTO", "image/png", 100, null)))
            .expectStatus()
            .isEqualTo(HttpStatus.TOO_MANY_REQUESTS)
            .expectHeader()
            .exists(HttpHeaders.RETRY_AFTER)
            .expectBody(Map.class)
            .returnResult()
            .getResponseBody();
    assertThat(refused.toString())
        .contains("classification=RATE_LIMITED")
        .contains("Too many uploads");
    assertThat(rowsOf(user)).isEqualTo(9);
  }

  @Test
  void theUploadByteBudgetRefusesBeforeTheQuotaWhenUploadsAreDeleted() {
    // the build sets 500 MiB of uploads an hour and a quota of 300 MB (pom.xml): two 200 MiB videos
    // requested and deleted leave the quota untouched but 400 MiB of the budget spent
    var user = signUp("Prolific");
    String post = createPost(user);
    for (int i = 0; i < 2; i++) {
      var ticket = requestUpload(user, "POST_MEDIA", "video/mp4", 200L * 1024 * 1024, post);
      user.graphQl()
          .documentName("deleteMedia")
          .variable("id", ticket.objectId())
          .execute()
          .path("deleteMedia")
          .entity(Boolean.class)
          .isEqualTo(true);
    }
    assertThat(rowsOf(user)).isZero();
    // a third would make 600 MiB within the hour: RATE_LIMITED for bytes, HTTP 429, nothing kept
    var refused =
        postGraphQl(
                user,
                "mutation($i:RequestUploadInput!){requestUpload(input:$i){objectId}}",
                Map.of("i", input("POST_MEDIA", "video/mp4", 200L * 1024 * 1024, post)))
            .expectStatus()
            .isEqualTo(HttpStatus.TOO_MANY_REQUESTS)
            .expectHeader()
            .exists(HttpHeaders.RETRY_AFTER)
            .expectBody(Map.class)
            .returnResult()
            .getResponseBody();
    assertThat(refused.toString())
        .contains("classification=RATE_LIMITED")
        .contains("Too many bytes of uploads: at most 524288000 per 1h. Retry in ");
    assertThat(rowsOf(user)).isZero();
    // what is left of the budget still takes a small upload: it is the bytes that ran out
    requestUpload(user, "PROFILE_PHOTO", "image/png", 100, null);
    assertThat(rowsOf(user)).isOne();
  }

  @Test
  void refusalsCompletedUploadsAndStoredBytesShowInTheMetrics() {
    var seller = signUp("Seller");
    String product = createProduct(seller, "media-metrics");
    String gifRefusals =
        "dedw3n_media_uploads_total{outcome=\"refused\",purpose=\"product_image\",reason=\"UNSUPPORTED_MEDIA_TYPE\"}";
    String uploadedBytes = "dedw3n_media_uploaded_bytes_total";
    var before = metrics();
    expectRefusal(
        seller,
        "PRODUCT_IMAGE",
        "image/gif",
        100,
        product,
        "BAD_REQUEST",
        "UNSUPPORTED_MEDIA_TYPE");
    byte[] png = TestImages.png(16, 16);
    upload(seller, "PRODUCT_IMAGE", product, png);
    cleanup.sweep().block();
    long held =
        db.sql("SELECT coalesce(sum(bytes), 0)::bigint FROM media_usage")
            .map(row -> row.get(0, Long.class))
            .one()
            .block();

    var after = metrics();
    assertThat(after.getOrDefault(gifRefusals, 0.0))
        .isGreaterThanOrEqualTo(before.getOrDefault(gifRefusals, 0.0) + 1);
    assertThat(after.getOrDefault(uploadedBytes, 0.0))
        .isGreaterThanOrEqualTo(before.getOrDefault(uploadedBytes, 0.0) + png.length);
    // the gauge says what the sweep found in the database
    assertThat(after.get("dedw3n_media_stored_bytes"))
        .isEqualTo((double) held)
        .isGreaterThanOrEqualTo(png.length);
  }

  @Test
  void aPageOfProductsWithImagesCostsAFewStatementsWhateverItsSize() {
    var seller = signUp("Seller");
    String category = "media-n1-" + UUID.randomUUID().toString().substring(0, 8);
    for (int i = 0; i < 12; i++) {
      String product = createProduct(seller, category);
      if (i % 3 == 0) {
        upload(seller, "PRODUCT_IMAGE", product, TestImages.png(2, 2));
      }
    }
    upload(seller, "PROFILE_PHOTO", null, TestImages.png(2, 2));
    Runnable small = () -> feed(category, 2);
    Runnable large = () -> feed(category, 12);
    long smallCost = statementsOf(small);
    long largeCost = statementsOf(large);
    // products with their sellers (one statement: the sellers are joined), images, seller photos
    assertThat(largeCost).isEqualTo(smallCost).isEqualTo(3);
  }

  // fixtures

  /**
   * The media series of /actuator/prometheus by name and labels, the labels other than the media
   * ones (the application's common tags) left out: {@code name{a="x",b="y"}} or {@code name}.
   */
  private Map<String, Double> metrics() {
    String text =
        http()
            .get()
            .uri("/actuator/prometheus")
            .exchange()
            .expectStatus()
            .isOk()
            .expectBody(String.class)
            .returnResult()
            .getResponseBody();
    var series = new java.util.HashMap<String, Double>();
    var line = java.util.regex.Pattern.compile("^(dedw3n_media_\\w+)(?:\\{([^}]*)})? (\\S+)$");
    var label = java.util.regex.Pattern.compile("(outcome|purpose|reason)=\"[^\"]*\"");
    for (String row : text.split("\n")) {
      var m = line.matcher(row);
      if (m.matches()) {
        var labels = new java.util.ArrayList<String>();
        var l = label.matcher(m.group(2) == null ? "" : m.group(2));
        while (l.find()) {
          labels.add(l.group());
        }
        String key =
            labels.isEmpty() ? m.group(1) : m.group(1) + "{" + String.join(",", labels) + "}";
        series.put(key, Double.parseDouble(m.group(3)));
      }
    }
    return series;
  }

  record Ticket(String objectId, String uploadUrl, String method, Map<String, String> headers) {}

  private Ticket requestUpload(
      Client client, String purpose, String contentType, long byteSize, String attachTo) {
    var response =
        client
            .graphQl()
            .documentName("requestUpload")
            .variable("input", input(purpose, contentType, byteSize, attachTo))
            .execute();
    @SuppressWarnings("unchecked")
    List<Map<String, String>> headers =
        response.path("requestUpload.headers").entity(List.class).get();
    Instant expiresAt =
        Instant.parse(response.path("requestUpload.expiresAt").entity(String.class).get());
    assertThat(expiresAt).isBetween(Instant.now().plusSeconds(800), Instant.now().plusSeconds(901));
    return new Ticket(
        response.path("requestUpload.objectId").entity(String.class).get(),
        response.path("requestUpload.uploadUrl").entity(String.class).get(),
        response.path("requestUpload.method").entity(String.class).get(),
        headers.stream()
            .collect(java.util.stream.Collectors.toMap(h -> h.get("name"), h -> h.get("value"))));
  }

  private static Map<String, Object> input(
      String purpose, String contentType, long byteSize, String attachTo) {
    var input =
        new java.util.HashMap<String, Object>(
            Map.of("purpose", purpose, "contentType", contentType, "byteSize", byteSize));
    if (attachTo != null) {
      input.put("attachTo", attachTo);
    }
    return input;
  }

  private void expectRefusal(
      Client client,
      String purpose,
      String contentType,
      long byteSize,
      String attachTo,
      String classification,
      String code) {
    client
        .graphQl()
        .documentName("requestUpload")
        .variable("input", input(purpose, contentType, byteSize, attachTo))
        .execute()
        .errors()
        .expect(
            e ->
                e.getErrorType().toString().equals(classification)
                    && (code == null || code.equals(e.getExtensions().get("code"))))
        .verify();
  }

  private EntityExchangeResult<byte[]> put(Ticket ticket, byte[] body) {
    var request = http().put().uri(URI.create(ticket.uploadUrl()));
    ticket.headers().forEach((name, value) -> request.header(name, value));
    return request.bodyValue(body).exchange().expectBody(byte[].class).returnResult();
  }

  private EntityExchangeResult<byte[]> put(URI url, String contentType, byte[] body) {
    return http()
        .put()
        .uri(url)
        .header(HttpHeaders.CONTENT_TYPE, contentType)
        .bodyValue(body)
        .exchange()
        .expectBody(byte[].class)
        .returnResult();
  }

  /** The URL with a signature of the right form that is not its own. */
  private static String otherSignature(String url) {
    String signature = url.replaceFirst(".*signature=([0-9a-f]+).*", "$1");
    String other =
        signature.startsWith("0") ? "1" + signature.substring(1) : "0" + signature.substring(1);
    return url.replace("signature=" + signature, "signature=" + other);
  }

  private EntityExchangeResult<byte[]> get(String url) {
    return http().get().uri(URI.create(url)).exchange().expectBody(byte[].class).returnResult();
  }

  private GraphQlTester.Response completeUpload(Client client, String objectId) {
    return client.graphQl().documentName("completeUpload").variable("objectId", objectId).execute();
  }

  private Map<?, ?> complete(Client client, Ticket ticket) {
    return completeUpload(client, ticket.objectId()).path("completeUpload").entity(Map.class).get();
  }

  private Ticket upload(Client client, String purpose, String attachTo, byte[] bytes) {
    String type = MediaFormat.sniff(bytes).orElseThrow().format().contentType();
    var ticket = requestUpload(client, purpose, type, bytes.length, attachTo);
    assertThat(put(ticket, bytes).getStatus()).isEqualTo(HttpStatus.OK);
    complete(client, ticket);
    return ticket;
  }

  private String createProduct(Client seller, String category) {
    return seller
        .graphQl()
        .documentName("createProduct")
        .variable(
            "input",
            Map.of(
                "title",
                "Lamp",
                "category",
                category,
                "price",
                Map.of("amount", 1500, "currency", "EUR"),
                "stock",
                3))
        .execute()
        .path("createProduct.id")
        .entity(String.class)
        .get();
  }

  private String createPost(Client author) {
    return author
        .graphQl()
        .documentName("createPost")
        .variable("body", "look")
        .execute()
        .path("createPost.id")
        .entity(String.class)
        .get();
  }

  private void feed(String category, int first) {
    anonymous()
        .documentName("productFeedWithImages")
        .variable("category", category)
        .variable("first", first)
        .execute()
        .path("products.edges")
        .entityList(Object.class)
        .hasSize(first);
  }

  private List<?> imagesOf(String product) {
    return anonymous()
        .document("query($id:ID!){product(id:$id){images{id url}}}")
        .variable("id", product)
        .execute()
        .path("product.images")
        .entityList(Object.class)
        .get();
  }

  private List<?> photosOf(Client user) {
    return anonymous()
        .documentName("userPhotos")
        .variable("id", user.id())
        .execute()
        .path("user.photos")
        .entityList(Object.class)
        .get();
  }

  private long rowsOf(Client user) {
    return db.sql("SELECT count(*) FROM media_objects WHERE uploader_id = $1")
        .bind(0, Long.parseLong(user.id()))
        .map(row -> row.get(0, Long.class))
        .one()
        .block();
  }

  private long queued(Ticket ticket) {
    return db.sql("SELECT count(*) FROM media_deletions WHERE object_name LIKE $1")
        .bind(0, "%" + ticket.objectId())
        .map(row -> row.get(0, Long.class))
        .one()
        .block();
  }

  private Path fileOf(Ticket ticket) {
    String path = URI.create(ticket.uploadUrl()).getPath().substring("/media/".length());
    Path file = directory.resolve(path);
    assertThat(file.getFileName().toString()).isEqualTo(ticket.objectId());
    return file;
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
      java.util.concurrent.locks.LockSupport.parkNanos(Duration.ofMillis(20).toNanos());
    }
  }
}
