package com.dedw3n.platform.db;

import java.net.URI;
import java.net.URISyntaxException;
import java.net.URLDecoder;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * A {@code DATABASE_URL} as Heroku and Neon hand it out ({@code
 * postgresql://user:password@host:port/db?sslmode=require}), turned into the R2DBC and JDBC
 * (Flyway) settings that point at the same database.
 */
record DatabaseUrl(
    String host,
    int port,
    String database,
    String username,
    String password,
    Map<String, String> params) {

  static DatabaseUrl parse(String url) {
    URI uri;
    try {
      uri = URI.create(url.trim());
    } catch (IllegalArgumentException e) {
      // the parser's message quotes the whole input, password included: only where and why
      throw new IllegalArgumentException(
          e.getCause() instanceof URISyntaxException syntax
              ? "DATABASE_URL is not a URL: "
                  + syntax.getReason()
                  + " at character "
                  + (syntax.getIndex() + 1)
                  + " (percent-encode reserved characters in the user name and password)"
              : "DATABASE_URL is not a URL");
    }
    String scheme = uri.getScheme();
    if (!"postgresql".equals(scheme) && !"postgres".equals(scheme)) {
      throw new IllegalArgumentException(
          "DATABASE_URL must start with postgresql:// (or postgres://), not " + scheme + "://");
    }
    if (uri.getHost() == null) {
      throw new IllegalArgumentException("DATABASE_URL has no host");
    }
    String user = null;
    String password = null;
    if (uri.getRawUserInfo() != null) {
      String[] parts = uri.getRawUserInfo().split(":", 2);
      user = decode(parts[0]);
      password = parts.length > 1 ? decode(parts[1]) : null;
    }
    // raw, decoded once below (getPath() would decode it, and decoding again corrupts a "%25")
    String path = uri.getRawPath() == null ? "" : uri.getRawPath().replaceFirst("^/", "");
    Map<String, String> params = new LinkedHashMap<>();
    if (uri.getRawQuery() != null) {
      for (String pair : uri.getRawQuery().split("&")) {
        if (pair.isEmpty()) {
          continue;
        }
        String[] kv = pair.split("=", 2);
        params.put(decode(kv[0]), kv.length > 1 ? decode(kv[1]) : "");
      }
    }
    return new DatabaseUrl(
        uri.getHost(),
        uri.getPort() > 0 ? uri.getPort() : 5432,
        path.isEmpty() ? "postgres" : decode(path),
        user,
        password,
        params);
  }

  /**
   * libpq's TLS parameters as r2dbc-postgresql spells them; other parameters pass through (the JDBC
   * driver takes libpq's spelling).
   */
  private static final Map<String, String> R2DBC_NAMES =
      Map.of(
          "sslmode", "sslMode",
          "sslrootcert", "sslRootCert",
          "sslcert", "sslCert",
          "sslkey", "sslKey",
          "sslpassword", "sslPassword");

  String r2dbcUrl() {
    return "r2dbc:postgresql://" + host + ":" + port + "/" + encode(database) + query(true);
  }

  String jdbcUrl() {
    return "jdbc:postgresql://" + host + ":" + port + "/" + encode(database) + query(false);
  }

  private String query(boolean r2dbc) {
    if (params.isEmpty()) {
      return "";
    }
    return params.entrySet().stream()
        .map(
            e ->
                encode(
                        r2dbc
                            ? R2DBC_NAMES.getOrDefault(
                                e.getKey().toLowerCase(java.util.Locale.ROOT), e.getKey())
                            : e.getKey())
                    + "="
                    + encode(e.getValue()))
        .collect(Collectors.joining("&", "?", ""));
  }

  /** Percent-decoding only: a '+' is a plus in a URL's user, password or path, not a space. */
  private static String decode(String s) {
    return URLDecoder.decode(s.replace("+", "%2B"), StandardCharsets.UTF_8);
  }

  /**
   * Values were decoded when parsed, so they are encoded again when written into a URL (an option
   * such as {@code -c search_path=app} holds a space and an '='); %20 rather than '+' for a space,
   * which every URL parser reads alike.
   */
  private static String encode(String s) {
    return URLEncoder.encode(s, StandardCharsets.UTF_8).replace("+", "%20");
  }
}
