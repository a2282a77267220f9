// W6 chat fan-out of bench/WORKLOAD.md: open subscriptions (graphql-transport-ws over
// WebSocket, the protocol the apps speak) spread over conversations, senders posting at a steady
// rate, and for every message the time from the sender's acknowledged mutation to each subscriber
// of its conversation receiving it. JDK only, no build step. Two modes:
//
//   java bench/W6.java URL DATA --receive DIR       # bench.sh: wrk sends, this program receives
//   java bench/W6.java URL DATA RATE SECONDS [METRICS_URL]   # all in Java (BenchSmokeTests)
//
// URL is the server (http://127.0.0.1:8080), DATA a file of "conversation<TAB>user,user,..." lines
// (bench.sh writes it: every listed user subscribes to that conversation and sends to it in turn).
//
// --receive: the senders are wrk's (bench/wrk/open-loop.lua, op W6), because the JDK HttpClient
// costs ~4 ms of CPU a request, which on a 2-core machine makes the driver the bottleneck well
// before 1,000 messages/s, while receiving on WebSockets is cheap. After the warm-up below this
// writes DIR/senders.data (wrk's data file: "conversation<TAB>id<TAB>cookie cookie", the members'
// sessions) and then DIR/ready, and receives until DIR/committed appears: the messages the
// database holds in these conversations from the send window, "id|conversation" lines, which
// bench.sh writes with psql after wrk ends. Each of them must reach both subscribers exactly
// once; what never arrives is lost. Latency comes from the message itself: wrk puts the
// wall-clock microseconds it was due and sent at in its body ("w6 due=.. sent=..", see
// bench/wrk/graphql.lua), and the receipt's wall clock (same machine, same CLOCK_REALTIME) minus
// the due time is the delivery latency, open-loop corrected (a send that left late because the
// driver or its connection was held up still counts from when it was due); minus the sent time,
// the uncorrected figure. Prints:
//   RESULT subscriptions=.. conversations=.. committed=.. expected=.. delivered=.. lost=..
//          duplicates=.. unlisted=.. misrouted=.. p50_us=.. p99_us=.. max_us=.. sent_p50_us=.. sent_p99_us=..
//          delivered_per_s=.. protocol_errors=.. resumed=..
// unlisted: messages received after the warm-up that the committed list does not hold (none
// unless a send committed after wrk gave up on it and bench.sh read the list).
//
// RATE SECONDS: the sends from this program's JDK HttpClient, for the smoke test's few messages
// (JDK only, no wrk); its ~4 ms of CPU a request makes it the bottleneck at high rates.
//
// Before measuring, one message goes to every conversation and the run waits until every
// subscriber has it: that proves every subscription is live (graphql-transport-ws has no
// "subscribed" acknowledgement) and warms the server up. The server publishes a message as soon
// as its transaction commits, so subscribers usually have it before the sender has its
// acknowledgement: those deliveries count as 0 ms after the acknowledgement, and the end-to-end
// figures (from the moment the send request left) show the whole path.
//
// RATE SECONDS prints:
//   RESULT subscriptions=.. conversations=.. sent=.. send_errors=.. expected=.. delivered=..
//          lost=.. duplicates=.. p50_us=.. p99_us=.. delivered_per_s=.. send_p50_us=.. send_p99_us=..
//          end_to_end_p50_us=.. end_to_end_p99_us=.. protocol_errors=.. resumed=..
// A subscription the server ends (type error or complete) is resumed from its last cursor, as
// the apps do; it still counts as a protocol error, and `lost` counts what never arrived. statements_per_message=.. (everything the server sent while sending)
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.WebSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Instant;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

public class W6 {

  static final String PASSWORD = "bench-password"; // every seeded user's (bench/seed.sql)
  static final Pattern MESSAGE_ID = Pattern.compile("\"messageAdded\":\\{\"id\":\"(\\d+)\"");
  static final Pattern SENT_ID = Pattern.compile("\"sendMessage\":\\{\"id\":\"(\\d+)\"");
  static final Pattern TYPE = Pattern.compile("\"type\":\"([a-z_]+)\"");
  static final Pattern SUBSCRIPTION_ID = Pattern.compile("^\\{\"id\":\"(\\d+)\"");
  static final Pattern CURSOR = Pattern.compile("\"cursor\":\"([^\"]+)\"");
  /** wrk's stamps in a message body (bench/wrk/graphql.lua), wall-clock microseconds */
  static final Pattern STAMPS = Pattern.compile("\"body\":\"w6 due=(\\d+) sent=(\\d+)\"");
  static final AtomicInteger resumed = new AtomicInteger();

