package com.dedw3n.platform.db;

import java.time.Duration;
import org.springframework.boot.context.properties.ConfigurationProperties;

/**
 * Where the database is and how the one connection pool of the process behaves. Bound to the
 * standard {@code spring.r2dbc.*} names; the defaults (application.yml) are the production guide's:
 * 10 connections, 2 kept warm, idle ones closed after 30 s, 5 s to acquire one, overridden by
 * {@code DB_POOL_MAX}, {@code DB_POOL_MIN} and {@code DB_IDLE_TIMEOUT} (milliseconds).
 */
@ConfigurationProperties("spring.r2dbc")
record DatabaseSettings(String url, String username, String password, Pool pool) {

  record Pool(
      int maxSize,
      int minIdle,
      Duration maxIdleTime,
      Duration maxAcquireTime,
      Duration maxCreateConnectionTime,
      Duration maxLifeTime,
      String validationQuery) {}
}
