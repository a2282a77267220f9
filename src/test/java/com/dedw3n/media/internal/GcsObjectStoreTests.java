package com.dedw3n.media.internal;

import static org.assertj.core.api.Assertions.assertThat;

import com.dedw3n.media.internal.ObjectStore.ObjectRef;
import com.google.auth.ServiceAccountSigner;
import com.google.auth.oauth2.GoogleCredentials;
import com.google.auth.oauth2.ServiceAccountCredentials;
import com.google.cloud.storage.BlobId;
import com.google.cloud.storage.BlobInfo;
import com.google.cloud.storage.Storage;
import com.google.cloud.storage.contrib.nio.testing.LocalStorageHelper;
import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.MessageDigest;
import java.security.Signature;
import java.time.Duration;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import reactor.core.scheduler.Schedulers;

/**
 * The Cloud Storage store against Cloud Storage's semantics (google-cloud-nio's in-process fake),
 * with URLs really signed (V4, RSA-SHA256) by a service-account key generated for the test, and
 * their signatures verified with its public key.
 */
class GcsObjectStoreTests {

  private static final ObjectRef OBJECT =
      new ObjectRef("bucket-id", "public/product-image/7/0f8fad5b-d9cb-469f-a165-70867728950e");

  private static KeyPair key;
  private static ServiceAccountCredentials account;

  private final Storage storage = LocalStorageHelper.getOptions().getService();
  private final GcsObjectStore store =
      new GcsObjectStore(storage, account, "https://cdn.example.com/", Schedulers.boundedElastic());

  @BeforeAll
  static void generateServiceAccountKey() throws Exception {
    var generator = KeyPairGenerator.getInstance("RSA");
    generator.initialize(2048);
    key = generator.generateKeyPair();
    account =
        ServiceAccountCredentials.newBuilder()
            .setClientEmail("media-signer@test-project.iam.gserviceaccount.com")
            .setClientId("1234567890")
            .setPrivateKey(key.getPrivate())
            .setPrivateKeyId("test-key")
            .setProjectId("test-project")
            .build();
  }

  @Test
  void anUploadUrlIsBoundToTheObjectTypeSizeAndCacheHeadersForFifteenMinutes() throws Exception {
    var signed =
        store
            .signUpload(OBJECT, "image/png", 1234, "public, max-age=86400", Duration.ofMinutes(15))
            .block();
    assertThat(signed.method()).isEqualTo("PUT");
    assertThat(signed.headers())
        .containsEntry("Content-Type", "image/png")
        .containsEntry("x-goog-content-length-range", "1234,1234")
        .containsEntry("x-goog-if-generation-match", "0")
        .containsEntry("Cache-Control", "public, max-age=86400");
    URI url = URI.create(signed.url());
    assertThat(url.getHost()).isEqualTo("storage.googleapis.com");
    assertThat(url.getRawPath()).isEqualTo("/bucket-id/" + OBJECT.name());
    Map<String, String> query = query(url);
    assertThat(query)
        .containsEntry("X-Goog-Algorithm", "GOOG4-RSA-SHA256")
        .containsEntry("X-Goog-Expires", "900")
        .containsEntry(
            "X-Goog-SignedHeaders",
            "cache-control;content-type;host;x-goog-content-length-range;x-goog-if-generation-match");
    assertThat(query.get("X-Goog-Credential"))
        .startsWith("media-signer@test-project.iam.gserviceaccount.com/")
        .endsWith("/auto/storage/goog4_request");
    assertThat(verifies("PUT", url, signed.headers())).isTrue();
    // any header changed (another type, another size) no longer matches the signature
    var otherType = new LinkedHashMap<>(signed.headers());
    otherType.put("Content-Type", "text/html");
    assertThat(verifies("PUT", url, otherType)).isFalse();
    var otherSize = new LinkedHashMap<>(signed.headers());
    otherSize.put("x-goog-content-length-range", "0,999999999");
    assertThat(verifies("PUT", url, otherSize)).isFalse();
  }

  @Test
  void aPrivateObjectIsReadWithASignedGetAndAPublicOneByItsPlainUrl() throws Exception {
    ObjectRef privateObject = new ObjectRef("bucket-id", ".private/message-attachment/7/x");
    URI url = URI.create(store.signDownload(privateObject, Duration.ofMinutes(15)).block());
    assertThat(url.getRawPath()).isEqualTo("/bucket-id/.private/message-attachment/7/x");
    assertThat(query(url))
        .containsEntry("X-Goog-Expires", "900")
        .containsEntry("X-Goog-SignedHeaders", "host");
    assertThat(verifies("GET", url, Map.of())).isTrue();
    assertThat(store.publicUrl(OBJECT))
        .isEqualTo("https://cdn.example.com/bucket-id/" + OBJECT.name());
  }

