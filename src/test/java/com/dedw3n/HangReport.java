package com.dedw3n;

import io.netty.util.concurrent.EventExecutor;
import io.netty.util.concurrent.SingleThreadEventExecutor;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadInfo;
import java.lang.reflect.Field;
import java.lang.reflect.Method;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.TestExecutionExceptionHandler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.netty.http.HttpResources;

/**
 * When a test fails because an answer did not come in time (WebTestClient's "Timeout on blocking
 * read", a {@link TimeoutException}), writes what the JVM and the machine were doing at that moment
 * and 25 s into the test, while it still waited: the test clients' connection pools and the tasks
 * waiting on their event loops, every thread's whole stack with the locks it holds and waits for,
 * and the machine's TCP sockets with their queues (a full accept queue, a request stuck in a send
 * queue). A hang that happens once in several runs is a defect to find, and this is the evidence it
 * leaves. Registered for every test class through the service file and JUnit's extension
 * autodetection.
 */
public class HangReport
    implements BeforeEachCallback, AfterEachCallback, TestExecutionExceptionHandler {

  private static final Logger log = LoggerFactory.getLogger(HangReport.class);

  /**
   * When the state is taken while a test still waits: the test clients wait 30 s, and once they
   * give up, cancelling the request cleans the pools and event loops up (the first reports, taken
   * after the timeout, showed nothing left waiting).
   */
  private static final Duration WHILE_WAITING = Duration.ofSeconds(25);

  private static final ScheduledExecutorService timer =
      Executors.newSingleThreadScheduledExecutor(
          task -> {
            Thread thread = new Thread(task, "hang-report");
            thread.setDaemon(true);
            return thread;
          });

  private static final ExtensionContext.Namespace NAMESPACE =
      ExtensionContext.Namespace.create(HangReport.class);

  /** The state taken while the test waited, written only if the test then times out. */
  private static final class WhileWaiting {
    final AtomicReference<String> state = new AtomicReference<>();
    final ScheduledFuture<?> taking =
        timer.schedule(
            () -> state.set(clientPools() + "\n" + threads() + "\n" + sockets()),
            WHILE_WAITING.toMillis(),
            TimeUnit.MILLISECONDS);
  }

  @Override
  public void beforeEach(ExtensionContext context) {
    context.getStore(NAMESPACE).put(WhileWaiting.class, new WhileWaiting());
  }

  @Override
  public void afterEach(ExtensionContext context) {
    WhileWaiting waiting =
        context.getStore(NAMESPACE).remove(WhileWaiting.class, WhileWaiting.class);
    if (waiting != null) {
      waiting.taking.cancel(false);
    }
  }

  @Override
  public void handleTestExecutionException(ExtensionContext context, Throwable failure)
      throws Throwable {
    if (isTimeout(failure)) {
      WhileWaiting waiting =
          context.getStore(NAMESPACE).get(WhileWaiting.class, WhileWaiting.class);
      String before = waiting == null ? null : waiting.state.get();
      log.error(
          "{} timed out waiting for an answer. Client pools, threads and sockets {} s into the"
              + " test, while it waited:\n{}\nAnd now, after the timeout:\n{}\n{}\n{}",
          context.getDisplayName(),
          WHILE_WAITING.toSeconds(),
          before == null ? "(not taken: the test timed out sooner)" : before,
          clientPools(),
          threads(),
          sockets());
    }
    throw failure;
  }

  static boolean isTimeout(Throwable failure) {
    for (Throwable t = failure; t != null; t = t.getCause()) {
      if (t instanceof TimeoutException
          || String.valueOf(t.getMessage()).startsWith("Timeout on blocking read")) {
        return true;
      }
    }
    return false;
  }

  /**
   * The JVM-wide Reactor Netty connection pools that {@code WebTestClient.bindToServer()} uses, one
   * per server address: connections acquired, idle, allocated and acquisitions waiting. Read by
   * reflection (Reactor Netty publishes them only as Micrometer gauges of clients built with
   * metrics on), so a pool whose slots are all taken by exchanges that never ended shows here.
   */
  static String clientPools() {
    StringBuilder out = new StringBuilder("client connection pools (HttpResources):\n");
    try {
      Object provider = field(HttpResources.get(), "defaultProvider");
      if (provider.getClass().getSimpleName().equals("HttpConnectionProvider")) {
        provider = field(provider, "http1ConnectionProvider");
      }
      Map<?, ?> pools = (Map<?, ?>) field(provider, "channelPools");
      for (Map.Entry<?, ?> pool : pools.entrySet()) {
        Object metrics = call(pool.getValue(), "metrics");
        out.append('\t')
            .append(field(pool.getKey(), "holder"))
            .append(": acquired ")
            .append(call(metrics, "acquiredSize"))
            .append(", idle ")
            .append(call(metrics, "idleSize"))
            .append(", allocated ")
            .append(call(metrics, "allocatedSize"))
            .append(" of ")
            .append(call(metrics, "getMaxAllocatedSize"))
            .append(", pending acquire ")
            .append(call(metrics, "pendingAcquireSize"))
            .append('\n');
      }
    } catch (ReflectiveOperationException | RuntimeException e) {
      out.append("\tnot readable: ").append(e).append('\n');
    }
    // a task waiting on an event loop that sleeps in epoll_wait is a lost wakeup
    out.append("client event loops, tasks waiting:");
    for (EventExecutor loop : HttpResources.get().onClient(true)) {
      out.append(' ')
          .append(loop instanceof SingleThreadEventExecutor single ? single.pendingTasks() : "?");
    }
    return out.append('\n').toString();
  }

  private static Object field(Object target, String name) throws ReflectiveOperationException {
    for (Class<?> type = target.getClass(); type != null; type = type.getSuperclass()) {
      try {
        Field field = type.getDeclaredField(name);
        field.setAccessible(true);
        return field.get(target);
      } catch (NoSuchFieldException e) {
        // declared higher up
      }
    }
    throw new NoSuchFieldException(target.getClass().getName() + "." + name);
  }

  private static Object call(Object target, String method) throws ReflectiveOperationException {
    Method m = target.getClass().getMethod(method);
    m.setAccessible(true);
    return m.invoke(target);
  }

  private static String threads() {
    Map<Long, ThreadInfo> infos = new java.util.HashMap<>();
    for (ThreadInfo info : ManagementFactory.getThreadMXBean().dumpAllThreads(true, true)) {
      infos.put(info.getThreadId(), info);
    }
    StringBuilder out = new StringBuilder();
    Thread.getAllStackTraces()
        .forEach(
            (thread, stack) -> {
              ThreadInfo info = infos.get(thread.getId());
              out.append('"').append(thread.getName()).append("\" ").append(thread.getState());
              if (info != null && info.getLockName() != null) {
                out.append(" on ").append(info.getLockName());
                if (info.getLockOwnerName() != null) {
                  out.append(" owned by \"").append(info.getLockOwnerName()).append('"');
                }
              }
              out.append('\n');
              for (StackTraceElement frame : stack) {
                out.append("\tat ").append(frame).append('\n');
              }
            });
    return out.toString();
  }

  private static String sockets() {
    try {
      // to a file, not a pipe: a busy machine's list can fill the pipe and stall ss
      Path list = Files.createTempFile("hang-report-sockets", ".txt");
      try {
        Process ss =
            new ProcessBuilder("ss", "-tanp")
                .redirectErrorStream(true)
                .redirectOutput(list.toFile())
                .start();
        if (!ss.waitFor(5, TimeUnit.SECONDS)) {
          ss.destroyForcibly();
          return "ss did not answer in 5 s";
        }
        return Files.readString(list);
      } finally {
        Files.deleteIfExists(list);
      }
    } catch (IOException e) {
      return "ss could not run: " + e;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return "interrupted";
    }
  }
}
