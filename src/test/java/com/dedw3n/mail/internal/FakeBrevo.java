package com.dedw3n.mail.internal;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.netty.handler.codec.http.HttpResponseStatus;
import java.time.Duration;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import reactor.core.publisher.Mono;
import reactor.netty.DisposableServer;
import reactor.netty.http.server.HttpServer;
import reactor.netty.resources.LoopResources;

/**
 * Brevo's {@code POST /v3/smtp/email} on a loopback port, over real HTTP: it checks the api-key
 * header, and delivers a mail once per {@code headers.idempotencyKey} as Brevo does (a repeated key
 * answers the first message id and sends nothing). A test makes it fail (a status, or 429 with
 * Retry-After) or answer slowly; a slow answer still delivers, as a real server whose answer was
 * lost would.
 */
final class FakeBrevo implements AutoCloseable {

  static final String API_KEY = "xkeysib-test-key";

  // its own event loop: the global one is disposed whenever a Spring context of the JVM closes
  private final LoopResources loop = LoopResources.create("fake-brevo", 1, true);
  private final DisposableServer server;
  private final Map<String, String> messageIds = new ConcurrentHashMap<>();
  private final Map<String, AtomicInteger> deliveries = new ConcurrentHashMap<>();
  private final AtomicInteger requests = new AtomicInteger();
  private volatile int failStatus;
  private volatile String retryAfter;
  private volatile Duration delay = Duration.ZERO;

  FakeBrevo() {
    server =
        HttpServer.create()
            .runOn(loop)
            .host("127.0.0.1")
            .port(0)
            .handle(
                (request, response) ->
                    request
                        .receive()
                        .aggregate()
                        .asString()
                        .flatMap(
                            body -> {
                              requests.incrementAndGet();
                              int status;
                              String answer;
                              if (!API_KEY.equals(request.requestHeaders().get("api-key"))) {
                                status = 401;
                                answer =
                                    "{\"code\":\"unauthorized\",\"message\":\"Key not found\"}";
                              } else if (failStatus != 0) {
                                status = failStatus;
                                answer = "{\"code\":\"failure\",\"message\":\"told to fail\"}";
                                if (retryAfter != null) {
                                  response.header("Retry-After", retryAfter);
                                }
                              } else {
                                JsonObject json = JsonParser.parseString(body).getAsJsonObject();
                                String key =
                                    json.getAsJsonObject("headers")
                                        .get("idempotencyKey")
                                        .getAsString();
                                if (!json.has("to")
                                    || !json.has("subject")
                                    || !json.has("sender")) {
                                  status = 400;
                                  answer = "{\"code\":\"missing_parameter\"}";
                                } else {
                                  String id =
                                      messageIds.computeIfAbsent(
                                          key,
                                          k -> {
                                            deliveries
                                                .computeIfAbsent(k, x -> new AtomicInteger())
                                                .incrementAndGet();
                                            return "<"
                                                + UUID.randomUUID()
                                                + "@smtp-relay.mailin.fr>";
                                          });
                                  status = 201;
                                  answer = "{\"messageId\":\"" + id + "\"}";
                                }
                              }
                              return Mono.delay(delay)
                                  .then(
                                      response
                                          .status(HttpResponseStatus.valueOf(status))
                                          .header("Content-Type", "application/json")
                                          .sendString(Mono.just(answer))
                                          .then());
                            }))
            .bindNow();
  }

  String baseUrl() {
    return "http://127.0.0.1:" + server.port() + "/v3";
  }

  void failWith(int status, String retryAfter) {
    this.failStatus = status;
    this.retryAfter = retryAfter;
  }

  void slow(Duration delay) {
    this.delay = delay;
  }

  void healthy() {
    failStatus = 0;
    retryAfter = null;
    delay = Duration.ZERO;
  }

  int requests() {
    return requests.get();
  }

  /** How many times the mail with this idempotency key reached its recipient. */
  int deliveries(UUID idempotencyKey) {
    AtomicInteger n = deliveries.get(idempotencyKey.toString());
    return n == null ? 0 : n.get();
  }

  @Override
  public void close() {
    server.disposeNow();
    loop.dispose();
  }
}
