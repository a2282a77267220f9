package com.dedw3n.user.internal;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import org.flywaydb.core.api.MigrationVersion;
import org.flywaydb.core.api.migration.Context;
import org.flywaydb.core.api.migration.JavaMigration;
import org.springframework.stereotype.Component;

/**
 * Migration 40: the addresses that sign-ups before 2026-12-07 (commit 6405ac1) stored with
 * invisible spaces around them are stripped as sign-up strips them now. Java's {@code strip()} then
 * left no-break and zero-width spaces alone, so "alice@example.com" followed by a pasted U+00A0 was
 * stored as it came; sign-in now strips its argument and looks up the clean address, which that
 * account does not have, so its owner could not sign in at all.
 *
 * <p>In Java, not SQL, so that it strips exactly what {@link UserController#normalizeEmail} does:
 * PostgreSQL's regular expressions have no Unicode categories, and a hand-written list of the
 * format characters would drift from Java's. Flyway finds it as a bean (Spring Boot hands it every
 * {@link JavaMigration} bean) and runs it once, in the order of its version, in one transaction.
 *
 * <p>An account whose clean address another account already has keeps its address: the clean one is
 * the account its owner has signed in to since, and merging two accounts is not a migration's
 * decision. Each is logged with both ids for the operator; the oldest of several legacy accounts
 * with the same clean address gets it.
 */
@Component
class EmailsStrippedMigration implements JavaMigration {

  private static final Log log = LogFactory.getLog(EmailsStrippedMigration.class);

  private static final Pattern SIGN_IN_ADDRESS = Pattern.compile(UserController.EMAIL_LOOKUP);

  @Override
  public MigrationVersion getVersion() {
    return MigrationVersion.fromVersion("40");
  }

  @Override
  public String getDescription() {
    return "emails stripped of invisible spaces";
  }

  @Override
  public Integer getChecksum() {
    return null;
  }

  @Override
  public boolean canExecuteInTransaction() {
    return true;
  }

  @Override
  public void migrate(Context context) throws SQLException {
    Outcome outcome = strip(context.getConnection());
    if (outcome.stripped() > 0 || !outcome.kept().isEmpty()) {
      log.info(
          "Stripped the invisible spaces around "
              + outcome.stripped()
              + " stored email address(es); kept "
              + outcome.kept().size());
    }
  }

  /** What {@link #strip} changed: how many addresses, and the accounts it had to leave alone. */
  record Outcome(int stripped, List<Long> kept) {}

  static Outcome strip(Connection connection) throws SQLException {
    // Only addresses with a character outside ASCII can have one of those spaces: the length in
    // bytes differs from the length in characters. One scan of the table, no index needed.
    List<Long> ids = new ArrayList<>();
    List<String> emails = new ArrayList<>();
    try (PreparedStatement select =
            connection.prepareStatement(
                "SELECT id, email FROM users WHERE octet_length(email) <> char_length(email)"
                    + " ORDER BY id");
        ResultSet rows = select.executeQuery()) {
      while (rows.next()) {
        ids.add(rows.getLong(1));
        emails.add(rows.getString(2));
      }
    }
    int stripped = 0;
    List<Long> kept = new ArrayList<>();
    try (PreparedStatement update =
            connection.prepareStatement(
                "UPDATE users SET email = ? WHERE id = ?"
                    + " AND NOT EXISTS (SELECT 1 FROM users WHERE email = ?)");
        PreparedStatement owner =
            connection.prepareStatement("SELECT id FROM users WHERE email = ?")) {
      for (int i = 0; i < ids.size(); i++) {
        String clean = UserController.normalizeEmail(emails.get(i));
        // an address still refused stripped (an invisible character inside it) gains nothing
        if (clean.equals(emails.get(i)) || !SIGN_IN_ADDRESS.matcher(clean).matches()) {
          continue;
        }
        update.setString(1, clean);
        update.setLong(2, ids.get(i));
        update.setString(3, clean);
        if (update.executeUpdate() == 1) {
          stripped++;
          continue;
        }
        kept.add(ids.get(i));
        owner.setString(1, clean);
        try (ResultSet found = owner.executeQuery()) {
          found.next();
          log.warn(
              "Account "
                  + ids.get(i)
                  + " keeps its email address with invisible spaces around it: account "
                  + found.getLong(1)
                  + " has the address without them. Its owner cannot sign in to it; merge or"
                  + " delete one of the two by hand");
        }
      }
    }
    return new Outcome(stripped, kept);
  }
}
