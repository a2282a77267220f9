package com.dedw3n.platform.demo;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.Comparator;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import org.springframework.boot.ApplicationArguments;
import org.springframework.boot.ApplicationRunner;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBooleanProperty;
import org.springframework.core.io.Resource;
import org.springframework.core.io.support.PathMatchingResourcePatternResolver;
import org.springframework.r2dbc.core.DatabaseClient;
import org.springframework.security.crypto.password.PasswordEncoder;
import org.springframework.stereotype.Component;
import reactor.core.publisher.Mono;

/**
 * Loads the small demo data set ({@code classpath:demo/*.sql}, in name order) into an empty
 * database, once: on a later start the users table is no longer empty and nothing happens. On by
 * default with the embedded PostgreSQL only.
 */
@Component
@ConditionalOnBooleanProperty("dedw3n.demo-data.enabled")
class DemoData implements ApplicationRunner {

  /** Every demo account signs in with this password (documented in the README). */
  static final String PASSWORD = "dedw3n-demo";

  private static final Log log = LogFactory.getLog(DemoData.class);

  private final DatabaseClient db;
  private final PasswordEncoder passwords;

  DemoData(DatabaseClient db, PasswordEncoder passwords) {
    this.db = db;
    this.passwords = passwords;
  }

  @Override
  public void run(ApplicationArguments args) throws Exception {
    Resource[] scripts =
        new PathMatchingResourcePatternResolver().getResources("classpath:demo/*.sql");
    Arrays.sort(scripts, Comparator.comparing(Resource::getFilename));
    StringBuilder sql = new StringBuilder();
    for (Resource script : scripts) {
      sql.append(script.getContentAsString(StandardCharsets.UTF_8)).append(";\n");
    }
    // a BCrypt hash has no quote in it, so it can stand in the script as a literal
    sql.append("UPDATE users SET password_hash = '")
        .append(passwords.encode(PASSWORD))
        .append("' WHERE password_hash = ''");
    // One simple-protocol query: PostgreSQL runs all of it in one implicit transaction, so a
    // failure leaves no half-loaded demo behind.
    Mono<Boolean> loaded =
        db.sql("SELECT NOT EXISTS (SELECT 1 FROM users)")
            .map(row -> row.get(0, Boolean.class))
            .one()
            .filter(empty -> empty)
            .flatMap(empty -> db.sql(sql.toString()).then().thenReturn(true))
            .defaultIfEmpty(false);
    // start-up thread, not an event loop; the app reports ready only once the data is in
    if (Boolean.TRUE.equals(loaded.block(Duration.ofMinutes(1)))) {
      log.info("Loaded the demo data; sign in as alice@dedw3n.test / " + PASSWORD);
    }
  }
}
