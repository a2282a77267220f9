package io.r2dbc.postgresql;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;
import static org.assertj.core.api.Assertions.catchThrowable;

import io.netty.util.collection.CharObjectHashMap;
import java.io.InputStream;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.net.URL;
import java.net.URLClassLoader;
import java.util.List;
import java.util.Properties;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The application's copy of r2dbc-postgresql's SQL parser (which it shadows, with a cache in
 * front): that it is the one in use, that it caches, and that it still parses exactly as the
 * driver's own class does, loaded from the driver's jar apart from the application's classes.
 */
class PostgresqlSqlParserTests {

  /** The driver version whose parser src/main/java/io/r2dbc/postgresql holds. */
  private static final String COPIED_FROM = "1.1.3.RELEASE";

  private static URLClassLoader driverOnly;
  private static Method driversParse;

  @BeforeAll
  static void loadTheDriversOwnParser() throws Exception {
    // PostgresqlConnectionFactory is not shadowed: its code source is the driver's jar
    URL driverJar =
        PostgresqlConnectionFactory.class.getProtectionDomain().getCodeSource().getLocation();
    URL nettyCommon = CharObjectHashMap.class.getProtectionDomain().getCodeSource().getLocation();
    driverOnly =
        new URLClassLoader(
            new URL[] {driverJar, nettyCommon}, ClassLoader.getPlatformClassLoader());
    driversParse =
        driverOnly
            .loadClass("io.r2dbc.postgresql.PostgresqlSqlParser")
            .getMethod("parse", String.class);
    driversParse.setAccessible(true);
  }

  @AfterAll
  static void close() throws Exception {
    driverOnly.close();
  }

  @Test
  void theApplicationsCopyIsTheParserInUse() {
    URL driverJar =
        PostgresqlConnectionFactory.class.getProtectionDomain().getCodeSource().getLocation();
    URL parser = PostgresqlSqlParser.class.getProtectionDomain().getCodeSource().getLocation();

    assertThat(parser).isNotEqualTo(driverJar);
  }

  @Test
  void isACopyOfTheDriverVersionOnTheClassPath() throws Exception {
    Properties pom = new Properties();
    try (InputStream in =
        driverOnly.getResourceAsStream(
            "META-INF/maven/org.postgresql/r2dbc-postgresql/pom.properties")) {
      pom.load(in);
    }

    assertThat(pom.getProperty("version"))
        .as(
            "r2dbc-postgresql was upgraded: copy its PostgresqlSqlParser into"
                + " src/main/java/io/r2dbc/postgresql, add the cache again and update COPIED_FROM")
        .isEqualTo(COPIED_FROM);
  }

  @Test
  void parsesEveryStatementAsTheDriversOwnParserDoes() throws Exception {
    for (String sql :
        List.of(
            "SELECT 1",
            "SELECT id, email FROM users WHERE id = $1",
            "SELECT * FROM products WHERE id = ANY($1) AND stock > $2 LIMIT 21",
            "SELECT p.id, r.* FROM (SELECT p.id FROM products p LEFT JOIN users u ON u.id ="
                + " p.seller_id WHERE p.id = $2) p LEFT JOIN LATERAL (SELECT r.id AS review_id,"
                + " row_number() OVER (ORDER BY r.created_at DESC, r.id DESC) AS review_n FROM"
                + " reviews r WHERE r.product_id = p.id ORDER BY r.created_at DESC LIMIT $1) r ON"
                + " true",
            "INSERT INTO messages (conversation_id, body) VALUES ($1, $2) RETURNING id, seq",
            "UPDATE products SET stock = stock - $1 WHERE id = $2 AND stock >= $1",
            "SELECT '$12 is text', \"quoted $13\" FROM t WHERE a IN ($1, $2, $3, $4, $5, $6, $7,"
                + " $8, $9, $10) -- a comment $11",
            "SELECT /* a block $4 /* nested */ comment */ $$ dollar $5 quoted $$, $tag$ x $tag$",
            "SELECT 'it''s', x::text FROM t WHERE y @> $1 OR z <> $2",
            "BEGIN; SELECT 1; COMMIT;",
            "CREATE FUNCTION f() RETURNS int LANGUAGE sql BEGIN ATOMIC SELECT 1; SELECT 2; END;"
                + " SELECT 3",
            "")) {
      assertThat(describe(PostgresqlSqlParser.parse(sql)))
          .as(sql)
          .isEqualTo(describe(driversParse.invoke(null, sql)));
    }
  }

  @Test
  void parsesEachTextOnce() {
    String sql = new String("SELECT id FROM products WHERE id = $1 AND stock > $2");

    ParsedSql first = PostgresqlSqlParser.parse(sql);

    assertThat(PostgresqlSqlParser.parse(new String(sql))).isSameAs(first);
    assertThat(first.getParameterCount()).isEqualTo(2);
  }

  @Test
  void refusesWhatTheDriverRefusesEveryTime() {
    for (String refused :
        List.of("SELECT 'unclosed FROM t WHERE id = $1", "SELECT a FROM t WHERE a = $2")) {
      Throwable drivers = catchThrowable(() -> driversParse.invoke(null, refused));
      assertThat(drivers).as(refused).isInstanceOf(InvocationTargetException.class);

      for (int attempt = 0; attempt < 2; attempt++) {
        assertThatIllegalArgumentException()
            .isThrownBy(() -> PostgresqlSqlParser.parse(refused))
            .withMessage(((InvocationTargetException) drivers).getTargetException().getMessage());
      }
    }
  }

  /** A parse result of either class loader, as text: its statements' tokens and its counts. */
  private static String describe(Object parsed) throws Exception {
    Class<?> type = parsed.getClass();
    Method statements = type.getDeclaredMethod("getStatements");
    statements.setAccessible(true);
    Method statementCount = type.getMethod("getStatementCount");
    Method parameterCount = type.getMethod("getParameterCount");
    statementCount.setAccessible(true);
    parameterCount.setAccessible(true);
    return statements.invoke(parsed)
        + " statements="
        + statementCount.invoke(parsed)
        + " parameters="
        + parameterCount.invoke(parsed);
  }
}
