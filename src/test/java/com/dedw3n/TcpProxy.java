package com.dedw3n;

import java.io.IOException;
import java.net.ServerSocket;
import org.netcrusher.core.reactor.NioReactor;
import org.netcrusher.tcp.TcpCrusher;
import org.netcrusher.tcp.TcpCrusherBuilder;

/**
 * A TCP proxy on loopback in front of a real server (Redis, PostgreSQL), which a test controls
 * (NetCrusher): {@link #crusher()}'s close/open drop and restore every connection, as a server that
 * goes away does; freeze/unfreeze keep connections open with nothing getting through, as a network
 * that drops packets does.
 */
public final class TcpProxy implements AutoCloseable {

  private final NioReactor reactor;
  private final TcpCrusher crusher;

  private TcpProxy(NioReactor reactor, TcpCrusher crusher) {
    this.reactor = reactor;
    this.crusher = crusher;
  }

  /** A proxy on a free port of 127.0.0.1 to {@code host:port}. */
  public static TcpProxy to(String host, int port) throws IOException {
    NioReactor reactor = new NioReactor();
    TcpCrusher crusher =
        TcpCrusherBuilder.builder()
            .withReactor(reactor)
            .withBindAddress("127.0.0.1", freePort())
            .withConnectAddress(host, port)
            .buildAndOpen();
    return new TcpProxy(reactor, crusher);
  }

  /** The port clients connect to. */
  public int port() {
    return crusher.getBindAddress().getPort();
  }

  public TcpCrusher crusher() {
    return crusher;
  }

  @Override
  public void close() throws IOException {
    crusher.close();
    reactor.close();
  }

  public static int freePort() throws IOException {
    try (ServerSocket socket = new ServerSocket(0)) {
      return socket.getLocalPort();
    }
  }
}