  /**
   * Production passes no signer: the storage client's own credentials sign, a key file's or, on
   * workload identity and VMs, IAM signBlob's (credentials that implement ServiceAccountSigner and
   * sign remotely). Those credentials stand in for IAM here, signing with the test key and counting
   * the calls, so the test sees that the client's credentials were asked and the URLs still verify.
   */
  @Test
  void withoutASignerTheStorageClientsOwnCredentialsSignTheUrls() throws Exception {
    var credentials = new SignBlobCredentials();
    Storage client =
        LocalStorageHelper.getOptions().toBuilder()
            .setCredentials(credentials)
            .build()
            .getService();
    var production =
        new GcsObjectStore(client, null, "https://cdn.example.com/", Schedulers.boundedElastic());

    var upload =
        production
            .signUpload(OBJECT, "image/png", 1234, "public, max-age=86400", Duration.ofMinutes(15))
            .block();
    URI uploadUrl = URI.create(upload.url());
    assertThat(credentials.signed).hasValue(1);
    assertThat(query(uploadUrl).get("X-Goog-Credential"))
        .startsWith("workload@test-project.iam.gserviceaccount.com/");
    assertThat(verifies("PUT", uploadUrl, upload.headers())).isTrue();

    URI downloadUrl = URI.create(production.signDownload(OBJECT, Duration.ofMinutes(15)).block());
    assertThat(credentials.signed).hasValue(2);
    assertThat(verifies("GET", downloadUrl, Map.of())).isTrue();
  }

  /** Credentials that sign as IAM signBlob would: remotely, here with the test key, counted. */
  private static final class SignBlobCredentials extends GoogleCredentials
      implements ServiceAccountSigner {

    final AtomicInteger signed = new AtomicInteger();

    @Override
    public String getAccount() {
      return "workload@test-project.iam.gserviceaccount.com";
    }

    @Override
    public byte[] sign(byte[] toSign) {
      signed.incrementAndGet();
      try {
        var signature = Signature.getInstance("SHA256withRSA");
        signature.initSign(key.getPrivate());
        signature.update(toSign);
        return signature.sign();
      } catch (java.security.GeneralSecurityException e) {
        throw new SigningException("test signing failed", e);
      }
    }
  }

  @Test
  void readsMetadataAndFirstBytesAndDeletesIdempotently() {
    byte[] png = TestImages.png(12, 9);
    storage.create(
        BlobInfo.newBuilder(BlobId.of(OBJECT.bucket(), OBJECT.name()))
            .setContentType("image/png")
            .setCacheControl("public, max-age=86400")
            .build(),
        png);
    var stored = store.stat(OBJECT).block();
    assertThat(stored.contentType()).isEqualTo("image/png");
    assertThat(stored.byteSize()).isEqualTo(png.length);
    assertThat(stored.cacheControl()).isEqualTo("public, max-age=86400");
    assertThat(store.head(OBJECT, 16).block()).isEqualTo(Arrays.copyOf(png, 16));
    // callers never read past the size stat reported (the fake pads a read past the end)
    assertThat(store.head(OBJECT, png.length).block()).isEqualTo(png);
    assertThat(MediaFormat.sniff(store.head(OBJECT, png.length).block()))
        .contains(new MediaFormat.Sniffed(MediaFormat.PNG, 12, 9));

    store.delete(OBJECT).block();
    assertThat(store.stat(OBJECT).blockOptional()).isEmpty();
    store.delete(OBJECT).block(); // gone already: still done
  }

  /**
   * Checks a V4 signature as Cloud Storage does: the canonical request (method, path, query without
   * the signature, signed headers with host), its SHA-256 in the string to sign, RSA-SHA256 with
   * the account's public key.
   */
  private static boolean verifies(String method, URI url, Map<String, String> headers)
      throws Exception {
    Map<String, String> rawQuery = new TreeMap<>();
    for (String pair : url.getRawQuery().split("&")) {
      String[] kv = pair.split("=", 2);
      rawQuery.put(kv[0], kv[1]);
    }
    String signature = rawQuery.remove("X-Goog-Signature");
    Map<String, String> canonicalHeaders = new TreeMap<>();
    headers.forEach((name, value) -> canonicalHeaders.put(name.toLowerCase(), value.strip()));
    canonicalHeaders.put("host", url.getHost());
    String signedHeaders = String.join(";", canonicalHeaders.keySet());
    if (!signedHeaders.equals(
        URLDecoder.decode(rawQuery.get("X-Goog-SignedHeaders"), StandardCharsets.UTF_8))) {
      return false;
    }
    String canonicalRequest =
        String.join(
            "\n",
            method,
            url.getRawPath(),
            rawQuery.entrySet().stream()
                .map(e -> e.getKey() + "=" + e.getValue())
                .collect(Collectors.joining("&")),
            canonicalHeaders.entrySet().stream()
                    .map(e -> e.getKey() + ":" + e.getValue())
                    .collect(Collectors.joining("\n"))
                + "\n",
            signedHeaders,
            "UNSIGNED-PAYLOAD");
    String credential =
        URLDecoder.decode(rawQuery.get("X-Goog-Credential"), StandardCharsets.UTF_8);
    String scope = credential.substring(credential.indexOf('/') + 1);
    String stringToSign =
        String.join(
            "\n",
            "GOOG4-RSA-SHA256",
            rawQuery.get("X-Goog-Date"),
            scope,
            HexFormat.of()
                .formatHex(
                    MessageDigest.getInstance("SHA-256")
                        .digest(canonicalRequest.getBytes(StandardCharsets.UTF_8))));
    var verifier = Signature.getInstance("SHA256withRSA");
    verifier.initVerify(key.getPublic());
    verifier.update(stringToSign.getBytes(StandardCharsets.UTF_8));
    return verifier.verify(HexFormat.of().parseHex(signature));
  }

  private static Map<String, String> query(URI url) {
    Map<String, String> query = new LinkedHashMap<>();
    for (String pair : url.getRawQuery().split("&")) {
      String[] kv = pair.split("=", 2);
      query.put(kv[0], URLDecoder.decode(kv[1], StandardCharsets.UTF_8));
    }
    return query;
  }
}
