package com.dedw3n.platform.web;

import static org.assertj.core.api.Assertions.assertThat;

import com.dedw3n.BlockingCalls;
import com.dedw3n.Instances;
import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReferenceArray;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.core.io.FileSystemResource;
import org.springframework.graphql.client.WebSocketGraphQlClient;
import org.springframework.graphql.support.ResourceDocumentSource;
import org.springframework.http.HttpHeaders;
import org.springframework.r2dbc.core.DatabaseClient;
import org.springframework.util.StringUtils;
import org.springframework.web.reactive.socket.client.ReactorNettyWebSocketClient;
import reactor.core.Disposable;
import reactor.core.publisher.Mono;
import redis.embedded.RedisServer;
import tools.jackson.databind.json.JsonMapper;

/**
 * A rolling restart: two instances sharing PostgreSQL and Redis, behind a client that balances like
 * a load balancer, each instance in turn shut down as SIGTERM does (its context closed) and started
 * again on its port, under signed-in reads, order placements and chat messages, with two chat
 * subscribers.
 *
 * <p>The balancer sends only to instances whose readiness it last saw UP (polled every 100 ms), in
 * turn, on kept-alive connections; it leaves a connection after a response with {@code Connection:
 * close}, and a request whose connection was refused or closed before any byte of a response came
 * back is sent again on a new connection, as a gateway does. A request that got any response is
 * never sent again: its answer counts.
 *
 * <p>What users rely on: no request fails, every acknowledged order and message is stored exactly
 * once, and each subscriber, resuming from its last cursor on another instance when its own goes
 * away, receives every message once, in order.
 */
class RollingRestartTests {

  private static final JsonMapper JSON = new JsonMapper();
  private static final int READERS = 4;
  private static final int ORDER_WRITERS = 2;
  private static final int CHAT_WRITERS = 2;

  private final List<ConfigurableApplicationContext> running = new CopyOnWriteArrayList<>();
  private RedisServer redis;

  @AfterEach
  void stop() throws IOException {
    running.forEach(ConfigurableApplicationContext::close);
    if (redis != null) {
      redis.stop();
    }
  }

