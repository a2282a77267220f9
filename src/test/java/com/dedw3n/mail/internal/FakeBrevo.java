package com.dedw3n.mail.internal;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.netty.handler.codec.http.HttpResponseStatus;
import java.time.Duration;
import java.util.List;
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
 * header, and delivers a mail once per {@code headers.idempotencyKey} as Brevo does (a key it has
 * seen answers 400 {@code duplicate_parameter} and sends nothing; Brevo forgets keys after 30
 * minutes, which no test here outlasts). A test makes it fail (a status, or 429 with
 * x-sib-ratelimit-reset) or answer slowly; a slow answer still delivers, as a real server whose
 * answer was lost would. It counts every request that reached its idempotency check per key,
 * replays included, and keeps the mails it delivered, so a test sees what the sender sent, not only
 * what Brevo let through.
 */
public final class FakeBrevo implements AutoCloseable {

  public static final String API_KEY = "xkeysib-test-key";

  /** A mail delivered to its recipient. */
  public record Mail(String messageId, String to, String subject, String body) {}

  // its own event loop: the global one is disposed whenever a Spring context of the JVM closes
  private final LoopResources loop = LoopResources.create("fake-brevo", 1, true);
  private final DisposableServer server;
  private final Map<String, Mail> delivered = new ConcurrentHashMap<>();
  private final Map<String, AtomicInteger> received = new ConcurrentHashMap<>();
  private final AtomicInteger requests = new AtomicInteger();
  private volatile int failStatus;
  private volatile String retryAfter;
  private volatile Duration delay = Duration.ZERO;

  public FakeBrevo() {
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
                                  // Brevo's header for the wait (developers.brevo.com,
                                  // rate limit headers), not Retry-After
                                  response.header("x-sib-ratelimit-reset", retryAfter);
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
                                  received
                                      .computeIfAbsent(key, k -> new AtomicInteger())
                                      .incrementAndGet();
                                  Mail mail =
                                      new Mail(
                                          "<" + UUID.randomUUID() + "@smtp-relay.mailin.fr>",
                                          json.getAsJsonArray("to")
                                              .get(0)
                                              .getAsJsonObject()
                                              .get("email")
                                              .getAsString(),
                                          json.get("subject").getAsString(),
                                          json.get("textContent").getAsString());
                                  if (delivered.putIfAbsent(key, mail) == null) {
                                    status = 201;
                                    answer = "{\"messageId\":\"" + mail.messageId() + "\"}";
                                  } else {
                                    status = 400;
                                    answer =
                                        "{\"code\":\"duplicate_parameter\",\"message\":"
                                            + "\"idempotencyKey already used\"}";
                                  }
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

  public String baseUrl() {
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

  /**
   * How many requests with this idempotency key reached Brevo's idempotency check: the one that
   * delivered the mail, and the replays it answered {@code duplicate_parameter}.
   */
  int received(UUID idempotencyKey) {
    AtomicInteger n = received.get(idempotencyKey.toString());
    return n == null ? 0 : n.get();
  }

  /** The mails delivered to the address, one per idempotency key Brevo accepted. */
  public List<Mail> mailsTo(String recipient) {
    return delivered.values().stream().filter(mail -> mail.to().equals(recipient)).toList();
  }

  @Override
  public void close() {
    server.disposeNow();
    // stopped before close() returns, as FakeStripe's: a background stop's late failure would be
    // logged into whatever test runs next
    loop.disposeLater(Duration.ZERO, Duration.ofSeconds(10)).block();
  }
}
