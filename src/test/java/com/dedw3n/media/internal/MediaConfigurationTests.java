package com.dedw3n.media.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.dedw3n.platform.budget.BudgetSettings;
import com.dedw3n.platform.graphql.ApiException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.support.StaticListableBeanFactory;
import org.springframework.util.unit.DataSize;
import reactor.core.scheduler.Schedulers;

/** Which store the settings pick, and the settings that are refused. */
class MediaConfigurationTests {

  @Test
  void oneBucketPathWithoutTheOtherStopsTheServer() {
    assertThatThrownBy(() -> storage(settings(List.of("/bucket-id/public"), null, false)))
        .hasMessageContaining("Set both PUBLIC_OBJECT_SEARCH_PATHS and PRIVATE_OBJECT_DIR");
    assertThatThrownBy(() -> storage(settings(List.of(), "/bucket-id/.private", false)))
        .hasMessageContaining("Set both PUBLIC_OBJECT_SEARCH_PATHS and PRIVATE_OBJECT_DIR");
    assertThatThrownBy(() -> storage(settings(List.of("bucket-id"), "/bucket-id/.private", false)))
        .hasMessageContaining("PUBLIC_OBJECT_SEARCH_PATHS must look like /bucket-id/prefix");
  }

  @Test
  void withoutABucketOrTheLocalStoreUploadsAreUnavailable() {
    MediaStorage none = storage(settings(List.of(), null, false));
    assertThat(none.configured()).isFalse();
    assertThatThrownBy(none::store)
        .isInstanceOfSatisfying(
            ApiException.class, e -> assertThat(e.code()).isEqualTo("MEDIA_NOT_CONFIGURED"));
    assertThat(storage(settings(List.of(), null, true)).store())
        .isInstanceOf(LocalObjectStore.class);
  }

  @Test
  void newPublicObjectsGoToTheFirstSearchPath() {
    var paths = List.of(" /bucket-id/public ", "/old-bucket/images");
    // a Storage client is only built, never called, by choosing the store
    MediaStorage gcs = storage(settings(paths, "/bucket-id/.private", false));
    assertThat(gcs.store()).isInstanceOf(GcsObjectStore.class);
    assertThat(gcs.newObject(MediaPurpose.PRODUCT_IMAGE, 42, new java.util.UUID(0, 1)))
        .isEqualTo(
            new ObjectStore.ObjectRef(
                "bucket-id", "public/product-image/42/00000000-0000-0000-0000-000000000001"));
    assertThat(gcs.newObject(MediaPurpose.MESSAGE_ATTACHMENT, 42, new java.util.UUID(0, 1)).name())
        .startsWith(".private/message-attachment/42/");
  }

  private static MediaStorage storage(MediaSettings settings) {
    var beans = new StaticListableBeanFactory();
    beans.addBean(
        "storage",
        com.google.cloud.storage.contrib.nio.testing.LocalStorageHelper.getOptions().getService());
    return new MediaConfiguration()
        .mediaStorage(
            settings,
            beans.getBeanProvider(com.google.cloud.storage.Storage.class),
            beans.getBeanProvider(com.google.auth.ServiceAccountSigner.class),
            beans.getBeanProvider(java.time.Clock.class),
            Schedulers.immediate());
  }

  private static MediaSettings settings(
      List<String> publicPaths, String privateDir, boolean localEnabled) {
    var rate = new BudgetSettings.Rate(100, 100, Duration.ofHours(1));
    return new MediaSettings(
        publicPaths,
        privateDir,
        Duration.ofDays(1),
        Duration.ofDays(7),
        Duration.ofHours(1),
        Duration.ofMinutes(15),
        Duration.ofDays(1),
        Duration.ofMinutes(10),
        Duration.ofSeconds(30),
        Duration.ofHours(1),
        rate,
        rate,
        DataSize.ofGigabytes(5),
        new MediaSettings.Local(localEnabled, Path.of("target/test-media-unit"), "", ""),
        new MediaSettings.Gcs("https://storage.googleapis.com"));
  }
}