  @Test
  void restartingEachInstanceInTurnFailsNoRequestAndLosesOrRepeatsNoMessage() throws Exception {
    String redisUrl = System.getenv("REDIS_URL");
    if (!StringUtils.hasText(redisUrl)) {
      int port = freePort();
      redis = RedisServer.newRedisServer().port(port).setting("bind 127.0.0.1").build();
      redis.start();
      redisUrl = "redis://127.0.0.1:" + port;
    }
    String prefix = "dedw3n:test:" + UUID.randomUUID() + ":";
    int[] ports = {freePort(), freePort()};
    while (ports[1] == ports[0]) {
      ports[1] = freePort();
    }
    String[] args = {
      "--spring.data.redis.url=" + redisUrl,
      "--dedw3n.session.redis-prefix=" + prefix + "session:",
      "--dedw3n.chat.redis-channel=" + prefix + "chat",
      "--dedw3n.budgets.redis-key-prefix=" + prefix + "budget:",
      "--dedw3n.persisted-queries.redis-key-prefix=" + prefix + "apq:",
      // the balancer polls readiness every 100 ms: a second of drain is ten polls
      "--dedw3n.web.drain-delay=1s",
      "--dedw3n.budgets.user-cost.capacity=100000000",
      "--dedw3n.budgets.user-cost.refill=100000000"
    };
    AtomicReferenceArray<ConfigurableApplicationContext> instances = new AtomicReferenceArray<>(2);
    for (int i = 0; i < 2; i++) {
      instances.set(i, start(ports[i], args));
    }
    Balancer balancer = new Balancer(ports);
    balancer.start();
    balancer.await(() -> balancer.ready(0) && balancer.ready(1), "both instances ready");

    // who takes part: a seller's products, a buyer, two people chatting, readers
    Setup setup = new Setup("http://localhost:" + ports[0]);
    String seller = setup.signUp();
    String buyer = setup.signUp();
    String ann = setup.signUp();
    String ben = setup.signUp();
    List<String> readers = new ArrayList<>();
    for (int i = 0; i < READERS; i++) {
      readers.add(setup.signUp());
    }
    DatabaseClient db = instances.get(0).getBean(DatabaseClient.class);
    long sellerId = setup.id(seller);
    int initialStock = 1_000_000;
    List<Long> products = new ArrayList<>();
    for (int i = 0; i < ORDER_WRITERS; i++) {
      products.add(
          db.sql(
                  "INSERT INTO products (seller_id, category, title, price_amount, price_currency, stock)"
                      + " VALUES ($1, 'rolling', 'Thing', 100, 'USD', $2) RETURNING id")
              .bind(0, sellerId)
              .bind(1, initialStock)
              .map(row -> row.get(0, Long.class))
              .one()
              .block(Duration.ofSeconds(30)));
    }
    String conversation =
        setup.data(
            ann,
            "mutation($p:[ID!]!){startConversation(participantIds:$p){id}}",
            Map.of("p", List.of(String.valueOf(setup.id(ben)))),
            "startConversation");

    // two subscribers, one on each instance to begin with, from the cursor of a first message:
    // everything after it reaches them, however long their subscriptions take to go live
    String first =
        setup.field(
            ann,
            "mutation($c:ID!){sendMessage(conversationId:$c,body:\"hello\"){cursor}}",
            Map.of("c", conversation),
            "/data/sendMessage/cursor");
    List<Subscriber> subscribers =
        List.of(
            new Subscriber(ann, conversation, first, balancer, 0),
            new Subscriber(ben, conversation, first, balancer, 1));
    subscribers.forEach(Subscriber::connect);

    // the load: signed-in reads, orders (each with its idempotency key), messages
    Set<String> orders = ConcurrentHashMap.newKeySet();
    Map<String, Long> messages = new ConcurrentHashMap<>();
    ConcurrentLinkedQueue<String> failures = new ConcurrentLinkedQueue<>();
    AtomicBoolean stopLoad = new AtomicBoolean();
    List<CompletableFuture<Void>> clients = new ArrayList<>();
    int clientCount = READERS + ORDER_WRITERS + CHAT_WRITERS;
    for (int c = 0; c < clientCount; c++) {
      int id = c;
      clients.add(
          CompletableFuture.runAsync(
              () -> {
                Balancer.Client client = balancer.client();
                try {
                  for (int n = 0; !stopLoad.get() && failures.isEmpty(); n++) {
                    if (id < READERS) {
                      String answer =
                          client.graphQl(
                              readers.get(id),
                              "{ products(first: 10) { edges { node { id title stock } } } }",
                              Map.of());
                      check(answer, "\"products\":{\"edges\":[", failures);
                    } else if (id < READERS + ORDER_WRITERS) {
                      String key = "rolling-" + id + "-" + n + "-" + UUID.randomUUID();
                      String answer =
                          client.graphQl(
                              buyer,
                              "mutation($p:ID!,$k:String){placeOrder(items:[{productId:$p,quantity:1}],idempotencyKey:$k){id}}",
                              Map.of("p", String.valueOf(products.get(id - READERS)), "k", key));
                      if (check(answer, "\"placeOrder\":{\"id\":", failures)) {
                        orders.add(key);
                      }
                    } else {
                      String body = "rolling-" + id + "-" + n + "-" + UUID.randomUUID();
                      String answer =
                          client.graphQl(
                              id % 2 == 0 ? ann : ben,
                              "mutation($c:ID!,$b:String!){sendMessage(conversationId:$c,body:$b){seq}}",
                              Map.of("c", conversation, "b", body));
                      if (check(answer, "\"sendMessage\":{\"seq\":", failures)) {
                        messages.put(
                            body,
                            JSON.readTree(answer.substring(4))
                                .at("/data/sendMessage/seq")
                                .asLong());
                      }
                    }
                    // a steady load, not a flood: the restarts are what this test is about
                    Thread.sleep(20);
                  }
                } catch (Exception e) {
                  failures.add("client " + id + ": " + e);
                } finally {
                  client.close();
                }
              },
              Executors.newSingleThreadExecutor()));
    }
    balancer.await(() -> balancer.answered.get() >= 100, "load under way");

    long started = System.nanoTime();
    long answeredBefore = balancer.answered.get();
    for (int i = 0; i < 2; i++) {
      int instance = i;
      long servedBefore = balancer.served[instance].get();
      instances.get(instance).close(); // what SIGTERM does: drain, then stop
      running.remove(instances.get(instance));
      instances.set(instance, start(ports[instance], args));
      balancer.await(() -> balancer.ready(instance), "instance " + instance + " ready again");
      long resumed = balancer.served[instance].get();
      balancer.await(
          () -> balancer.served[instance].get() >= resumed + 50,
          "instance " + instance + " serving again");
      assertThat(resumed).isGreaterThanOrEqualTo(servedBefore);
    }
    Duration restarts = Duration.ofNanos(System.nanoTime() - started);
    long answeredDuringRestarts = balancer.answered.get() - answeredBefore;
    stopLoad.set(true);
    CompletableFuture.allOf(clients.toArray(CompletableFuture[]::new)).get(60, TimeUnit.SECONDS);
    assertThat(failures).as("failed requests").isEmpty();

    // every acknowledged write exactly once
    DatabaseClient after = instances.get(0).getBean(DatabaseClient.class);
    Map<String, Long> storedOrders =
        counts(
            after,
            "SELECT idempotency_key, count(*) FROM orders WHERE idempotency_key LIKE 'rolling-%'"
                + " GROUP BY idempotency_key");
    assertThat(storedOrders.keySet()).containsAll(orders);
    assertThat(storedOrders.values()).containsOnly(1L);
    Map<String, Long> taken =
        counts(
            after,
            "SELECT p.id::text, "
                + initialStock
                + " - p.stock - coalesce(sum(i.quantity), 0)"
                + " FROM products p LEFT JOIN order_items i ON i.product_id = p.id"
                + " WHERE p.category = 'rolling' GROUP BY p.id, p.stock");
    assertThat(taken.values()).as("stock taken without an order").containsOnly(0L);
    Map<String, Long> storedMessages =
        counts(
            after, "SELECT body, count(*) FROM messages WHERE body LIKE 'rolling-%' GROUP BY body");
    assertThat(storedMessages.keySet()).containsExactlyInAnyOrderElementsOf(messages.keySet());
    assertThat(storedMessages.values()).containsOnly(1L);

    // every subscriber got every message once, in order, across its resumes
    List<Long> expected = messages.values().stream().sorted().toList();
    assertThat(expected).as("seqs after the first message, without a gap").isNotEmpty();
    assertThat(expected.get(0)).isEqualTo(2);
    assertThat(expected.get(expected.size() - 1)).isEqualTo(expected.size() + 1);
    for (Subscriber subscriber : subscribers) {
      try {
        balancer.await(() -> subscriber.seqs.size() >= expected.size(), "subscriber caught up");
      } finally {
        subscriber.stop();
      }
      assertThat(subscriber.seqs).containsExactlyElementsOf(expected);
      assertThat(subscriber.instances)
          .as("instances it subscribed on")
          .containsExactlyInAnyOrder(0, 1);
    }
    balancer.stop();

    System.out.printf(
        Locale.ROOT,
        "Rolling restart of 2 instances: %d requests answered (%d during the %.1f s of restarts),"
            + " 0 failed; %d sent again on a new connection (closed before any response byte),"
            + " %d connections refused (sent to the other instance); %d orders, %d messages;"
            + " subscribers resumed %s times, received %s messages each, 0 lost, 0 repeated%n",
        balancer.answered.get(),
        answeredDuringRestarts,
        restarts.toMillis() / 1000.0,
        balancer.resentOnNewConnection.get(),
        balancer.refused.get(),
        orders.size(),
        messages.size(),
        subscribers.stream().map(s -> s.resumes.get()).toList(),
        subscribers.stream().map(s -> s.seqs.size()).toList());
  }