  static final HttpClient http =
      HttpClient.newBuilder()
          .connectTimeout(Duration.ofSeconds(10))
          .executor(Executors.newFixedThreadPool(4))
          .build();

  static String url;
  static String metricsUrl;
  static String subscription;
  static String send;
  /** messageId -> nanoTime of the sender's acknowledgement */
  static final Map<Long, Long> acknowledged = new ConcurrentHashMap<>();
  /** messageId -> conversation, for the messages of the measured phase */
  static final Map<Long, Long> measured = new ConcurrentHashMap<>();
  /** messageId -> nanoTime its sendMessage request left, for the messages of the measured phase */
  static final Map<Long, Long> sentAt = new ConcurrentHashMap<>();
  static final AtomicInteger protocolErrors = new AtomicInteger();
  static final AtomicInteger sendErrors = new AtomicInteger();
  static final ConcurrentLinkedQueue<String> firstErrors = new ConcurrentLinkedQueue<>();

  public static void main(String[] args) {
    try {
      run(args);
    } catch (Throwable failure) {
      // The HTTP client's and the WebSockets' threads are not daemons: without an explicit exit a
      // failed run would keep the JVM (and bench.sh waiting for it) alive forever.
      System.out.println("FAILED " + failure);
      failure.printStackTrace(System.out);
      firstErrors.forEach(e -> System.out.println("ERROR " + e));
      System.exit(1);
    }
  }

