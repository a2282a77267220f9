package com.dedw3n.platform.db;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.r2dbc.spi.ConnectionFactoryOptions;
import io.r2dbc.spi.Option;
import java.util.Properties;
import org.junit.jupiter.api.Test;
import org.postgresql.Driver;

/**
 * DATABASE_URL as hosting providers hand it out, read back by the real parsers of the URLs it
 * becomes (R2DBC's and PostgreSQL JDBC's), so that what the operator wrote is what the drivers get.
 */
class DatabaseUrlTests {

  @Test
  void credentialsAndOptionsWithReservedCharactersSurviveTheRoundTrip() {
    var url =
        DatabaseUrl.parse(
            "postgresql://app%40corp:p%40ss%3Aw%2Frd%25@db.example.com:6543/my%20db"
                + "?sslmode=require&options=-c%20search_path%3Dapp%2Cpublic&application_name=a%2Bb");
    assertThat(url.username()).isEqualTo("app@corp");
    assertThat(url.password()).isEqualTo("p@ss:w/rd%");
    assertThat(url.database()).isEqualTo("my db");
    assertThat(url.params())
        .containsEntry("options", "-c search_path=app,public")
        .containsEntry("application_name", "a+b");

    var r2dbc = ConnectionFactoryOptions.parse(url.r2dbcUrl());
    assertThat(r2dbc.getValue(ConnectionFactoryOptions.DATABASE)).isEqualTo("my db");
    assertThat(r2dbc.getValue(ConnectionFactoryOptions.PORT)).isEqualTo(6543);
    assertThat(r2dbc.getValue(Option.valueOf("sslMode"))).isEqualTo("require");
    // as r2dbc-postgresql reads them (name=value;...), proved over a connection in
    // DatabaseConfigurationTests
    assertThat(r2dbc.getValue(Option.valueOf("options"))).isEqualTo("search_path=app,public");
    assertThat(r2dbc.getValue(Option.valueOf("applicationName"))).isEqualTo("a+b");

    Properties jdbc = Driver.parseURL(url.jdbcUrl(), new Properties());
    assertThat(jdbc).isNotNull();
    assertThat(jdbc.getProperty("PGDBNAME")).isEqualTo("my db");
    assertThat(jdbc.getProperty("PGPORT")).isEqualTo("6543");
    assertThat(jdbc.getProperty("sslmode")).isEqualTo("require");
    assertThat(jdbc.getProperty("options")).isEqualTo("-c search_path=app,public");
    assertThat(jdbc.getProperty("ApplicationName")).isEqualTo("a+b");
  }

  @Test
  void defaultsAndRefusals() {
    var url = DatabaseUrl.parse("postgres://localhost");
    assertThat(url.port()).isEqualTo(5432);
    assertThat(url.database()).isEqualTo("postgres");
    assertThat(url.username()).isNull();
    // TLS when the server offers it, as libpq and the JDBC driver do (r2dbc-postgresql would not)
    assertThat(url.r2dbcUrl())
        .isEqualTo("r2dbc:postgresql://localhost:5432/postgres?sslMode=prefer");
    assertThat(Driver.parseURL(url.jdbcUrl(), new Properties()).getProperty("sslmode")).isNull();
    assertThatThrownBy(
            () -> DatabaseUrl.parse("postgres://h/db?options=search_path%3Dapp").r2dbcUrl())
        .hasMessageContaining("-c name=value");
    assertThatThrownBy(() -> DatabaseUrl.parse("mysql://localhost/db"))
        .hasMessageContaining("postgresql://");
    assertThatThrownBy(() -> DatabaseUrl.parse("postgresql:///db")).hasMessageContaining("no host");
    // a Compose service named with an underscore: R2DBC's parser would read "postgres_db:6543" as
    // the host, so it is refused here with what to do, not at the first connection
    assertThatThrownBy(() -> DatabaseUrl.parse("postgresql://app:secret@postgres_db:6543/app"))
        .hasMessageContaining("'_'")
        .hasMessageNotContaining("secret");
    assertThatThrownBy(() -> DatabaseUrl.parse("postgresql://bad host/db"))
        .hasMessageContaining("not a URL");
    // a password the parser cannot read is never quoted back (it goes to the startup log)
    assertThatThrownBy(() -> DatabaseUrl.parse("postgresql://app:pa ss^word@db/app"))
        .hasMessageContaining("not a URL")
        .hasMessageContaining("percent-encode")
        .hasMessageNotContaining("ss^word");
  }

  /** A '+' is a plus (generated passwords have them); only %XX is decoded, as libpq does. */
  @Test
  void aPlusIsAPlusAndTlsFilesReachBothDrivers() {
    var url =
        DatabaseUrl.parse(
            "postgresql://app:Ab+cd%2B@db/app?sslmode=verify-full&sslrootcert=/etc/ca.pem");
    assertThat(url.password()).isEqualTo("Ab+cd+");
    var r2dbc = ConnectionFactoryOptions.parse(url.r2dbcUrl());
    assertThat(r2dbc.getValue(Option.valueOf("sslMode"))).isEqualTo("verify-full");
    assertThat(r2dbc.getValue(Option.valueOf("sslRootCert"))).isEqualTo("/etc/ca.pem");
    Properties jdbc = Driver.parseURL(url.jdbcUrl(), new Properties());
    assertThat(jdbc.getProperty("sslrootcert")).isEqualTo("/etc/ca.pem");
  }

  /**
   * spring.r2dbc.url set as it is, with r2dbc-postgresql's names: Flyway's URL, made from it, must
   * carry the same TLS settings in the JDBC driver's names, which ignores the others.
   */
  @Test
  void anR2dbcUrlsTlsSettingsReachFlywayInTheJdbcDriversNames() {
    String jdbcUrl =
        DatabaseUrl.jdbcOf(
            "r2dbc:pool:postgresql://db:5432/app?sslMode=verify-full&sslRootCert=%2Fetc%2Fca.pem"
                + "&applicationName=api&options=search_path%3Dapp%3Bstatement_timeout%3D5s");
    Properties jdbc = Driver.parseURL(jdbcUrl, new Properties());
    assertThat(jdbc.getProperty("sslmode")).isEqualTo("verify-full");
    assertThat(jdbc.getProperty("sslrootcert")).isEqualTo("/etc/ca.pem");
    assertThat(jdbc.getProperty("ApplicationName")).isEqualTo("api");
    assertThat(jdbc.getProperty("options")).isEqualTo("-c search_path=app -c statement_timeout=5s");
    assertThat(DatabaseUrl.jdbcOf("r2dbc:postgresql://db/app"))
        .isEqualTo("jdbc:postgresql://db/app");
  }
}