  private ConfigurableApplicationContext start(int port, String[] args) {
    List<String> all = new ArrayList<>(List.of(args));
    all.add("--server.port=" + port);
    ConfigurableApplicationContext context = Instances.builder().run(all.toArray(String[]::new));
    running.add(context);
    return context;
  }

  /** True when the answer is a 200 with data and no errors; else records a failure. */
  private static boolean check(
      String answer, String expected, ConcurrentLinkedQueue<String> failures) {
    if (answer.startsWith("200 ") && answer.contains(expected) && !answer.contains("\"errors\"")) {
      return true;
    }
    failures.add(answer);
    return false;
  }

  private static Map<String, Long> counts(DatabaseClient db, String sql) {
    Map<String, Long> counts = new HashMap<>();
    db.sql(sql)
        .map(row -> Map.entry(row.get(0, String.class), row.get(1, Long.class)))
        .all()
        .doOnNext(e -> counts.put(e.getKey(), e.getValue()))
        .then()
        .block(Duration.ofSeconds(30));
    return counts;
  }

  private static int freePort() throws IOException {
    try (ServerSocket socket = new ServerSocket(0)) {
      return socket.getLocalPort();
    }
  }

  /**
   * What a load balancer does for the instances on {@code ports}: polls their readiness, sends to
   * the ready ones in turn on kept-alive connections, and sends a request again on a new connection
   * only when no byte of a response came back on the first.
   */
  static final class Balancer {
    final int[] ports;
    final java.util.concurrent.atomic.AtomicIntegerArray up;
    final AtomicLong[] served;
    final AtomicLong answered = new AtomicLong();
    final AtomicLong resentOnNewConnection = new AtomicLong();
    final AtomicLong refused = new AtomicLong();
    final AtomicInteger turn = new AtomicInteger();
    final AtomicBoolean stopped = new AtomicBoolean();
    final HttpClient probes =
        HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofMillis(500))
            .build();