  static void run(String[] args) throws Exception {
    url = args[0].replaceAll("/+$", "");
    Path data = Path.of(args[1]);
    boolean receiveOnly = args[2].equals("--receive");
    double rate = receiveOnly ? 0 : Double.parseDouble(args[2]);
    int seconds = receiveOnly ? 0 : Integer.parseInt(args[3]);
    // metrics: on the API's port in development, on MANAGEMENT_PORT in production
    metricsUrl = !receiveOnly && args.length > 4 ? args[4].replaceAll("/+$", "") : url;
    Path api = Path.of("api");
    subscription = json(Files.readString(api.resolve("messageAdded.graphql")));
    send = json(Files.readString(api.resolve("sendMessage.graphql")));

    Map<Long, List<Long>> conversations = new LinkedHashMap<>();
    for (String line : Files.readAllLines(data)) {
      if (line.isBlank()) continue;
      String[] parts = line.split("\t");
      conversations.put(
          Long.parseLong(parts[0]), Arrays.stream(parts[1].split(",")).map(Long::parseLong).toList());
    }
    Set<Long> users = new LinkedHashSet<>();
    conversations.values().forEach(users::addAll);
    log("%d conversations, %d users: signing in", conversations.size(), users.size());
    Map<Long, String> sessions = signIn(users);

    // Each subscription starts after the conversation's newest message as read here, as an app
    // passes the cursor of the page it shows: graphql-transport-ws does not acknowledge a
    // subscribe, and one without `after` starts at whatever the server finds newest when it
    // processes it, so a warm-up message that commits before that would never reach it.
    Map<Long, String> newest = newestCursors(conversations, sessions);
    // one WebSocket per user, one subscription per conversation of that user
    Map<Long, List<Long>> conversationsOf = new HashMap<>();
    conversations.forEach(
        (c, members) -> members.forEach(u -> conversationsOf.computeIfAbsent(u, k -> new ArrayList<>()).add(c)));
    List<Subscriber> subscribers = new ArrayList<>();
    Semaphore opening = new Semaphore(32);
    List<CompletableFuture<Void>> opened = new ArrayList<>();
    for (var entry : conversationsOf.entrySet()) {
      Subscriber s = new Subscriber(entry.getKey(), entry.getValue());
      for (long c : s.conversations) {
        if (newest.containsKey(c)) s.cursors.put(c, newest.get(c));
      }
      subscribers.add(s);
      opening.acquire();
      opened.add(s.open(sessions.get(s.user)).whenComplete((v, e) -> opening.release()));
    }
    CompletableFuture.allOf(opened.toArray(CompletableFuture[]::new)).get(120, TimeUnit.SECONDS);
    int subscriptions = subscribers.stream().mapToInt(s -> s.conversations.size()).sum();
    log("%d subscriptions open on %d WebSockets", subscriptions, subscribers.size());

    // every subscription proves itself live with one message per conversation
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    Map<Long, Long> warmUp = new HashMap<>();
    for (long c : conversations.keySet()) {
      Long id = send(sessions.get(conversations.get(c).get(0)), c).get(30, TimeUnit.SECONDS);
      if (id == null) throw new IllegalStateException("warm-up send failed: " + firstErrors.peek());
      warmUp.put(id, c);
    }
    while (!allReceived(subscribers, warmUp) && System.nanoTime() < deadline) Thread.sleep(50);
    if (!allReceived(subscribers, warmUp)) {
      throw new IllegalStateException("not every subscription received its warm-up message in 60 s");
    }
    if (receiveOnly) {
      receive(Path.of(args[3]), conversations, sessions, subscribers, subscriptions, warmUp.keySet());
      return;
    }
    log("every subscription is live; sending %.0f messages/s for %d s", rate, seconds);

    // the measured phase: a steady rate, conversations in turn, each message sent by a member
    List<Long> order = new ArrayList<>(conversations.keySet());
    int total = (int) Math.round(rate * seconds);
    List<CompletableFuture<Long>> sends = new ArrayList<>();
    List<Long> sendLatencies = new ArrayList<>();
    double statementsBefore = statements();
    long start = System.nanoTime();
    for (int i = 0; i < total; i++) {
      long due = start + (long) (i * 1e9 / rate);
      long wait = due - System.nanoTime();
      if (wait > 0) TimeUnit.NANOSECONDS.sleep(wait);
      long c = order.get(i % order.size());
      List<Long> members = conversations.get(c);
      long sender = members.get((i / order.size()) % members.size());
      long leftAt = System.nanoTime();
      sends.add(
          send(sessions.get(sender), c)
              .thenApply(
                  id -> {
                    if (id != null) {
                      measured.put(id, c);
                      sentAt.put(id, leftAt);
                      synchronized (sendLatencies) {
                        sendLatencies.add(acknowledged.get(id) - leftAt);
                      }
                    }
                    return id;
                  }));
    }
    CompletableFuture.allOf(sends.toArray(CompletableFuture[]::new)).get(60, TimeUnit.SECONDS);
    long sendingEnded = System.nanoTime();

    // wait for stragglers: up to 10 s after the last acknowledgement
    Map<Long, Integer> subscribersOf = new HashMap<>();
    conversations.forEach((c, members) -> subscribersOf.put(c, members.size()));
    long expected = measured.values().stream().mapToLong(subscribersOf::get).sum();
    long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (delivered(subscribers) < expected && System.nanoTime() < end) Thread.sleep(50);

    double statementsPerMessage = (statements() - statementsBefore) / Math.max(1, measured.size());
    List<Long> latencies = new ArrayList<>();
    List<Long> endToEnd = new ArrayList<>();
    long delivered = 0;
    long duplicates = 0;
    long misrouted = 0;
    long lastReceipt = start;
    for (Subscriber s : subscribers) {
      for (var r : s.received.entrySet()) {
        Long conversation = measured.get(r.getKey());
        if (conversation == null) continue; // a warm-up message
        if (!conversation.equals(s.arrivedOn.get(r.getKey()))) {
          misrouted++; // on another conversation's subscription: nobody waiting for it got it
          continue;
        }
        delivered++;
        latencies.add(Math.max(0, r.getValue() - acknowledged.get(r.getKey())));
        endToEnd.add(r.getValue() - sentAt.get(r.getKey()));
        lastReceipt = Math.max(lastReceipt, r.getValue());
      }
      duplicates += s.duplicates.get();
    }
    for (Subscriber s : subscribers) s.close();
    latencies.sort(null);
    endToEnd.sort(null);
    sendLatencies.sort(null);
    double window = (Math.max(lastReceipt, sendingEnded) - start) / 1e9;
    System.out.printf(
        "RESULT subscriptions=%d conversations=%d sent=%d send_errors=%d expected=%d delivered=%d"
            + " lost=%d duplicates=%d misrouted=%d p50_us=%d p99_us=%d delivered_per_s=%.0f"
            + " send_p50_us=%d"
            + " send_p99_us=%d end_to_end_p50_us=%d end_to_end_p99_us=%d protocol_errors=%d"
            + " statements_per_message=%.2f resumed=%d%n",
        subscriptions, conversations.size(), measured.size(), sendErrors.get(), expected, delivered,
        expected - delivered, duplicates, misrouted, percentile(latencies, 50) / 1000,
        percentile(latencies, 99) / 1000, delivered / window, percentile(sendLatencies, 50) / 1000,
        percentile(sendLatencies, 99) / 1000, percentile(endToEnd, 50) / 1000,
        percentile(endToEnd, 99) / 1000, protocolErrors.get(), statementsPerMessage,
        resumed.get());
    if (!firstErrors.isEmpty()) System.out.println("FIRST_ERROR " + firstErrors.peek());
    System.exit(0);
  }

