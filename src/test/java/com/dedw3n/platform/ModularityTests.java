package com.dedw3n.platform;

import static java.util.Map.entry;
import static org.assertj.core.api.Assertions.assertThat;

import com.dedw3n.Application;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.springframework.modulith.core.ApplicationModules;
import org.springframework.modulith.docs.Documenter;

/**
 * Each feature is a module: none reaches into another's internals (sub-packages), each uses only
 * the modules its package-info allows, and there are no cycles. The module diagram and canvases are
 * written to target/spring-modulith-docs.
 *
 * <p>The same boundary holds in the database: each table belongs to one module, and only that
 * module's SQL names it. Another module goes through the owner's public API (an order takes stock
 * through the product feature's {@code Stock}, not by updating products itself). Spring Modulith
 * cannot see SQL in strings, so these tests read the sources: the table after FROM, JOIN, INTO and
 * UPDATE in string literals. Not seen: the second table of a comma join, DELETE ... USING,
 * TRUNCATE, LOCK TABLE and names built at run time; none of those is written here today.
 */
class ModularityTests {

  private static final Path SOURCES = Path.of("src/main/java/com/dedw3n");
  private static final Path MIGRATIONS = Path.of("src/main/resources/db/migration");

  /**
   * The module that owns each table. Every table a migration creates must be listed (a new table
   * needs an owner, decided here), and every table listed must exist.
   */
  private static final Map<String, String> TABLE_OWNERS =
      Map.ofEntries(
          entry("users", "user"),
          entry("products", "product"),
          entry("reviews", "product"),
          entry("orders", "order"),
          entry("order_items", "order"),
          entry("posts", "post"),
          entry("comments", "post"),
          entry("post_likes", "post"),
          entry("profile_likes", "match"),
          entry("matches", "match"),
          entry("conversations", "chat"),
          entry("conversation_participants", "chat"),
          entry("messages", "chat"),
          entry("inboxes", "chat"),
          entry("inbox_entries", "chat"),
          entry("price_quotes", "price"),
          // API clients and their keys: what the HTTP layer checks before any feature runs
          entry("partners", "platform"),
          entry("partner_keys", "platform"),
          entry("media_objects", "media"),
          entry("media_deletions", "media"),
          entry("media_usage", "media"),
          entry("payments", "payment"),
          entry("refunds", "payment"),
          entry("stripe_events", "payment"),
          entry("mail_outbox", "mail"),
          entry("account_tokens", "user"),
          // Flyway's history; sessions live in memory or Redis, not in PostgreSQL
          entry("flyway_schema_history", "platform"));

  /** Tables that exist without a migration creating them. */
  private static final Set<String> NOT_MIGRATED = Set.of("flyway_schema_history");

  /**
   * Feature tables that platform code may name, by file, and why. The demo data loader (development
   * only) checks that the users table is empty before it loads the demo set, and gives every demo
   * user the one documented password afterwards; the demo rows themselves are SQL files under
   * {@code src/main/resources/demo}, one per feature, which this test does not read. Nothing else
   * in platform touches a feature's table.
   */
  private static final Map<String, Set<String>> PLATFORM_MAY_TOUCH =
      Map.of("platform/demo/DemoData.java", Set.of("users"));

  /** A table named after FROM, JOIN, INTO or UPDATE (DELETE FROM is a FROM). */
  private static final Pattern TABLE_REFERENCE =
      Pattern.compile(
          "\\b(from|join|into|update)\\s+(?:only\\s+)?(?:public\\.)?([a-z_][a-z0-9_]*)",
          Pattern.CASE_INSENSITIVE);

  private static final Pattern CREATE_TABLE =
      Pattern.compile(
          "\\bcreate\\s+table\\s+(?:if\\s+not\\s+exists\\s+)?(?:public\\.)?([a-z_][a-z0-9_]*)",
          Pattern.CASE_INSENSITIVE);

  private final ApplicationModules modules = ApplicationModules.of(Application.class);

  @Test
  void modulesRespectTheirBoundaries() {
    modules.verify();
  }

  @Test
  void theModuleDiagramIsWritten() {
    new Documenter(modules).writeDocumentation();
  }