    Balancer(int[] ports) {
      this.ports = ports;
      this.up = new java.util.concurrent.atomic.AtomicIntegerArray(ports.length);
      this.served = new AtomicLong[ports.length];
      for (int i = 0; i < ports.length; i++) {
        served[i] = new AtomicLong();
      }
    }

    void start() {
      Thread poller =
          new Thread(
              () -> {
                while (!stopped.get()) {
                  for (int i = 0; i < ports.length; i++) {
                    up.set(i, probe(ports[i]) ? 1 : 0);
                  }
                  try {
                    Thread.sleep(100);
                  } catch (InterruptedException e) {
                    return;
                  }
                }
              },
              "readiness-poller");
      poller.setDaemon(true);
      poller.start();
    }

    void stop() {
      stopped.set(true);
    }

    boolean ready(int instance) {
      return up.get(instance) == 1;
    }

    private boolean probe(int port) {
      try {
        HttpResponse<Void> response =
            probes.send(
                HttpRequest.newBuilder(
                        URI.create("http://localhost:" + port + "/actuator/health/readiness"))
                    .timeout(Duration.ofSeconds(1))
                    .build(),
                HttpResponse.BodyHandlers.discarding());
        return response.statusCode() == 200;
      } catch (IOException e) {
        return false;
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return false;
      }
    }

    /** The next ready instance in turn, waiting (up to a minute) for one. */
    int pick() throws InterruptedException {
      long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
      while (System.nanoTime() < deadline) {
        for (int i = 0; i < ports.length; i++) {
          int candidate = Math.floorMod(turn.getAndIncrement(), ports.length);
          if (ready(candidate)) {
            return candidate;
          }
        }
        Thread.sleep(20);
      }
      throw new IllegalStateException("no instance ready for a minute");
    }

    void await(BooleanSupplier condition, String what) throws InterruptedException {
      long deadline = System.nanoTime() + Duration.ofSeconds(90).toNanos();
      while (!condition.getAsBoolean()) {
        if (System.nanoTime() > deadline) {
          throw new AssertionError(what + ": not within 90 s");
        }
        Thread.sleep(20);
      }
    }

    Client client() {
      return new Client();
    }

    /** One client's kept-alive connections, one per instance. */
    final class Client {
      private final Map<Integer, Socket> connections = new HashMap<>();

      /** Status and body of the answer ("200 {...}"); throws when there was none. */
      String graphQl(String session, String query, Map<String, Object> variables)
          throws IOException, InterruptedException {
        byte[] body =
            JSON.writeValueAsString(Map.of("query", query, "variables", variables))
                .getBytes(StandardCharsets.UTF_8);
        for (int attempt = 1; attempt <= 20; attempt++) {
          int instance = pick();
          Socket socket = connections.get(instance);
          boolean fresh = socket == null;
          try {
            if (fresh) {
              socket = new Socket();
              socket.connect(new InetSocketAddress("localhost", ports[instance]), 2000);
              socket.setSoTimeout(30_000);
              connections.put(instance, socket);
            }
          } catch (ConnectException e) {
            // nothing was sent: another instance takes it, and this one is out until its
            // readiness answers again
            refused.incrementAndGet();
            up.set(instance, 0);
            continue;
          }
          Answer answer;
          try {
            answer = exchange(socket, ports[instance], session, body);
          } catch (NoResponse e) {
            // the server closed the connection before answering anything (it was stopping, or
            // had closed the idle connection): the request was not processed; a new connection
            close(instance);
            resentOnNewConnection.incrementAndGet();
            continue;
          }
          if (answer.close()) {
            close(instance);
          }
          served[instance].incrementAndGet();
          answered.incrementAndGet();
          return answer.status() + " " + answer.body();
        }
        throw new IOException("no answer after 20 connections");
      }

