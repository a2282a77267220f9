package com.dedw3n;

import java.io.IOException;
import java.net.URI;
import org.netcrusher.tcp.TcpCrusher;
import org.springframework.util.StringUtils;
import redis.embedded.RedisServer;

/**
 * A real Redis (the one at REDIS_URL, else an embedded one) reached through a {@link TcpProxy} the
 * test controls: {@link #proxy()}'s close/open drop and restore every connection, its
 * freeze/unfreeze leave connections open with nothing answering, as a paused Redis does.
 */
public final class RedisBehindProxy implements AutoCloseable {

  private final RedisServer redis;
  private final TcpProxy proxy;

  private RedisBehindProxy(RedisServer redis, TcpProxy proxy) {
    this.redis = redis;
    this.proxy = proxy;
  }

  public static RedisBehindProxy start() throws IOException {
    String url = System.getenv("REDIS_URL");
    RedisServer redis = null;
    URI target;
    if (StringUtils.hasText(url)) {
      target = URI.create(url);
    } else {
      int port = freePort();
      redis = RedisServer.newRedisServer().port(port).setting("bind 127.0.0.1").build();
      redis.start();
      target = URI.create("redis://127.0.0.1:" + port);
    }
    return new RedisBehindProxy(redis, TcpProxy.to(target.getHost(), target.getPort()));
  }

  /** The URL instances use: the proxy's. */
  public String url() {
    return "redis://127.0.0.1:" + proxy.port();
  }

  public TcpCrusher proxy() {
    return proxy.crusher();
  }

  @Override
  public void close() throws IOException {
    proxy.close();
    if (redis != null) {
      redis.stop();
    }
  }

  public static int freePort() throws IOException {
    return TcpProxy.freePort();
  }
}
