package com.dedw3n;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import org.netcrusher.core.reactor.NioReactor;
import org.netcrusher.tcp.TcpCrusher;
import org.netcrusher.tcp.TcpCrusherBuilder;
import org.springframework.util.StringUtils;
import redis.embedded.RedisServer;

/**
 * A real Redis (the one at REDIS_URL, else an embedded one) reached through a TCP proxy the test
 * controls (NetCrusher): {@link #proxy()}'s close/open drop and restore every connection, its
 * freeze/unfreeze leave connections open with nothing answering, as a paused Redis does.
 */
public final class RedisBehindProxy implements AutoCloseable {

  private final RedisServer redis;
  private final NioReactor reactor;
  private final TcpCrusher proxy;

  private RedisBehindProxy(RedisServer redis, NioReactor reactor, TcpCrusher proxy) {
    this.redis = redis;
    this.reactor = reactor;
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
    NioReactor reactor = new NioReactor();
    TcpCrusher proxy =
        TcpCrusherBuilder.builder()
            .withReactor(reactor)
            .withBindAddress("127.0.0.1", freePort())
            .withConnectAddress(target.getHost(), target.getPort())
            .buildAndOpen();
    return new RedisBehindProxy(redis, reactor, proxy);
  }

  /** The URL instances use: the proxy's. */
  public String url() {
    return "redis://127.0.0.1:" + proxy.getBindAddress().getPort();
  }

  public TcpCrusher proxy() {
    return proxy;
  }

  @Override
  public void close() throws IOException {
    proxy.close();
    reactor.close();
    if (redis != null) {
      redis.stop();
    }
  }

  public static int freePort() throws IOException {
    try (ServerSocket socket = new ServerSocket(0)) {
      return socket.getLocalPort();
    }
  }
}
