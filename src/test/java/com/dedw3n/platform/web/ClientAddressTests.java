package com.dedw3n.platform.web;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.springframework.http.HttpHeaders;

class ClientAddressTests {

  private final ClientAddress addresses =
      new ClientAddress(
          new WebSettings(
              List.of(),
              List.of("127.0.0.0/8", "10.0.0.0/8", "::1/128"),
              Duration.ZERO,
              Duration.ofSeconds(10)));

  private static HttpHeaders forwarded(String value) {
    HttpHeaders headers = new HttpHeaders();
    if (value != null) {
      headers.add("X-Forwarded-For", value);
    }
    return headers;
  }

  @Test
  void aDirectClientIsItsPeer() {
    assertThat(addresses.of(new InetSocketAddress("203.0.113.7", 5000), forwarded(null)))
        .isEqualTo("203.0.113.7");
  }

  @Test
  void anUntrustedPeerCannotChooseItsAddress() {
    assertThat(addresses.of(new InetSocketAddress("203.0.113.7", 5000), forwarded("1.2.3.4")))
        .isEqualTo("203.0.113.7");
  }

  @Test
  void behindTrustedProxiesTheClientIsTheRightMostUntrustedHop() {
    var proxy = new InetSocketAddress("10.0.0.5", 5000);
    assertThat(addresses.of(proxy, forwarded("198.51.100.9"))).isEqualTo("198.51.100.9");
    // a client that sends its own X-Forwarded-For only prepends to it
    assertThat(addresses.of(proxy, forwarded("6.6.6.6, 198.51.100.9, 10.0.0.7")))
        .isEqualTo("198.51.100.9");
    assertThat(addresses.of(proxy, forwarded(null))).isEqualTo("10.0.0.5");
    assertThat(addresses.of(new InetSocketAddress("::1", 5000), forwarded("2001:db8::1")))
        .isEqualTo("2001:db8::1");
  }

  /**
   * Hops as proxies write them: with the client's port (Azure's Application Gateway), an IPv6
   * address in brackets with its port, and an IPv4 proxy's address mapped into IPv6 by a dual-stack
   * one. Each is the address it names, so the walk goes on past a trusted one to the client.
   */
  @Test
  void hopsWithPortsOrMappedAddressesAreTheirAddresses() {
    var proxy = new InetSocketAddress("10.0.0.5", 5000);
    assertThat(addresses.of(proxy, forwarded("198.51.100.9:5555"))).isEqualTo("198.51.100.9");
    assertThat(addresses.of(proxy, forwarded("[2001:db8::1]:443"))).isEqualTo("2001:db8::1");
    assertThat(addresses.of(proxy, forwarded("198.51.100.9, ::ffff:10.0.0.7")))
        .isEqualTo("198.51.100.9");
    assertThat(addresses.of(proxy, forwarded("::ffff:198.51.100.9"))).isEqualTo("198.51.100.9");
    // an IPv6 address without brackets keeps its colons
    assertThat(addresses.of(proxy, forwarded("2001:db8::7"))).isEqualTo("2001:db8::7");
    // a trusted range written mapped is the IPv4 range it maps
    var mapped =
        new ClientAddress(
            new WebSettings(
                List.of(), List.of("::ffff:10.0.0.0/104"), Duration.ZERO, Duration.ofSeconds(10)));
    assertThat(mapped.of(proxy, forwarded("198.51.100.9, ::ffff:10.0.0.7")))
        .isEqualTo("198.51.100.9");
  }

  @Test
  void aHopThatIsNotAnAddressEndsTheWalk() {
    var proxy = new InetSocketAddress("127.0.0.1", 5000);
    assertThat(addresses.of(proxy, forwarded("evil.example, 198.51.100.9")))
        .isEqualTo("198.51.100.9");
    assertThat(addresses.of(proxy, forwarded("not-an-ip"))).isEqualTo("127.0.0.1");
  }

  @Test
  void rangesMatchByPrefix() {
    var range = ClientAddress.Cidr.parse("172.16.0.0/12");
    assertThat(range.contains(new byte[] {(byte) 172, 31, (byte) 255, 1})).isTrue();
    assertThat(range.contains(new byte[] {(byte) 172, 32, 0, 1})).isFalse();
  }
}
