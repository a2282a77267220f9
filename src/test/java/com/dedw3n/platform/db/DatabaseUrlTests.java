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
    assertThat(r2dbc.getValue(Option.valueOf("options"))).isEqualTo("-c search_path=app,public");
    assertThat(r2dbc.getValue(Option.valueOf("application_name"))).isEqualTo("a+b");

    Properties jdbc = Driver.parseURL(url.jdbcUrl(), new Properties());
    assertThat(jdbc).isNotNull();
    assertThat(jdbc.getProperty("PGDBNAME")).isEqualTo("my db");
    assertThat(jdbc.getProperty("PGPORT")).isEqualTo("6543");
    assertThat(jdbc.getProperty("sslmode")).isEqualTo("require");
    assertThat(jdbc.getProperty("options")).isEqualTo("-c search_path=app,public");
    assertThat(jdbc.getProperty("application_name")).isEqualTo("a+b");
  }

  @Test
  void defaultsAndRefusals() {
    var url = DatabaseUrl.parse("postgres://localhost");
    assertThat(url.port()).isEqualTo(5432);
    assertThat(url.database()).isEqualTo("postgres");
    assertThat(url.username()).isNull();
    assertThat(url.r2dbcUrl()).isEqualTo("r2dbc:postgresql://localhost:5432/postgres");
    assertThatThrownBy(() -> DatabaseUrl.parse("mysql://localhost/db"))
        .hasMessageContaining("postgresql://");
    assertThatThrownBy(() -> DatabaseUrl.parse("postgresql:///db")).hasMessageContaining("no host");
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
}
