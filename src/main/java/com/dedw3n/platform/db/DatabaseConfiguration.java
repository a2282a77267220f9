package com.dedw3n.platform.db;

import io.r2dbc.pool.ConnectionPool;
import io.r2dbc.pool.ConnectionPoolConfiguration;
import io.r2dbc.postgresql.PostgresqlConnectionFactoryProvider;
import io.r2dbc.proxy.ProxyConnectionFactory;
import io.r2dbc.proxy.callback.ProxyConfig;
import io.r2dbc.proxy.callback.ProxyFactory;
import io.r2dbc.proxy.callback.QueriesExecutionContext;
import io.r2dbc.proxy.core.ConnectionInfo;
import io.r2dbc.proxy.core.QueryExecutionInfo;
import io.r2dbc.proxy.core.StatementInfo;
import io.r2dbc.spi.Batch;
import io.r2dbc.spi.Connection;
import io.r2dbc.spi.ConnectionFactories;
import io.r2dbc.spi.ConnectionFactory;
import io.r2dbc.spi.ConnectionFactoryOptions;
import io.r2dbc.spi.Readable;
import io.r2dbc.spi.Result;
import io.r2dbc.spi.Row;
import io.r2dbc.spi.RowMetadata;
import io.r2dbc.spi.Statement;
import java.time.Duration;
import java.util.function.BiFunction;
import java.util.function.Function;
import java.util.function.Predicate;
import org.reactivestreams.Publisher;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.util.StringUtils;
import reactor.core.publisher.Flux;
import reactor.util.context.Context;

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
    if (!options.build().hasOption(PostgresqlConnectionFactoryProvider.FORCE_BINARY)) {
      // Results in PostgreSQL's binary format: a timestamptz is then 8 bytes to read instead of
      // text for DateTimeFormatter to parse, which alone took 8 % of the CPU of the W1 feed.
      options.option(PostgresqlConnectionFactoryProvider.FORCE_BINARY, true);
    }
    DatabaseSettings.Pool pool = settings.pool();
    ConnectionPoolConfiguration.Builder config =
        ConnectionPoolConfiguration.builder(
                ProxyConnectionFactory.builder(ConnectionFactories.get(options.build()))
                    .proxyConfig(countingOnly(counter))
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

  /**
   * The proxy's configuration for counting statements only. By default r2dbc-proxy also wraps every
   * row in a JDK proxy and calls {@code Row.get} through reflection (for listeners that watch each
   * column read); we listen to statements only, so rows are handed out as the driver made them.
   */
  private static ProxyConfig countingOnly(StatementCounter counter) {
    ProxyConfig config = ProxyConfig.builder().listener(counter).build();
    ProxyFactory standard = config.getProxyFactory();
    config.setProxyFactoryFactory(ignored -> new RowsAsTheyAre(standard));
    return config;
  }

  private record RowsAsTheyAre(ProxyFactory standard) implements ProxyFactory {

    @Override
    public ConnectionFactory wrapConnectionFactory(ConnectionFactory connectionFactory) {
      return standard.wrapConnectionFactory(connectionFactory);
    }

    @Override
    public Connection wrapConnection(Connection connection, ConnectionInfo connectionInfo) {
      return standard.wrapConnection(connection, connectionInfo);
    }

    @Override
    public Batch wrapBatch(Batch batch, ConnectionInfo connectionInfo) {
      return standard.wrapBatch(batch, connectionInfo);
    }

    @Override
    public Statement wrapStatement(
        Statement statement, StatementInfo statementInfo, ConnectionInfo connectionInfo) {
      return new ContextFreeStatement(
          standard.wrapStatement(statement, statementInfo, connectionInfo));
    }

    @Override
    public Result wrapResult(
        Result result, QueryExecutionInfo executionInfo, QueriesExecutionContext context) {
      return new ContextFreeResult(standard.wrapResult(result, executionInfo, context));
    }

    @Override
    public Row wrapRow(Row row, QueryExecutionInfo executionInfo) {
      return row;
    }

    @Override
    public Result.RowSegment wrapRowSegment(
        Result.RowSegment segment, QueryExecutionInfo executionInfo) {
      return segment;
    }
  }

  /**
   * The driver decodes every result message in a Reactor {@code handle} operator, and Reactor
   * restores all thread-locals known to context-propagation (the HTTP observation's scope, Spring
   * Security's holders) from the subscriber's context around each call: measured 8 % of W1's CPU,
   * per row, for row decoding that reads no thread-local. The driver's publishers therefore run
   * with an empty Reactor context. Nothing below the statement needs it: the connection (and with
   * it any transaction) was chosen before the statement was created.
   */
  private static <T> Flux<T> withoutContext(Publisher<T> publisher) {
    return Flux.from(publisher).contextWrite(ignored -> Context.empty());
  }

  private record ContextFreeStatement(Statement delegate) implements Statement {

    @Override
    public Statement add() {
      delegate.add();
      return this;
    }

    @Override
    public Statement bind(int index, Object value) {
      delegate.bind(index, value);
      return this;
    }

    @Override
    public Statement bind(String name, Object value) {
      delegate.bind(name, value);
      return this;
    }

    @Override
    public Statement bindNull(int index, Class<?> type) {
      delegate.bindNull(index, type);
      return this;
    }

    @Override
    public Statement bindNull(String name, Class<?> type) {
      delegate.bindNull(name, type);
      return this;
    }

    @Override
    public Statement returnGeneratedValues(String... columns) {
      delegate.returnGeneratedValues(columns);
      return this;
    }

    @Override
    public Statement fetchSize(int rows) {
      delegate.fetchSize(rows);
      return this;
    }

    @Override
    public Publisher<? extends Result> execute() {
      return withoutContext(delegate.execute());
    }
  }

  private record ContextFreeResult(Result delegate) implements Result {

    @Override
    public Publisher<Long> getRowsUpdated() {
      return withoutContext(delegate.getRowsUpdated());
    }

    @Override
    public <T> Publisher<T> map(BiFunction<Row, RowMetadata, ? extends T> mapping) {
      return withoutContext(delegate.map(mapping));
    }

    @Override
    public <T> Publisher<T> map(Function<? super Readable, ? extends T> mapping) {
      return withoutContext(delegate.map(mapping));
    }

    @Override
    public Result filter(Predicate<Segment> filter) {
      return new ContextFreeResult(delegate.filter(filter));
    }

    @Override
    public <T> Publisher<T> flatMap(Function<Segment, ? extends Publisher<? extends T>> mapping) {
      return withoutContext(delegate.flatMap(mapping));
    }
  }
}
