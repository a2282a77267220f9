package com.dedw3n.platform.demo;

import com.dedw3n.platform.graphql.TrustedDocuments;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Collectors;
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

  /** The demo partner's API key (documented in the README; development only). */
  static final String PARTNER_KEY = "dpk_demo-partner-key-for-development-only";

  /** What the demo partner may call: public reads. */
  private static final List<String> PARTNER_OPERATIONS =
      List.of(
          "productFeed", "productDetail", "productReviews", "cryptoPrice", "persistedOperations");

  private static final Log log = LogFactory.getLog(DemoData.class);

  private final DatabaseClient db;
  private final PasswordEncoder passwords;
  private final TrustedDocuments manifest;

  DemoData(DatabaseClient db, PasswordEncoder passwords, TrustedDocuments manifest) {
    this.db = db;
    this.passwords = passwords;
    this.manifest = manifest;
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
    // ids are hexadecimal, the key has no quote: both can stand in the script as literals
    String ids =
        manifest.all().stream()
            .filter(operation -> PARTNER_OPERATIONS.contains(operation.name()))
            .map(operation -> "'" + operation.id() + "'")
            .collect(Collectors.joining(","));
    sql.append(";\nINSERT INTO partners (name, allowed_operations, cost_capacity,")
        .append(" cost_refill_per_second) VALUES ('Demo Partner', ARRAY[")
        .append(ids)
        .append("]::text[], 20000, 2000);\n")
        .append("INSERT INTO partner_keys (partner_id, key_hash, key_prefix) SELECT id,")
        .append(" sha256(convert_to('")
        .append(PARTNER_KEY)
        .append("', 'UTF8')), '")
        .append(PARTNER_KEY, 0, 12)
        .append("' FROM partners WHERE name = 'Demo Partner'");
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
      log.info(
          "Loaded the demo data; sign in as alice@dedw3n.test / "
              + PASSWORD
              + "; the demo partner's API key is "
              + PARTNER_KEY);
    }
  }
}