  @Test
  void everyTableHasAnOwningModule() throws IOException {
    Set<String> created = new TreeSet<>();
    try (Stream<Path> files = Files.list(MIGRATIONS)) {
      for (Path migration : files.filter(p -> p.toString().endsWith(".sql")).toList()) {
        Matcher m = CREATE_TABLE.matcher(Files.readString(migration));
        while (m.find()) {
          created.add(m.group(1).toLowerCase(Locale.ROOT));
        }
      }
    }
    Set<String> listed = new TreeSet<>(TABLE_OWNERS.keySet());
    listed.removeAll(NOT_MIGRATED);
    assertThat(listed)
        .as("tables in TABLE_OWNERS against tables the migrations create")
        .isEqualTo(created);
    assertThat(moduleDirectories()).containsAll(TABLE_OWNERS.values());
  }

  @Test
  void noModulesSqlTouchesAnotherModulesTables() throws IOException {
    List<String> leaks = new ArrayList<>();
    for (String module : moduleDirectories()) {
      List<Path> sources;
      try (Stream<Path> files = Files.walk(SOURCES.resolve(module))) {
        sources = files.filter(p -> p.toString().endsWith(".java")).sorted().toList();
      }
      for (Path source : sources) {
        String file = SOURCES.relativize(source).toString().replace('\\', '/');
        Matcher m = TABLE_REFERENCE.matcher(stringLiterals(Files.readString(source)));
        while (m.find()) {
          String table = m.group(2).toLowerCase(Locale.ROOT);
          // anything else after FROM is a CTE, an alias, a function (unnest) or English in a
          // message
          String owner = TABLE_OWNERS.get(table);
          if (owner == null
              || owner.equals(module)
              || PLATFORM_MAY_TOUCH.getOrDefault(file, Set.of()).contains(table)) {
            continue;
          }
          leaks.add(
              String.format(
                  "module %s, file %s: %s %s (table %s is owned by module %s)",
                  module, SOURCES.resolve(file), m.group(1), m.group(2), table, owner));
        }
      }
    }
    assertThat(leaks)
        .withFailMessage(
            "SQL of one module touches another module's tables; use the owning module's public"
                + " API instead:%n  %s",
            String.join(System.lineSeparator() + "  ", leaks))
        .isEmpty();
  }

  /** The modules: the packages directly under com.dedw3n, as directories. */
  private static Set<String> moduleDirectories() throws IOException {
    try (Stream<Path> entries = Files.list(SOURCES)) {
      return entries
          .filter(Files::isDirectory)
          .map(p -> p.getFileName().toString())
          .collect(TreeSet::new, Set::add, Set::addAll);
    }
  }

  /**
   * The contents of a Java source's string literals and text blocks, each followed by a space, with
   * comments skipped: SQL built by concatenation ({@code " FROM" + " products"}) reads as one text.
   */
  private static String stringLiterals(String java) {
    StringBuilder text = new StringBuilder();
    int i = 0;
    int n = java.length();
    while (i < n) {
      if (java.startsWith("//", i)) {
        int end = java.indexOf('\n', i);
        i = end < 0 ? n : end;
      } else if (java.startsWith("/*", i)) {
        int end = java.indexOf("*/", i + 2);
        i = end < 0 ? n : end + 2;
      } else if (java.startsWith("\"\"\"", i)) {
        int end = java.indexOf("\"\"\"", i + 3);
        end = end < 0 ? n : end;
        text.append(java, i + 3, end).append(' ');
        i = end + 3;
      } else if (java.charAt(i) == '"' || java.charAt(i) == '\'') {
        char quote = java.charAt(i++);
        StringBuilder literal = new StringBuilder();
        while (i < n && java.charAt(i) != quote) {
          if (java.charAt(i) == '\\') {
            literal.append(' '); // an escape (\", \n, ...) separates words
            i += 2;
          } else {
            literal.append(java.charAt(i++));
          }
        }
        i++;
        if (quote == '"') {
          text.append(literal).append(' ');
        }
      } else {
        i++;
      }
    }
    return text.toString();
  }
}
