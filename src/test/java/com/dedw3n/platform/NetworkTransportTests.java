package com.dedw3n.platform;

import static org.assertj.core.api.Assertions.assertThat;

import com.dedw3n.ApiTests;
import io.netty.channel.uring.IoUring;
import java.util.Locale;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;

/**
 * The server's and the database driver's sockets run on io_uring where the kernel allows it
 * (Reactor Netty's first choice when Netty's io_uring transport is on the class path), else on
 * epoll; and the startup line says which.
 */
class NetworkTransportTests extends ApiTests {

  @Test
  @EnabledOnOs(value = OS.LINUX, architectures = "amd64") // the one native file shipped, as epoll's
  void theIoUringLibraryLoadsWhereverTheKernelMightAllowIt() {
    // a kernel or a container's seccomp profile may refuse io_uring, and the server then runs on
    // epoll; but a missing or unloadable native library is ours to fix (a dependency upgrade
    // that lost it would make every deployment fall back without a word)
    Throwable cause = IoUring.unavailabilityCause();
    assertThat(cause == null ? "" : String.valueOf(cause) + " " + cause.getCause())
        .doesNotContain("failed to load the required native library")
        .doesNotContain("UnsatisfiedLinkError")
        .doesNotContain("ClassNotFoundException");
  }

  @Test
  void requestsAndStatementsRunOnTheTransportTheStartupLineNames() {
    String transport = StartupBanner.transport().split(" ")[0]; // io_uring, epoll or NIO
    if (IoUring.isAvailable()) {
      assertThat(transport).as("Reactor Netty's first choice").isEqualTo("io_uring");
    }

    // a request that reads PostgreSQL: the HTTP server's event loops and the driver's
    anonymous()
        .documentName("productFeed")
        .variable("category", "books")
        .variable("first", 1)
        .execute()
        .path("products")
        .hasValue();

    Set<String> loops =
        Thread.getAllStackTraces().keySet().stream()
            .map(Thread::getName)
            .filter(name -> name.startsWith("reactor-"))
            .map(name -> name.replaceAll("-\\d+$", ""))
            .collect(Collectors.toSet());
    assertThat(loops)
        .as("Reactor Netty's event loops: reactor-http-* serve HTTP, reactor-tcp-* the driver")
        .contains(
            "reactor-http-" + transport.toLowerCase(Locale.ROOT),
            "reactor-tcp-" + transport.toLowerCase(Locale.ROOT));
  }
}
