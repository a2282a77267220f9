package com.dedw3n.mail.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetSocketAddress;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.springframework.http.HttpStatus;
import org.springframework.mock.http.server.reactive.MockServerHttpRequest;
import org.springframework.mock.web.server.MockServerWebExchange;
import org.springframework.web.reactive.function.server.HandlerStrategies;
import org.springframework.web.reactive.function.server.ServerRequest;

/**
 * The development mailbox answers only its own machine: it lists password-reset links. (That it
 * lists the mail to a client on loopback, AccountMailTests and PaymentTests show over HTTP.)
 */
class LocalMailboxTests {

  @Test
  void aClientOnAnotherMachineIsNotShownTheMailbox() {
    // no database: nothing may be read for such a client
    var route = new LocalMailbox().localMailboxRoute(null);
    for (String peer : new String[] {"192.0.2.7", "10.0.0.5", "2001:db8::7"}) {
      var request =
          ServerRequest.create(
              MockServerWebExchange.from(
                  MockServerHttpRequest.get("/dev/mailbox?to=victim@example.com")
                      .remoteAddress(new InetSocketAddress(peer, 40000))),
              HandlerStrategies.withDefaults().messageReaders());
      var response =
          route
              .route(request)
              .flatMap(handler -> handler.handle(request))
              .block(Duration.ofSeconds(5));
      assertThat(response).isNotNull();
      assertThat(response.statusCode()).as(peer).isEqualTo(HttpStatus.NOT_FOUND);
    }
  }
}