  /**
   * --receive: hands wrk the senders' sessions, receives until bench.sh lists what the database
   * committed during the send window, then checks every listed message reached every subscriber
   * of its conversation once and prints the result.
   */
  static void receive(
      Path dir, Map<Long, List<Long>> conversations, Map<Long, String> sessions,
      List<Subscriber> subscribers, int subscriptions, Set<Long> warmUp) throws Exception {
    List<String> senders = new ArrayList<>();
    conversations.forEach(
        (c, members) ->
            senders.add("conversation\t" + c + "\t"
                + String.join(" ", members.stream().map(sessions::get).toList())));
    // written whole before it appears: bench.sh starts wrk as soon as ready exists
    Path temporary = dir.resolve("senders.data.tmp");
    Files.write(temporary, senders);
    Files.move(temporary, dir.resolve("senders.data"), StandardCopyOption.ATOMIC_MOVE);
    Files.writeString(dir.resolve("ready"), "");
    log("every subscription is live; receiving until %s appears", dir.resolve("committed"));

    // bench.sh writes the list after wrk ends (and stops this program if it fails meanwhile)
    Path committed = dir.resolve("committed");
    while (!Files.exists(committed)) Thread.sleep(100);
    for (String line : Files.readAllLines(committed)) {
      if (line.isBlank()) continue;
      String[] parts = line.split("\\|");
      measured.put(Long.parseLong(parts[0]), Long.parseLong(parts[1]));
    }
    Map<Long, Integer> subscribersOf = new HashMap<>();
    conversations.forEach((c, members) -> subscribersOf.put(c, members.size()));
    long expected = measured.values().stream().mapToLong(subscribersOf::get).sum();
    // stragglers: every committed message has been published before wrk had its answer, so a
    // few seconds are plenty unless the server is far behind on its WebSocket writes
    long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (delivered(subscribers) < expected && System.nanoTime() < end) Thread.sleep(50);

    List<Long> fromDue = new ArrayList<>();
    List<Long> fromSent = new ArrayList<>();
    long delivered = 0, duplicates = 0, unlisted = 0, unstamped = 0, misrouted = 0;
    long firstReceipt = Long.MAX_VALUE, lastReceipt = Long.MIN_VALUE;
    for (Subscriber s : subscribers) {
      for (var r : s.received.entrySet()) {
        long id = r.getKey();
        if (!measured.containsKey(id)) {
          if (!warmUp.contains(id)) unlisted++;
          continue;
        }
        // on the subscription of its own conversation, or it reached nobody who waits for it
        if (!measured.get(id).equals(s.arrivedOn.get(id))) {
          misrouted++;
          continue;
        }
        delivered++;
        long[] stamp = s.stamps.get(id);
        if (stamp == null) {
          unstamped++; // not sent by wrk: counted, but without a latency
          continue;
        }
        fromDue.add(stamp[0]);
        fromSent.add(stamp[1]);
        firstReceipt = Math.min(firstReceipt, stamp[2]);
        lastReceipt = Math.max(lastReceipt, stamp[2]);
      }
      duplicates += s.duplicates.get();
    }
    for (Subscriber s : subscribers) s.close();
    fromDue.sort(null);
    fromSent.sort(null);
    double window = lastReceipt > firstReceipt ? (lastReceipt - firstReceipt) / 1e6 : 1;
    System.out.printf(
        "RESULT subscriptions=%d conversations=%d committed=%d expected=%d delivered=%d lost=%d"
            + " duplicates=%d unlisted=%d misrouted=%d unstamped=%d p50_us=%d p99_us=%d max_us=%d sent_p50_us=%d"
            + " sent_p99_us=%d delivered_per_s=%.0f protocol_errors=%d resumed=%d%n",
        subscriptions, conversations.size(), measured.size(), expected, delivered,
        expected - delivered, duplicates, unlisted, misrouted, unstamped, percentile(fromDue, 50),
        percentile(fromDue, 99), fromDue.isEmpty() ? 0 : fromDue.get(fromDue.size() - 1),
        percentile(fromSent, 50), percentile(fromSent, 99), delivered / window,
        protocolErrors.get(), resumed.get());
    if (!firstErrors.isEmpty()) System.out.println("FIRST_ERROR " + firstErrors.peek());
    System.out.flush();
    System.exit(0);
  }

