package com.dedw3n.media.internal;

import com.dedw3n.media.internal.ObjectStore.ObjectRef;
import com.google.auth.ServiceAccountSigner;
import com.google.cloud.storage.Storage;
import com.google.cloud.storage.StorageOptions;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Clock;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.web.server.context.WebServerInitializedEvent;
import org.springframework.context.ApplicationListener;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.util.StringUtils;
import org.springframework.web.reactive.function.server.RouterFunction;
import org.springframework.web.reactive.function.server.ServerResponse;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Scheduler;
import reactor.core.scheduler.Schedulers;

/**
 * Picks the media store: Google Cloud Storage when {@code PUBLIC_OBJECT_SEARCH_PATHS} and {@code
 * PRIVATE_OBJECT_DIR} are set; otherwise the local directory where it is enabled (the development
 * profile); otherwise none, and uploads answer MEDIA_NOT_CONFIGURED. Setting only one of the two
 * paths is a mistake the server refuses to start with.
 */
@Configuration(proxyBeanMethods = false)
class MediaConfiguration {

  private static final Log log = LogFactory.getLog(MediaConfiguration.class);

  /** The local store's "bucket" directory and its public and private prefixes. */
  private static final ObjectRef LOCAL_PUBLIC = new ObjectRef("local", "public");

  private static final ObjectRef LOCAL_PRIVATE = new ObjectRef("local", ".private");

  /** The port the application listens on, for the local store's URLs. */
  private final AtomicInteger port = new AtomicInteger(8080);

  /**
   * Cloud Storage's client blocks (and so do the local store's file operations): a bounded pool of
   * threads of its own keeps them off Netty's.
   */
  @Bean(destroyMethod = "dispose")
  Scheduler mediaBlockingScheduler() {
    return Schedulers.newBoundedElastic(
        4 * Runtime.getRuntime().availableProcessors(), 1000, "media-io", 60, true);
  }

  @Bean
  MediaStorage mediaStorage(
      MediaSettings settings,
      ObjectProvider<Storage> storage,
      ObjectProvider<ServiceAccountSigner> signer,
      ObjectProvider<Clock> clock,
      Scheduler mediaBlockingScheduler) {
    Clock time = clock.getIfUnique(Clock::systemUTC);
    if (settings.bucketConfigured()) {
      if (settings.publicObjectSearchPaths().isEmpty() || settings.privateObjectDir() == null) {
        throw new IllegalStateException(
            "Set both PUBLIC_OBJECT_SEARCH_PATHS and PRIVATE_OBJECT_DIR, or neither (media"
                + " storage)");
      }
      List<ObjectRef> publicPaths =
          MediaStorage.parsePaths("PUBLIC_OBJECT_SEARCH_PATHS", settings.publicObjectSearchPaths());
      ObjectRef privateDir =
          MediaStorage.parsePath("PRIVATE_OBJECT_DIR", settings.privateObjectDir());
      Storage client =
          storage.getIfAvailable(() -> StorageOptions.getDefaultInstance().getService());
      var store =
          new GcsObjectStore(
              client,
              signer.getIfAvailable(),
              settings.gcs().publicBaseUrl(),
              mediaBlockingScheduler);
      log.info(
          "Media in Google Cloud Storage: public objects under "
              + publicPaths.get(0)
              + ", private under "
              + privateDir);
      return new MediaStorage(store, publicPaths.get(0), privateDir, CacheControls.of(settings));
    }
    if (settings.local().enabled()) {
      String secret = settings.local().secret();
      byte[] key;
      if (StringUtils.hasText(secret)) {
        key = secret.getBytes(StandardCharsets.UTF_8);
      } else {
        key = new byte[32];
        new SecureRandom().nextBytes(key);
      }
      String baseUrl = settings.local().baseUrl();
      var store =
          new LocalObjectStore(
              settings.local().directory(),
              key,
              StringUtils.hasText(baseUrl)
                  ? () -> baseUrl.replaceAll("/+$", "")
                  : () -> "http://localhost:" + port.get(),
              List.of(LOCAL_PUBLIC),
              CacheControls.of(settings),
              mediaBlockingScheduler,
              time);
      log.info("Media in " + store.describe() + ", served at " + LocalObjectStore.PATH);
      return new MediaStorage(store, LOCAL_PUBLIC, LOCAL_PRIVATE, CacheControls.of(settings));
    }
    log.info(
        "Media storage is not configured (PUBLIC_OBJECT_SEARCH_PATHS, PRIVATE_OBJECT_DIR):"
            + " uploads are refused");
    return new MediaStorage(null, LOCAL_PUBLIC, LOCAL_PRIVATE, CacheControls.of(settings));
  }

  /** The local store's PUT and GET under /media/; nothing when media live elsewhere. */
  @Bean
  RouterFunction<ServerResponse> localMediaRoutes(MediaStorage media) {
    if (media.configured() && media.store() instanceof LocalObjectStore local) {
      return local.routes();
    }
    return request -> Mono.empty();
  }

  /** Learns the application's port (not the management port's) for the local store's URLs. */
  @Bean
  ApplicationListener<WebServerInitializedEvent> mediaPortListener() {
    return event -> {
      if (event.getApplicationContext().getServerNamespace() == null) {
        port.set(event.getWebServer().getPort());
      }
    };
  }
}
