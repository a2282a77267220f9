package com.dedw3n.platform.web;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.function.BiFunction;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.reactivestreams.Publisher;
import reactor.core.publisher.Mono;
import reactor.netty.DisposableServer;
import reactor.netty.http.client.HttpClient;
import reactor.netty.http.server.HttpServer;
import reactor.netty.http.server.HttpServerRequest;
import reactor.netty.http.server.HttpServerResponse;

/**
 * The gap limit on reading a request runs while its body arrives only, on a Reactor Netty server
 * that {@link RequestReadTimeout} configures as it configures the application's: what comes after
 * the request is not cut. GraphQlHttpTests checks that the limit closes a body that stops arriving
 * on the application itself.
 */
class RequestReadTimeoutTests {

  /** A gap limit of 2 s. */
  private static final WebSettings SETTINGS =
      new WebSettings(List.of(), List.of(), Duration.ZERO, Duration.ofSeconds(2));

  private DisposableServer server;

  @AfterEach
  void stop() {
    if (server != null) {
      server.disposeNow();
    }
  }

  /** A server configured as the application's, answering with {@code handler}. */
  private void start(
      BiFunction<? super HttpServerRequest, ? super HttpServerResponse, ? extends Publisher<Void>>
          handler) {
    server =
        new RequestReadTimeout(SETTINGS)
            .apply(HttpServer.create().host("127.0.0.1").port(0))
            .handle(handler)
            .bindNow();
  }

  /**
   * A body that arrives slowly but within the limit is answered, and an answer that keeps the
   * connection quiet for longer than the limit (a slow query, an event stream) is not cut.
   */
  @Test
  void aRequestReadInTimeIsAnsweredHoweverLongTheAnswerTakes() throws Exception {
    // a plain Reactor Netty handler, reading the whole body, answering 4 s later
    start(
        (request, response) ->
            response.sendString(
                request
                    .receive()
                    .aggregate()
                    .asString()
                    .delayUntil(body -> Mono.delay(Duration.ofSeconds(4)))
                    .map(body -> "read " + body.length())));
    try (Socket socket = new Socket("127.0.0.1", server.port())) {
      socket.setSoTimeout(15_000);
      OutputStream out = socket.getOutputStream();
      out.write(head(5));
      for (int i = 0; i < 5; i++) {
        Thread.sleep(300);
        out.write('x');
        out.flush();
      }
      String answer = readAll(socket.getInputStream());
      assertThat(answer).startsWith("HTTP/1.1 200").endsWith("read 5");
    }
  }

  /** A WebSocket (the chat's subscriptions) quiet for longer than the limit stays open. */
  @Test
  void aWebSocketOutlivesTheLimit() {
    start(
        (request, response) ->
            response.sendWebsocket(
                (in, out) ->
                    out.sendString(
                        in.receive()
                            .asString()
                            .delayElements(Duration.ofSeconds(4))
                            .map(text -> "late " + text))));
    String answer =
        HttpClient.create()
            .websocket()
            .uri("ws://127.0.0.1:" + server.port() + "/")
            .handle(
                (in, out) ->
                    out.sendString(Mono.just("hello"))
                        .then()
                        .thenMany(in.receive().asString().take(1)))
            .blockLast(Duration.ofSeconds(15));
    assertThat(answer).isEqualTo("late hello");
  }

  private static byte[] head(int contentLength) {
    return ("POST / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\nContent-Length: "
            + contentLength
            + "\r\n\r\n")
        .getBytes(StandardCharsets.US_ASCII);
  }

  private static String readAll(InputStream in) throws Exception {
    ByteArrayOutputStream all = new ByteArrayOutputStream();
    in.transferTo(all);
    return all.toString(StandardCharsets.US_ASCII);
  }
}
