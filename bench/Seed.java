import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.SQLWarning;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;

/**
 * Runs bench/seed.sql through JDBC, for machines without psql: only a JDK and the PostgreSQL JDBC
 * driver (which the build already fetched) are needed.
 *
 * <pre>
 * java -cp ~/.m2/repository/org/postgresql/postgresql/VERSION/postgresql-VERSION.jar \
 *     bench/Seed.java jdbc:postgresql://localhost:5432/postgres?user=postgres 0.1
 * </pre>
 *
 * The script's psql lines are honoured the way psql would: {@code \echo} prints its message (here
 * with the elapsed time) and closes the batch of statements before it, other backslash lines are
 * ignored. Each batch goes to the server as one multi-statement execution; the script's own
 * BEGIN/COMMIT make the load one transaction, and a failure closes the connection, which rolls
 * it back. Exit status 1 on any error.
 */
public class Seed {

  public static void main(String[] args) throws Exception {
    if (args.length < 2) {
      System.err.println(
          "usage: java -cp postgresql.jar bench/Seed.java JDBC_URL SCALE [bench/seed.sql]");
      System.exit(2);
    }
    Path script = Path.of(args.length > 2 ? args[2] : "bench/seed.sql");
    try {
      run(args[0], args[1], script);
    } catch (SQLException e) {
      System.err.println("seed failed: " + e.getMessage());
      System.exit(1);
    }
  }

  /** Loads the data set at the given scale; throws on the first failing statement. */
  public static void run(String jdbcUrl, String scale, Path script) throws Exception {
    long start = System.nanoTime();
    Properties props = new Properties();
    // the scale reaches the script as a session setting, as PGOPTIONS does for psql
    props.setProperty("options", "-c bench.scale=" + Double.parseDouble(scale));
    try (Connection db = DriverManager.getConnection(jdbcUrl, props);
        Statement statement = db.createStatement()) {
      db.setAutoCommit(true);
      StringBuilder batch = new StringBuilder();
      for (String line : Files.readAllLines(script)) {
        if (line.startsWith("\\")) {
          execute(statement, batch);
          if (line.startsWith("\\echo ")) {
            System.out.printf(
                "%6.1fs %s%n", (System.nanoTime() - start) / 1e9, line.substring(6).trim());
          }
        } else {
          batch.append(line).append('\n');
        }
      }
      execute(statement, batch);
    }
  }

  private static void execute(Statement statement, StringBuilder batch) throws SQLException {
    String sql = batch.toString();
    batch.setLength(0);
    if (sql.lines().allMatch(l -> l.isBlank() || l.trim().startsWith("--"))) {
      return;
    }
    boolean isResult = statement.execute(sql);
    while (true) {
      if (isResult) {
        print(statement.getResultSet());
      } else if (statement.getUpdateCount() == -1) {
        break;
      }
      isResult = statement.getMoreResults();
    }
    for (SQLWarning w = statement.getWarnings(); w != null; w = w.getNextWarning()) {
      System.out.println("       " + w.getMessage());
    }
    statement.clearWarnings();
  }

  private static void print(ResultSet rows) throws SQLException {
    int columns = rows.getMetaData().getColumnCount();
    List<String> lines = new ArrayList<>();
    while (rows.next()) {
      StringBuilder line = new StringBuilder("       ");
      for (int i = 1; i <= columns; i++) {
        line.append(String.format("%-16s", rows.getString(i)));
      }
      lines.add(line.toString().stripTrailing());
    }
    lines.forEach(System.out::println);
  }
}