  /** Wall-clock microseconds (CLOCK_REALTIME, as wrk's stamps). */
  static long wallMicros() {
    Instant now = Instant.now();
    return now.getEpochSecond() * 1_000_000 + now.getNano() / 1_000;
  }

  /** SQL statements the server has sent so far (its dedw3n.db.statements counter). */
  static double statements() throws Exception {
    HttpRequest request =
        HttpRequest.newBuilder(URI.create(metricsUrl + "/actuator/metrics/dedw3n.db.statements")).build();
    String body = http.send(request, HttpResponse.BodyHandlers.ofString()).body();
    Matcher m = Pattern.compile("\"statistic\":\"COUNT\",\"value\":([0-9.eE+]+)").matcher(body);
    if (!m.find()) throw new IllegalStateException("no statement count in " + body);
    return Double.parseDouble(m.group(1));
  }

  static boolean allReceived(List<Subscriber> subscribers, Map<Long, Long> messages) {
    for (Subscriber s : subscribers) {
      for (var m : messages.entrySet()) {
        if (s.conversations.contains(m.getValue()) && !s.received.containsKey(m.getKey())) {
          return false;
        }
      }
    }
    return true;
  }

  static long delivered(List<Subscriber> subscribers) {
    long n = 0;
    for (Subscriber s : subscribers) {
      for (Long id : s.received.keySet()) if (measured.containsKey(id)) n++;
    }
    return n;
  }

  static long percentile(List<Long> sorted, int p) {
    if (sorted.isEmpty()) return 0;
    return sorted.get(Math.min(sorted.size() - 1, (int) Math.ceil(sorted.size() * p / 100.0) - 1));
  }

  /** Signs every user in, a few at a time (BCrypt makes each sign-in cost the server ~50 ms). */
  static Map<Long, String> signIn(Set<Long> users) throws Exception {
    Map<Long, String> sessions = new ConcurrentHashMap<>();
    Semaphore inFlight = new Semaphore(4);
    List<CompletableFuture<?>> all = new ArrayList<>();
    for (long user : users) {
      inFlight.acquire();
      String body =
          "{\"query\":\"mutation($e:String!,$p:String!){signIn(email:$e,password:$p){id}}\","
              + "\"variables\":{\"e\":\"user" + user + "@bench.dedw3n.test\",\"p\":\"" + PASSWORD + "\"}}";
      all.add(
          http.sendAsync(post(body, null), HttpResponse.BodyHandlers.ofString())
              .thenAccept(
                  response -> {
                    String cookie =
                        response.headers().allValues("set-cookie").stream()
                            .filter(v -> v.startsWith("SESSION="))
                            .map(v -> v.substring(0, v.indexOf(';') < 0 ? v.length() : v.indexOf(';')))
                            .findFirst()
                            .orElseThrow(
                                () -> new IllegalStateException("sign-in of user" + user + " failed: " + response.body()));
                    sessions.put(user, cookie);
                  })
              .whenComplete((v, e) -> inFlight.release()));
    }
    CompletableFuture.allOf(all.toArray(CompletableFuture[]::new)).get(300, TimeUnit.SECONDS);
    return sessions;
  }

