import com.sun.tools.attach.VirtualMachine;

/**
 * Starts or stops async-profiler in a running JVM through the JDK's attach API (bench.sh
 * PROFILE=async). Only a JDK is needed: the profiler's native library comes from its Maven Central
 * jar, which bench.sh fetches and unpacks.
 *
 * <pre>
 *   java bench/Profile.java PID LIBRARY start,event=cpu,interval=1ms,file=/abs/path/recording.jfr,jfr
 *   java bench/Profile.java PID LIBRARY stop
 * </pre>
 *
 * Why not JFR's own sampler: on this workload a JFR recording made the server about 4x slower
 * (walking its deep CompletableFuture stacks), so its figures were not the server's; async-profiler
 * changed W1's throughput by a few percent. Its recording is still a JFR file, for
 * bench/jfr-top.sh and JDK Mission Control.
 */
public class Profile {
  public static void main(String[] args) throws Exception {
    if (args.length != 3) {
      System.err.println("usage: java bench/Profile.java PID LIBRARY COMMAND");
      System.exit(2);
    }
    VirtualMachine vm = VirtualMachine.attach(args[0]);
    try {
      vm.loadAgentPath(args[1], args[2]);
    } finally {
      vm.detach();
    }
  }
}