      void close() {
        for (Integer instance : List.copyOf(connections.keySet())) {
          close(instance);
        }
      }

      private void close(int instance) {
        Socket socket = connections.remove(instance);
        if (socket != null) {
          try {
            socket.close();
          } catch (IOException ignored) {
            // closing: nothing to do
          }
        }
      }
    }
  }

  record Answer(int status, boolean close, String body) {}

  /** The connection ended before the first byte of a response. */
  static final class NoResponse extends Exception {
    NoResponse(Throwable cause) {
      super(cause);
    }
  }

  /**
   * One HTTP/1.1 exchange on a kept-alive connection. {@link NoResponse} when the connection was
   * closed or reset before any byte of the response arrived; any other failure is an IOException (a
   * failed request).
   */
  static Answer exchange(Socket socket, int port, String session, byte[] body)
      throws IOException, NoResponse {
    String head =
        "POST /graphql HTTP/1.1\r\n"
            + "Host: localhost:"
            + port
            + "\r\nContent-Type: application/json\r\nAccept: application/json\r\n"
            + "Cookie: SESSION="
            + session
            + "\r\nContent-Length: "
            + body.length
            + "\r\n\r\n";
    InputStream in;
    int first;
    try {
      OutputStream out = socket.getOutputStream();
      out.write(head.getBytes(StandardCharsets.US_ASCII));
      out.write(body);
      out.flush();
      in = new BufferedInputStream(socket.getInputStream());
      first = in.read();
    } catch (java.net.SocketTimeoutException e) {
      throw e; // no answer in 30 s: a failure, not a closed connection
    } catch (IOException e) {
      throw new NoResponse(e);
    }
    if (first < 0) {
      throw new NoResponse(null);
    }
    ByteArrayOutputStream line = new ByteArrayOutputStream();
    line.write(first);
    String statusLine = readLine(in, line);
    int status = Integer.parseInt(statusLine.split(" ")[1]);
    Map<String, String> headers = new HashMap<>();
    for (String header; !(header = readLine(in, new ByteArrayOutputStream())).isEmpty(); ) {
      int colon = header.indexOf(':');
      headers.put(
          header.substring(0, colon).strip().toLowerCase(Locale.ROOT),
          header.substring(colon + 1).strip());
    }
    byte[] content;
    if ("chunked".equalsIgnoreCase(headers.get("transfer-encoding"))) {
      ByteArrayOutputStream chunks = new ByteArrayOutputStream();
      for (int size;
          (size =
                  Integer.parseInt(
                      readLine(in, new ByteArrayOutputStream()).split(";")[0].strip(), 16))
              > 0; ) {
        chunks.write(in.readNBytes(size));
        readLine(in, new ByteArrayOutputStream());
      }
      readLine(in, new ByteArrayOutputStream());
      content = chunks.toByteArray();
    } else if (!headers.containsKey("content-length")) {
      content = in.readAllBytes(); // delimited by the end of the connection
    } else {
      int length = Integer.parseInt(headers.get("content-length"));
      content = in.readNBytes(length);
      if (content.length < length) {
        throw new IOException(
            "the response ended after " + content.length + " of " + length + " bytes");
      }
    }
    return new Answer(
        status,
        "close".equalsIgnoreCase(headers.get("connection")),
        new String(content, StandardCharsets.UTF_8));
  }

  private static String readLine(InputStream in, ByteArrayOutputStream line) throws IOException {
    for (int b; (b = in.read()) != '\n'; ) {
      if (b < 0) {
        throw new IOException("the response ended mid-line");
      }
      if (b != '\r') {
        line.write(b);
      }
    }
    return line.toString(StandardCharsets.US_ASCII);
  }

  /**
   * A chat client subscribed to a conversation over graphql-transport-ws; when its instance closes
   * the socket (1001 as it shuts down) it subscribes again on a ready instance with the same
   * session, from the cursor of the last message it received.
   */
  static final class Subscriber {
    final String session;
    final String conversation;
    final Balancer balancer;
    final List<Long> seqs = new CopyOnWriteArrayList<>();
    final Set<Integer> instances = ConcurrentHashMap.newKeySet();
    final AtomicInteger resumes = new AtomicInteger();
    volatile String cursor;
    volatile int instance;
    volatile boolean stopped;
    volatile Disposable subscription;
    volatile WebSocketGraphQlClient client;

    Subscriber(
        String session, String conversation, String cursor, Balancer balancer, int instance) {
      this.session = session;
      this.conversation = conversation;
      this.cursor = cursor;
      this.balancer = balancer;
      this.instance = instance;
    }

    void connect() {
      if (stopped) {
        return;
      }
      int on = instance;
      instances.add(on);
      client =
          WebSocketGraphQlClient.builder(
                  URI.create("ws://localhost:" + balancer.ports[on] + "/graphql"),
                  new ReactorNettyWebSocketClient())
              .header(HttpHeaders.COOKIE, "SESSION=" + session)
              .documentSource(
                  new ResourceDocumentSource(
                      List.of(new FileSystemResource("api/")), List.of(".graphql")))
              .build();
      Map<String, Object> variables = new HashMap<>();
      variables.put("conversationId", conversation);
      variables.put("after", cursor);
      subscription =
          client
              .documentName("messageAdded")
              .variables(variables)
              .retrieveSubscription("messageAdded")
              .toEntity(Map.class)
              .subscribe(
                  message -> {
                    seqs.add(((Number) message.get("seq")).longValue());
                    cursor = (String) message.get("cursor");
                  },
                  error -> resume(),
                  this::resume);
    }

    /** Its instance went away: the next ready one, as the client's load balancer would choose. */
    private void resume() {
      if (stopped) {
        return;
      }
      resumes.incrementAndGet();
      client.stop().subscribe();
      Mono.delay(Duration.ofMillis(100), BlockingCalls.SCHEDULER)
          .subscribe(
              tick -> {
                try {
                  instance = balancer.pick();
                } catch (InterruptedException e) {
                  return;
                }
                connect();
              });
    }

    void stop() {
      stopped = true;
      if (subscription != null) {
        subscription.dispose();
      }
      if (client != null) {
        client.stop().block(Duration.ofSeconds(10));
      }
    }
  }

  /** Sign-ups and the conversation, straight to one instance before the load begins. */
  static final class Setup {
    final String base;
    final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

    Setup(String base) {
      this.base = base;
    }

    String signUp() throws Exception {
      HttpResponse<String> response =
          send(
              null,
              "mutation($e:String!,$p:String!,$n:String!){ signUp(email:$e,password:$p,displayName:$n) { id } }",
              Map.of(
                  "e", "rolling-" + UUID.randomUUID() + "@example.com",
                  "p", "correct horse battery",
                  "n", "Rolling"));
      return response.headers().allValues("set-cookie").stream()
          .filter(cookie -> cookie.startsWith("SESSION="))
          .map(cookie -> cookie.substring("SESSION=".length(), cookie.indexOf(';')))
          .findFirst()
          .orElseThrow(() -> new AssertionError("no session: " + response.body()));
    }

    long id(String session) throws Exception {
      return Long.parseLong(data(session, "{ viewer { id } }", Map.of(), "viewer"));
    }

    /** The id of the field's object. */
    String data(String session, String query, Map<String, Object> variables, String field)
        throws Exception {
      return field(session, query, variables, "/data/" + field + "/id");
    }

    /** The value at the pointer in the answer. */
    String field(String session, String query, Map<String, Object> variables, String pointer)
        throws Exception {
      HttpResponse<String> response = send(session, query, variables);
      assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
      assertThat(response.body()).doesNotContain("\"errors\"");
      return JSON.readTree(response.body()).at(pointer).asString();
    }

    private HttpResponse<String> send(String session, String query, Map<String, Object> variables)
        throws Exception {
      HttpRequest.Builder request =
          HttpRequest.newBuilder(URI.create(base + "/graphql"))
              .timeout(Duration.ofSeconds(30))
              .header("Content-Type", "application/json")
              .POST(
                  HttpRequest.BodyPublishers.ofString(
                      JSON.writeValueAsString(Map.of("query", query, "variables", variables))));
      if (session != null) {
        request.header("Cookie", "SESSION=" + session);
      }
      return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }
  }
}