  /** The cursor of each conversation's newest message (none for an empty one), read by a member. */
  static Map<Long, String> newestCursors(Map<Long, List<Long>> conversations, Map<Long, String> sessions)
      throws Exception {
    String page = json(Files.readString(Path.of("api", "conversationPage.graphql")));
    Map<Long, String> newest = new HashMap<>();
    for (var entry : conversations.entrySet()) {
      String body =
          "{\"operationName\":\"conversationPage\",\"query\":" + page + ",\"variables\":{\"id\":\""
              + entry.getKey() + "\",\"last\":1}}";
      HttpResponse<String> response =
          http.send(post(body, sessions.get(entry.getValue().get(0))), HttpResponse.BodyHandlers.ofString());
      if (response.statusCode() != 200 || response.body().contains("\"errors\"")) {
        throw new IllegalStateException("reading conversation " + entry.getKey() + ": " + response.body());
      }
      Matcher cursor = CURSOR.matcher(response.body());
      if (cursor.find()) newest.put(entry.getKey(), cursor.group(1));
    }
    return newest;
  }

  /** Sends one message; completes with its id, or null when the server refused or failed. */
  static CompletableFuture<Long> send(String cookie, long conversation) {
    String body =
        "{\"operationName\":\"sendMessage\",\"query\":" + send + ",\"variables\":{\"conversationId\":\""
            + conversation + "\",\"body\":\"bench message " + System.nanoTime() + "\"}}";
    return http.sendAsync(post(body, cookie), HttpResponse.BodyHandlers.ofString())
        .handle(
            (response, failure) -> {
              long now = System.nanoTime();
              Matcher m = response == null ? null : SENT_ID.matcher(response.body());
              if (m == null || response.statusCode() != 200 || !m.find()) {
                sendErrors.incrementAndGet();
                if (firstErrors.size() < 20) firstErrors.add(failure != null ? failure.toString() : response.statusCode() + " " + response.body());
                return null;
              }
              long id = Long.parseLong(m.group(1));
              acknowledged.put(id, now);
              return id;
            });
  }

