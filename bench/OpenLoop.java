import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * An open-loop load: requests leave at a fixed rate whether or not earlier ones have been answered,
 * as users arrive, and each latency counts from the moment its request was due, so a stall shows
 * in full instead of slowing the load down (wrk's closed loop waits for an answer before it sends
 * again, which hides stalls: coordinated omission).
 *
 *   java bench/OpenLoop.java URL OP DOC DATA RATE SECONDS
 *
 * OP is W1..W4; DOC and DATA are what bench/wrk/graphql.lua reads (the operation document and the
 * facts file bench.sh writes). Prints one line:
 *   RESULT rate=.. sent=.. ok=.. errors=.. late_starts=.. p50_us=.. p90_us=.. p99_us=.. max_us=..
 */
public class OpenLoop {

  public static void main(String[] args) throws Exception {
    String url = args[0];
    String op = args[1];
    String document = Files.readString(Path.of(args[2]));
    List<String> data = Files.readAllLines(Path.of(args[3]));
    double rate = Double.parseDouble(args[4]);
    int seconds = Integer.parseInt(args[5]);
    String name = document.replaceAll("(?s).*?query\\s+(\\w+).*", "$1");
    String query = json(document);
    List<String> categories = new ArrayList<>();
    List<String[]> sessions = new ArrayList<>();
    long products = 0;
    for (String line : data) {
      String[] f = line.split("\t", -1);
      switch (f[0]) {
        case "category" -> categories.add(f[1]);
        case "products" -> products = Long.parseLong(f[1]);
        case "session" -> sessions.add(new String[] {"SESSION=" + f[1], f.length > 2 ? f[2] : ""});
        default -> {}
      }
    }
    HttpClient http =
        HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5))
            .executor(Executors.newFixedThreadPool(2))
            .build();
    Random random = new Random(42);
    int total = (int) Math.round(rate * seconds);
    long[] latencies = new long[total];
    AtomicInteger ok = new AtomicInteger();
    AtomicInteger errors = new AtomicInteger();
    List<CompletableFuture<Void>> answers = new ArrayList<>(total);
    int lateStarts = 0;
    long start = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(100);
    for (int i = 0; i < total; i++) {
      long due = start + (long) (i * 1e9 / rate);
      long wait = due - System.nanoTime();
      if (wait > 0) {
        TimeUnit.NANOSECONDS.sleep(wait);
      } else if (wait < -TimeUnit.MILLISECONDS.toNanos(5)) {
        lateStarts++; // the driver itself fell behind: its latency still counts from `due`
      }
      String variables;
      String cookie = null;
      switch (op) {
        case "W1" ->
            variables =
                "{\"category\":" + json(categories.get(random.nextInt(categories.size())))
                    + ",\"first\":50}";
        case "W2" -> variables = "{\"id\":\"" + (1 + random.nextLong(products)) + "\"}";
        case "W3" -> {
          String[] s = sessions.get(random.nextInt(sessions.size()));
          String[] ids = s[1].split(",");
          variables = "{\"id\":\"" + ids[random.nextInt(ids.length)] + "\",\"last\":50}";
          cookie = s[0];
        }
        case "W4" -> variables = "{\"first\":20}";
        default -> throw new IllegalArgumentException("open loop: W1..W4 only, not " + op);
      }
      HttpRequest.Builder request =
          HttpRequest.newBuilder(URI.create(url))
              .timeout(Duration.ofSeconds(10))
              .header("Content-Type", "application/json")
              .header("Accept", "application/json")
              .POST(
                  HttpRequest.BodyPublishers.ofString(
                      "{\"operationName\":\"" + name + "\",\"query\":" + query + ",\"variables\":"
                          + variables + "}"));
      if (cookie != null) {
        request.header("Cookie", cookie);
      }
      int index = i;
      answers.add(
          http.sendAsync(request.build(), HttpResponse.BodyHandlers.ofString())
              .handle(
                  (response, failure) -> {
                    latencies[index] = System.nanoTime() - due;
                    if (failure == null
                        && response.statusCode() == 200
                        && !response.body().contains("\"errors\"")) {
                      ok.incrementAndGet();
                    } else if (errors.incrementAndGet() <= 3) {
                      System.out.println(
                          "ERROR "
                              + (failure != null
                                  ? failure.toString()
                                  : response.statusCode() + " " + abbreviate(response.body())));
                    }
                    return null;
                  }));
    }
    try {
      CompletableFuture.allOf(answers.toArray(CompletableFuture[]::new)).get(30, TimeUnit.SECONDS);
    } catch (Exception e) {
      // a request still unanswered is an error, and its latency is at least the time it has waited
      long now = System.nanoTime();
      for (int i = 0; i < total; i++) {
        if (!answers.get(i).isDone()) {
          latencies[i] = now - (start + (long) (i * 1e9 / rate));
          errors.incrementAndGet();
        }
      }
      System.out.println("UNANSWERED " + answers.stream().filter(a -> !a.isDone()).count());
    }
    long[] sorted = latencies.clone();
    java.util.Arrays.sort(sorted);
    System.out.printf(
        "RESULT rate=%.0f sent=%d ok=%d errors=%d late_starts=%d p50_us=%d p90_us=%d p99_us=%d"
            + " max_us=%d%n",
        rate, total, ok.get(), errors.get(), lateStarts, pct(sorted, 50) / 1000,
        pct(sorted, 90) / 1000, pct(sorted, 99) / 1000, sorted[sorted.length - 1] / 1000);
    System.exit(0);
  }

  static String abbreviate(String body) {
    return body.length() <= 300 ? body : body.substring(0, 300) + "...";
  }

  static long pct(long[] sorted, int p) {
    return sorted[Math.min(sorted.length - 1, (int) Math.ceil(sorted.length * p / 100.0) - 1)];
  }

  static String json(String s) {
    return "\""
        + s.replace("\\", "\\\\").replace("\"", "\\\"").replace("\n", "\\n").replace("\r", "")
            .replace("\t", " ")
        + "\"";
  }
}
