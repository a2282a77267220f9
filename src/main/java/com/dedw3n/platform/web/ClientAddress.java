package com.dedw3n.platform.web;

import io.netty.util.NetUtil;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import org.jspecify.annotations.Nullable;
import org.springframework.http.HttpHeaders;
import org.springframework.http.server.reactive.ServerHttpRequest;
import org.springframework.stereotype.Component;
import org.springframework.web.server.ServerWebExchange;
import reactor.core.publisher.Mono;

/**
 * The address of the client behind a request, for the budgets of anonymous traffic and of sign-in
 * attempts. Behind a load balancer or the gateway every request comes from the proxy, so when the
 * direct peer is a trusted proxy ({@code dedw3n.web.trusted-proxies}, by default loopback and the
 * private networks, like Tomcat's RemoteIpValve), the client is the right-most address of {@code
 * X-Forwarded-For} that is not itself a trusted proxy. A header from any other peer is ignored: a
 * client cannot pick its own address to escape its budget.
 */
@Component
public class ClientAddress {

  private final List<Cidr> trusted = new ArrayList<>();

  ClientAddress(WebSettings settings) {
    for (String range : settings.trustedProxies()) {
      if (!range.isBlank()) {
        trusted.add(Cidr.parse(range.strip()));
      }
    }
  }

  /**
   * The client address of the request whose Reactor context this runs in (data fetchers see the
   * HTTP exchange, or a WebSocket's upgrade request, through it); "unknown" outside a request.
   */
  public Mono<String> current() {
    return Mono.deferContextual(
        context ->
            Mono.just(
                context
                    .<ServerWebExchange>getOrEmpty(ServerWebExchange.class)
                    .map(exchange -> of(exchange.getRequest()))
                    .orElse("unknown")));
  }

  /** The client address of an HTTP request (or of a WebSocket's upgrade request). */
  public String of(ServerHttpRequest request) {
    return of(request.getRemoteAddress(), request.getHeaders());
  }

  /** The client address from the direct peer and the request headers. */
  public String of(@Nullable InetSocketAddress peer, HttpHeaders headers) {
    byte[] peerBytes =
        peer == null || peer.getAddress() == null ? null : peer.getAddress().getAddress();
    String peerText =
        peer == null
            ? "unknown"
            : peer.getAddress() == null ? peer.getHostString() : peer.getAddress().getHostAddress();
    if (peerBytes == null || !isTrusted(peerBytes)) {
      return peerText;
    }
    List<String> forwarded = headers.getValuesAsList("X-Forwarded-For");
    String client = peerText;
    for (int i = forwarded.size() - 1; i >= 0; i--) {
      String hop = withoutPort(forwarded.get(i).strip());
      byte[] bytes = NetUtil.createByteArrayFromIpAddressString(hop);
      if (bytes == null) {
        break; // not an address: nothing to its left can be trusted either
      }
      bytes = unmapped(bytes);
      client = bytes.length == 4 ? NetUtil.bytesToIpAddress(bytes) : hop;
      if (!isTrusted(bytes)) {
        break;
      }
    }
    return client;
  }

  /**
   * A hop as some proxies write it, with the client's port ({@code 203.0.113.7:51234}, Azure's
   * Application Gateway) or an IPv6 address in brackets ({@code [2001:db8::1]:443}), as its address
   * alone: read whole, it was no address, and the walk stopped at the proxy, whose address all its
   * clients then shared as one budget.
   */
  static String withoutPort(String hop) {
    if (hop.startsWith("[")) {
      int end = hop.indexOf(']');
      return end < 0 ? hop : hop.substring(1, end);
    }
    int colon = hop.indexOf(':');
    return colon > 0 && colon == hop.lastIndexOf(':') ? hop.substring(0, colon) : hop;
  }

  /**
   * An IPv4-mapped IPv6 address ({@code ::ffff:10.0.0.7}, written by a dual-stack proxy) as the
   * IPv4 address it is, so that the IPv4 ranges of trusted proxies match it.
   */
  private static byte[] unmapped(byte[] address) {
    if (address.length != 16) {
      return address;
    }
    for (int i = 0; i < 10; i++) {
      if (address[i] != 0) {
        return address;
      }
    }
    return address[10] == (byte) 0xff && address[11] == (byte) 0xff
        ? java.util.Arrays.copyOfRange(address, 12, 16)
        : address;
  }

  /**
   * Whether the client's connection was HTTPS: this server's own TLS, or a trusted proxy's {@code
   * X-Forwarded-Proto} (a client's own header is not believed).
   */
  public boolean overHttps(ServerHttpRequest request) {
    if (request.getSslInfo() != null) {
      return true;
    }
    InetSocketAddress peer = request.getRemoteAddress();
    if (peer == null || peer.getAddress() == null || !isTrusted(peer.getAddress().getAddress())) {
      return false;
    }
    List<String> protos = request.getHeaders().getValuesAsList("X-Forwarded-Proto");
    return !protos.isEmpty() && "https".equalsIgnoreCase(protos.get(0).strip());
  }

  private boolean isTrusted(byte[] address) {
    address = unmapped(address);
    for (Cidr range : trusted) {
      if (range.contains(address)) {
        return true;
      }
    }
    return false;
  }

  /** An address range such as 10.0.0.0/8 or ::1/128. */
  record Cidr(byte[] network, int prefix) {

    static Cidr parse(String text) {
      int slash = text.indexOf('/');
      String address = slash < 0 ? text : text.substring(0, slash);
      byte[] bytes = NetUtil.createByteArrayFromIpAddressString(address);
      if (bytes == null) {
        throw new IllegalArgumentException("Not an address range: " + text);
      }
      int prefix = slash < 0 ? bytes.length * 8 : Integer.parseInt(text.substring(slash + 1));
      byte[] unmapped = unmapped(bytes);
      if (unmapped.length == 4 && prefix >= 96) {
        // ::ffff:10.0.0.0/104 is 10.0.0.0/8: addresses are compared unmapped
        return new Cidr(unmapped, prefix - 96);
      }
      return new Cidr(bytes, prefix);
    }

    boolean contains(byte[] address) {
      if (address.length != network.length) {
        return false;
      }
      int bits = prefix;
      for (int i = 0; i < address.length && bits > 0; i++, bits -= 8) {
        int mask = bits >= 8 ? 0xff : (0xff << (8 - bits)) & 0xff;
        if ((address[i] & mask) != (network[i] & mask)) {
          return false;
        }
      }
      return true;
    }
  }
}