  static HttpRequest post(String body, String cookie) {
    HttpRequest.Builder request =
        HttpRequest.newBuilder(URI.create(url + "/graphql"))
            .timeout(Duration.ofSeconds(30))
            .header("Content-Type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofString(body));
    if (cookie != null) request.header("Cookie", cookie);
    return request.build();
  }

  /** One user's WebSocket with a messageAdded subscription per conversation of that user. */
  static final class Subscriber implements WebSocket.Listener {
    final long user;
    final Set<Long> conversations;
    /** messageId -> nanoTime it arrived */
    final Map<Long, Long> received = new ConcurrentHashMap<>();
    /** messageId -> the conversation of the subscription it arrived on (its id is the latter's) */
    final Map<Long, Long> arrivedOn = new ConcurrentHashMap<>();
    /** messageId -> {receipt - due, receipt - sent, receipt} in wall-clock us, for wrk's messages */
    final Map<Long, long[]> stamps = new ConcurrentHashMap<>();
    final AtomicInteger duplicates = new AtomicInteger();
    final CompletableFuture<Void> acknowledged = new CompletableFuture<>();
    final StringBuilder partial = new StringBuilder();
    /** conversation -> cursor of the last message received, to resume from */
    final Map<Long, String> cursors = new ConcurrentHashMap<>();
    WebSocket socket;

    Subscriber(long user, List<Long> conversations) {
      this.user = user;
      this.conversations = new LinkedHashSet<>(conversations);
    }

    CompletableFuture<Void> open(String cookie) {
      String ws = url.replaceFirst("^http", "ws") + "/graphql";
      return http.newWebSocketBuilder()
          .header("Cookie", cookie)
          .subprotocols("graphql-transport-ws")
          .buildAsync(URI.create(ws), this)
          .thenCompose(
              socket -> {
                this.socket = socket;
                return sendText("{\"type\":\"connection_init\"}");
              })
          .thenCompose(socket -> acknowledged)
          .thenCompose(
              ignored -> {
                CompletableFuture<WebSocket> chain = CompletableFuture.completedFuture(socket);
                for (long c : conversations) {
                  chain = chain.thenCompose(s -> subscribe(c));
                }
                return chain.thenApply(s -> null);
              });
    }

    /** Subscribes to one conversation, from its last received cursor when there is one. */
    synchronized CompletableFuture<WebSocket> subscribe(long conversation) {
      String after = cursors.get(conversation);
      String subscribe =
          "{\"id\":\"" + conversation + "\",\"type\":\"subscribe\",\"payload\":{\"operationName\":"
              + "\"messageAdded\",\"query\":" + subscription
              + ",\"variables\":{\"conversationId\":\"" + conversation + "\""
              + (after == null ? "" : ",\"after\":\"" + after + "\"") + "}}}";
      return sendText(subscribe);
    }

    /** The JDK's WebSocket takes one send at a time: each waits for the one before. */
    private CompletableFuture<WebSocket> sending;

    synchronized CompletableFuture<WebSocket> sendText(String text) {
      sending =
          (sending == null ? CompletableFuture.completedFuture(socket) : sending)
              .handle((s, e) -> socket)
              .thenCompose(s -> s.sendText(text, true));
      return sending;
    }

    @Override
    public CompletionStage<?> onText(WebSocket socket, CharSequence data, boolean last) {
      long now = System.nanoTime();
      long wall = wallMicros();
      partial.append(data);
      if (last) {
        String message = partial.toString();
        partial.setLength(0);
        handle(socket, message, now, wall);
      }
      socket.request(1);
      return null;
    }

    private void handle(WebSocket socket, String message, long now, long wall) {
      Matcher type = TYPE.matcher(message);
      String kind = type.find() ? type.group(1) : "";
      switch (kind) {
        case "connection_ack" -> acknowledged.complete(null);
        case "ping" -> sendText("{\"type\":\"pong\"}");
        case "pong" -> {}
        case "next" -> {
          Matcher id = MESSAGE_ID.matcher(message);
          if (!id.find() || message.contains("\"errors\"")) {
            protocolError(message);
            return;
          }
          long messageId = Long.parseLong(id.group(1));
          if (received.putIfAbsent(messageId, now) != null) {
            duplicates.incrementAndGet();
          } else {
            Matcher on = SUBSCRIPTION_ID.matcher(message);
            if (on.find()) arrivedOn.put(messageId, Long.parseLong(on.group(1)));
            Matcher stamp = STAMPS.matcher(message);
            if (stamp.find()) {
              long due = Long.parseLong(stamp.group(1));
              long sent = Long.parseLong(stamp.group(2));
              stamps.put(messageId, new long[] {wall - due, wall - sent, wall});
            }
          }
          Matcher subscriptionId = SUBSCRIPTION_ID.matcher(message);
          Matcher cursor = CURSOR.matcher(message);
          if (subscriptionId.find() && cursor.find()) {
            cursors.put(Long.parseLong(subscriptionId.group(1)), cursor.group(1));
          }
        }
        case "error", "complete" -> {
          // the server ended a subscription (overload, shutdown, a slow reader): resume from the
          // last cursor, as the README tells client developers to
          protocolError(message);
          Matcher subscriptionId = SUBSCRIPTION_ID.matcher(message);
          if (subscriptionId.find()) {
            resumed.incrementAndGet();
            long id = Long.parseLong(subscriptionId.group(1));
            // after a second, as an app retries: resubscribing at once to a server that refuses
            // (overloaded, its session store slow) turned each refusal into the next one
            CompletableFuture.delayedExecutor(1, TimeUnit.SECONDS).execute(() -> subscribe(id));
          }
        }
        default -> protocolError(message);
      }
    }

    private void protocolError(String message) {
      protocolErrors.incrementAndGet();
      if (firstErrors.size() < 20) firstErrors.add("user" + user + ": " + message); // the first few
    }

    @Override
    public CompletionStage<?> onClose(WebSocket socket, int status, String reason) {
      if (status != WebSocket.NORMAL_CLOSURE) protocolError("closed " + status + " " + reason);
      acknowledged.completeExceptionally(new IllegalStateException("closed " + status + " " + reason));
      return null;
    }

    @Override
    public void onError(WebSocket socket, Throwable error) {
      protocolError(error.toString());
      acknowledged.completeExceptionally(error);
    }

    void close() {
      if (socket != null) socket.sendClose(WebSocket.NORMAL_CLOSURE, "done");
    }
  }

  static String json(String text) {
    return "\"" + text.replace("\\", "\\\\").replace("\"", "\\\"").replace("\n", "\\n").replace("\t", " ") + "\"";
  }

  static void log(String format, Object... args) {
    System.err.printf("%tT W6: %s%n", System.currentTimeMillis(), String.format(format, args));
  }
}
