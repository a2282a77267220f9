package com.dedw3n.platform.db;

import io.r2dbc.pool.ConnectionPool;
import io.r2dbc.pool.ConnectionPoolConfiguration;
import io.r2dbc.proxy.ProxyConnectionFactory;
import io.r2dbc.spi.ConnectionFactories;
import io.r2dbc.spi.ConnectionFactoryOptions;
import java.time.Duration;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.util.StringUtils;

/**
 * The one connection pool of the process, created once and disposed on shutdown. Its connections
 * come from the driver through a statement-counting proxy, so every statement any feature sends is
 * counted; the pool itself stays the one connection factory bean, which transactions use as their
 * key (a proxy in front of the pool would not be equal to itself as a key).
 */
@Configuration(proxyBeanMethods = false)
class DatabaseConfiguration {

  @Bean(destroyMethod = "dispose")
  ConnectionPool connectionFactory(DatabaseSettings settings, StatementCounter counter) {
    if (!StringUtils.hasText(settings.url())) {
      throw new IllegalStateException(
          "No database configured: set DATABASE_URL or spring.r2dbc.url");
    }
    ConnectionFactoryOptions.Builder options =
        ConnectionFactoryOptions.parse(settings.url()).mutate();
    if (StringUtils.hasText(settings.username())) {
      options.option(ConnectionFactoryOptions.USER, settings.username());
    }
    if (StringUtils.hasText(settings.password())) {
      options.option(ConnectionFactoryOptions.PASSWORD, settings.password());
    }
    DatabaseSettings.Pool pool = settings.pool();
    ConnectionPoolConfiguration.Builder config =
        ConnectionPoolConfiguration.builder(
                ProxyConnectionFactory.builder(ConnectionFactories.get(options.build()))
                    .listener(counter)
                    .build())
            .name("dedw3n")
            .initialSize(pool.minIdle())
            .minIdle(pool.minIdle())
            .maxSize(pool.maxSize())
            .maxIdleTime(pool.maxIdleTime())
            .maxAcquireTime(pool.maxAcquireTime())
            .maxCreateConnectionTime(pool.maxCreateConnectionTime())
            .maxLifeTime(pool.maxLifeTime())
            // idle connections are evicted by a background sweep, not only when next acquired
            .backgroundEvictionInterval(Duration.ofSeconds(10));
    if (StringUtils.hasText(pool.validationQuery())) {
      config.validationQuery(pool.validationQuery());
    }
    return new ConnectionPool(config.build());
  }
}
