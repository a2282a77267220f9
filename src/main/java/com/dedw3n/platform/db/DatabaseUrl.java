package com.dedw3n.platform.db;

import java.net.URI;
import java.net.URISyntaxException;
import java.net.URLDecoder;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
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
      // java.net.URI, and with it R2DBC's URL parser, reads no host in a name that is not an
      // internet host name, such as a Compose service's with an underscore (postgres_db)
      throw new IllegalArgumentException(
          uri.getRawAuthority() == null || uri.getRawAuthority().endsWith("@")
              ? "DATABASE_URL has no host"
              : "DATABASE_URL's host is not a host name that the R2DBC driver reads (letters,"
                  + " digits, '-' and '.'; no '_'): use another name for it, or its address");
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
    Map<String, String> params =
        uri.getRawQuery() == null ? new LinkedHashMap<>() : params(uri.getRawQuery());
    return new DatabaseUrl(
        uri.getHost(),
        uri.getPort() > 0 ? uri.getPort() : 5432,
        path.isEmpty() ? "postgres" : decode(path),
        user,
        password,
        params);
  }

  /**
   * libpq's parameters as r2dbc-postgresql spells them; other parameters pass through (the JDBC
   * driver takes libpq's spelling).
   */
  private static final Map<String, String> R2DBC_NAMES =
      Map.of(
          "sslmode", "sslMode",
          "sslrootcert", "sslRootCert",
          "sslcert", "sslCert",
          "sslkey", "sslKey",
          "sslpassword", "sslPassword",
          "application_name", "applicationName");

  /** One {@code -c name=value} (or {@code --name=value}) of libpq's {@code options}. */
  private static final java.util.regex.Pattern OPTION =
      java.util.regex.Pattern.compile("\\s*(?:-c\\s*|--)([A-Za-z0-9_.]+)=(\\S+)\\s*");

  String r2dbcUrl() {
    Map<String, String> r2dbc = new LinkedHashMap<>();
    params.forEach(
        (name, value) -> {
          String lower = name.toLowerCase(java.util.Locale.ROOT);
          r2dbc.put(
              R2DBC_NAMES.getOrDefault(lower, name),
              lower.equals("options") ? r2dbcOptions(value) : value);
        });
    // libpq and the JDBC driver use TLS when the server offers it (sslmode=prefer) unless told
    // otherwise; r2dbc-postgresql would not: the URL Heroku hands out names no sslmode
    r2dbc.putIfAbsent("sslMode", "prefer");
    return "r2dbc:postgresql://" + host + ":" + port + "/" + encode(database) + query(r2dbc);
  }

  String jdbcUrl() {
    Map<String, String> jdbc = new LinkedHashMap<>();
    // the JDBC driver reads the application's name as ApplicationName only
    params.forEach(
        (name, value) ->
            jdbc.put(
                name.toLowerCase(java.util.Locale.ROOT).equals("application_name")
                    ? "ApplicationName"
                    : name,
                value));
    return "jdbc:postgresql://" + host + ":" + port + "/" + encode(database) + query(jdbc);
  }

  /**
   * The JDBC URL (Flyway's) of an R2DBC URL set as {@code spring.r2dbc.url}: the same address with
   * its parameters as the JDBC driver spells them, which ignores r2dbc-postgresql's names (a {@code
   * sslMode=verify-full} passed on unchanged would migrate over an unverified connection).
   */
  static String jdbcOf(String r2dbcUrl) {
    String url = r2dbcUrl.replaceFirst("^r2dbc:(pool:)?", "jdbc:");
    int query = url.indexOf('?');
    if (query < 0) {
      return url;
    }
    Map<String, String> jdbc = new LinkedHashMap<>();
    params(url.substring(query + 1))
        .forEach(
            (name, value) -> {
              String libpq =
                  name.equals("applicationName")
                      ? "ApplicationName" // the JDBC driver's name for it
                      : R2DBC_NAMES.entrySet().stream()
                          .filter(e -> e.getValue().equals(name))
                          .map(Map.Entry::getKey)
                          .findFirst()
                          .orElse(name);
              jdbc.put(
                  libpq,
                  libpq.equals("options")
                      ? java.util.Arrays.stream(value.split(";"))
                          .filter(setting -> !setting.isBlank())
                          .map(setting -> "-c " + setting.strip())
                          .collect(Collectors.joining(" "))
                      : value);
            });
    return url.substring(0, query) + query(jdbc);
  }

  /** A URL's raw query as its parameters, each name and value decoded once, in their order. */
  private static Map<String, String> params(String rawQuery) {
    Map<String, String> params = new LinkedHashMap<>();
    for (String pair : rawQuery.split("&")) {
      if (pair.isEmpty()) {
        continue;
      }
      String[] kv = pair.split("=", 2);
      params.put(decode(kv[0]), kv.length > 1 ? decode(kv[1]) : "");
    }
    return params;
  }

  /**
   * libpq's {@code options} ({@code -c search_path=app -c statement_timeout=5s}) as
   * r2dbc-postgresql reads it ({@code search_path=app;statement_timeout=5s}): it would send the
   * text before each '=' as a parameter's name, which PostgreSQL refuses when the connection opens.
   */
  private static String r2dbcOptions(String libpq) {
    java.util.regex.Matcher option = OPTION.matcher(libpq);
    List<String> settings = new ArrayList<>();
    int end = 0;
    while (option.lookingAt()) {
      settings.add(option.group(1) + "=" + option.group(2));
      end = option.end();
      option.region(end, libpq.length());
    }
    if (end != libpq.length() || settings.isEmpty()) {
      throw new IllegalArgumentException(
          "DATABASE_URL's options must be settings of the form -c name=value (values without"
              + " spaces), not: "
              + libpq);
    }
    return String.join(";", settings);
  }

  private static String query(Map<String, String> params) {
    if (params.isEmpty()) {
      return "";
    }
    return params.entrySet().stream()
        .map(e -> encode(e.getKey()) + "=" + encode(e.getValue()))
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
