package com.dedw3n.platform.web;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.springframework.core.io.buffer.DataBufferUtils;
import org.springframework.http.server.reactive.HttpHandler;
import org.springframework.http.server.reactive.ReactorHttpHandlerAdapter;
import org.springframework.web.server.adapter.WebHttpHandlerBuilder;
import reactor.core.publisher.Mono;
import reactor.netty.DisposableServer;
import reactor.netty.http.server.HttpServer;

/**
 * The two limits on reading a request, on a Reactor Netty server that {@link RequestReadTimeout}
 * configures as it configures the application's (handlers that read the whole body, as the GraphQL
 * endpoint does), over a raw socket that sends the bytes as a slow client would. GraphQlHttpTests
 * checks the gap limit on the application itself; the total limit (30 s there) is checked here.
 */
class RequestReadTimeoutTests {

  /** A gap limit of 2 s and a total of 3 s, for what must outlive both. */
  private static final WebSettings SETTINGS =
      new WebSettings(
          List.of(), List.of(), Duration.ZERO, Duration.ofSeconds(2), Duration.ofSeconds(3));

  private DisposableServer server;

  @AfterEach
  void stop() {
    if (server != null) {
      server.disposeNow();
    }
  }

  private void start(Duration answerAfter) {
    // a plain Reactor Netty handler, reading the whole body
    server =
        new RequestReadTimeout(SETTINGS)
            .apply(HttpServer.create().host("127.0.0.1").port(0))
            .handle(
                (request, response) ->
                    response.sendString(
                        request
                            .receive()
                            .aggregate()
                            .asString()
                            .delayUntil(body -> Mono.delay(answerAfter))
                            .map(body -> "read " + body.length())))
            .bindNow();
  }

  /**
   * A body trickling in a byte every 500 ms, well under the gap limit (10 s here, so that only the
   * total can close it), has its connection closed at the total limit; before it, the gap limit
   * alone let it hold the connection for as long as its body lasted. The error reaches WebFlux's
   * error handlers as the client's doing ({@link StalledRequests}), not as a 500 with an ERROR line
   * from Boot's handler behind it, as it did before StalledRequests knew Reactor Netty's timeout.
   */
  @Test
  void aBodyThatTricklesInIsCutAtTheTotalLimitAsTheClientsDoing() throws Exception {
    var settings =
        new WebSettings(
            List.of(), List.of(), Duration.ZERO, Duration.ofSeconds(10), Duration.ofSeconds(3));
    List<Throwable> unhandled = new CopyOnWriteArrayList<>();
    HttpHandler webFlux =
        WebHttpHandlerBuilder.webHandler(
                exchange ->
                    DataBufferUtils.join(exchange.getRequest().getBody())
                        .flatMap(
                            body -> {
                              int length = body.readableByteCount();
                              DataBufferUtils.release(body);
                              return exchange
                                  .getResponse()
                                  .writeWith(
                                      Mono.just(
                                          exchange
                                              .getResponse()
                                              .bufferFactory()
                                              .wrap(("read " + length).getBytes())));
                            }))
            .exceptionHandler(new StalledRequests())
            // what Boot's error handler, next in line, would answer 500 and log at ERROR
            .exceptionHandler(
                (exchange, error) -> {
                  unhandled.add(error);
                  return Mono.error(error);
                })
            .build();
    server =
        new RequestReadTimeout(settings)
            .apply(HttpServer.create().host("127.0.0.1").port(0))
            .handle(new ReactorHttpHandlerAdapter(webFlux))
            .bindNow();
    try (Socket socket = new Socket("127.0.0.1", server.port())) {
      socket.setSoTimeout(500);
      OutputStream out = socket.getOutputStream();
      InputStream in = socket.getInputStream();
      out.write(head(1_000));
      long started = System.nanoTime();
      boolean closed = false;
      // 20 s of trickle at most: the body would need 500 s
      while (!closed && elapsed(started).compareTo(Duration.ofSeconds(20)) < 0) {
        try {
          out.write('x');
          out.flush();
        } catch (java.io.IOException reset) {
          closed = true; // the server closed first and the kernel said so
          break;
        }
        closed = closedWithin(in, Duration.ofMillis(500));
      }
      Duration lasted = elapsed(started);
      assertThat(closed).as("connection closed").isTrue();
      assertThat(lasted).isGreaterThan(Duration.ofMillis(2_500)).isLessThan(Duration.ofSeconds(8));
    }
    Thread.sleep(200); // the error handlers run on the server's loop
    assertThat(unhandled).isEmpty();
  }

  /**
   * A body that arrives within both limits, slowly, is answered; and the total limit is on reading
   * the request only: an answer that takes longer than it (a slow query, an event stream) is not
   * cut.
   */
  @Test
  void aRequestReadInTimeIsAnsweredHoweverLongTheAnswerTakes() throws Exception {
    start(Duration.ofSeconds(4));
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

  /** A WebSocket (the chat's subscriptions) outlives both limits: its request is read at once. */
  @Test
  void aWebSocketOutlivesTheLimits() {
    server =
        new RequestReadTimeout(SETTINGS)
            .apply(HttpServer.create().host("127.0.0.1").port(0))
            .handle(
                (request, response) ->
                    response.sendWebsocket(
                        (in, out) ->
                            out.sendString(
                                in.receive()
                                    .asString()
                                    .delayElements(Duration.ofSeconds(4))
                                    .map(text -> "late " + text))))
            .bindNow();
    String answer =
        reactor.netty.http.client.HttpClient.create()
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

  /** True once the server has closed (end of stream or reset), false after {@code wait}. */
  private static boolean closedWithin(InputStream in, Duration wait) throws Exception {
    long until = System.nanoTime() + wait.toNanos();
    while (System.nanoTime() < until) {
      try {
        if (in.read() < 0) {
          return true;
        }
      } catch (java.net.SocketTimeoutException quiet) {
        return false;
      } catch (java.net.SocketException reset) {
        return true;
      }
    }
    return false;
  }

  private static String readAll(InputStream in) throws Exception {
    ByteArrayOutputStream all = new ByteArrayOutputStream();
    in.transferTo(all);
    return all.toString(StandardCharsets.US_ASCII);
  }

  private static Duration elapsed(long started) {
    return Duration.ofNanos(System.nanoTime() - started);
  }
}
