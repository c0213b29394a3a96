package dev.metropolis.launch;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * A hosted node: the node core as a child JVM process with its own state directory, started from
 * the built node jar. Its console goes to a log file. The state directory survives {@link #kill()}
 * and {@link #stop(Duration)}, so the node can be started again on the same state ("reboot").
 */
public final class NodeProcess implements AutoCloseable {
  /**
   * How to run one node. With a non-empty {@code dhcpInterface} the node takes its address by DHCP
   * on that interface and {@code address} is not used.
   */
  public record Spec(
      Path nodeJar,
      Path stateDir,
      Path logFile,
      String address,
      int curatorPort,
      int etcdPeerPort,
      String etcdClientHost,
      int etcdClientPort,
      List<String> wrapper,
      String dhcpInterface,
      Jvm jvm) {
    /** A node with the well-known ports, e.g. alone in its own network namespace. */
    public static Spec standard(Path nodeJar, Path stateDir, Path logFile, String address) {
      return new Spec(
          nodeJar,
          stateDir,
          logFile,
          address,
          7835,
          7834,
          "127.0.0.1",
          7833,
          List.of(),
          "",
          Jvm.DEFAULT);
    }
  }

  /**
   * How a node's JVM runs.
   *
   * @param ramMiB memory for the whole node (core JVM and etcd), as a VM's RAM would be; the heap
   *     gets an eighth of it (256 MiB at the default 2048), at least 64 MiB
   * @param cgroup the memory cgroup (v1) that enforces {@code ramMiB} on the node and its children,
   *     made at start and removed at stop; empty where there is none (not root)
   * @param aot the AOT cache policy
   * @param aotName the AOT cache's name (node 0 bootstraps, which loads other classes)
   */
  public record Jvm(int ramMiB, Optional<Path> cgroup, Aot aot, String aotName) {
    /** The qemu default of the reference launcher. */
    public static final int DEFAULT_RAM_MIB = 2048;

    /** Below this a node (core JVM with its smallest heap, plus etcd) does not fit. */
    public static final int MIN_RAM_MIB = 256;

    public static final Jvm DEFAULT =
        new Jvm(DEFAULT_RAM_MIB, Optional.empty(), Aot.USE, "metropolis-node");

    public Jvm {
      if (ramMiB < MIN_RAM_MIB) {
        throw new IllegalArgumentException(
            "ramMiB: must be at least " + MIN_RAM_MIB + ", got " + ramMiB);
      }
    }

    public int heapMiB() {
      return Math.max(64, ramMiB / 8);
    }
  }

  /**
   * JVM flags of a node: a small heap that grows only as needed (the JVM's default initial heap is
   * 1/64 of the host's memory, which alone broke the 200 MiB budget for node + etcd), the serial
   * collector and C1 only (fast start, low footprint), a young generation of at most 8 MiB (an idle
   * node's eden otherwise grows to a third of the heap and stays resident). The maximum heap comes
   * from {@link Jvm#heapMiB()}. Keep in sync with ./metropolis.
   */
  public static final List<String> JVM_FLAGS =
      List.of(
          "-Xms24m",
          "-XX:MaxNewSize=8m",
          "-XX:MinHeapFreeRatio=10",
          "-XX:MaxHeapFreeRatio=30",
          "-XX:+UseSerialGC",
          "-XX:TieredStopAtLevel=1",
          "-XX:ReservedCodeCacheSize=32m",
          "-Xss512k",
          "--enable-native-access=ALL-UNNAMED",
          "--sun-misc-unsafe-memory-access=allow");

  private final Spec spec;
  private Process process;

  public NodeProcess(Spec spec) {
    this.spec = spec;
  }

  public Spec spec() {
    return spec;
  }

  /** Starts the process; its output is appended to the log file. */
  public synchronized void start() throws IOException {
    if (process != null && process.isAlive()) {
      throw new IllegalStateException("node at " + spec.address() + " is already running");
    }
    Files.createDirectories(spec.stateDir());
    Files.createDirectories(spec.logFile().getParent());
    List<String> flags = new ArrayList<>(JVM_FLAGS);
    flags.add("-Xmx" + spec.jvm().heapMiB() + "m");
    List<String> cmd = new ArrayList<>();
    if (spec.jvm().cgroup().isPresent()) {
      cmd.addAll(MemoryCgroup.enter(spec.jvm().cgroup().get(), spec.jvm().ramMiB()));
    }
    cmd.addAll(spec.wrapper());
    cmd.add(javaBinary());
    cmd.addAll(flags);
    cmd.addAll(spec.jvm().aot().flags(spec.nodeJar(), spec.jvm().aotName(), flags));
    cmd.addAll(
        List.of(
            "-jar",
            spec.nodeJar().toString(),
            "--state-dir=" + spec.stateDir(),
            spec.dhcpInterface().isEmpty()
                ? "--address=" + spec.address()
                : "--dhcp-interface=" + spec.dhcpInterface(),
            "--curator-port=" + spec.curatorPort(),
            "--etcd-peer-port=" + spec.etcdPeerPort(),
            "--etcd-client-host=" + spec.etcdClientHost(),
            "--etcd-client-port=" + spec.etcdClientPort()));
    ProcessBuilder pb = new ProcessBuilder(cmd);
    // glibc's default of 8 malloc arenas per core only fragments a small JVM's native memory
    pb.environment().put("MALLOC_ARENA_MAX", "2");
    process =
        pb.redirectErrorStream(true)
            .redirectOutput(ProcessBuilder.Redirect.appendTo(spec.logFile().toFile()))
            .start();
  }

  public synchronized Optional<Long> pid() {
    return process == null ? Optional.empty() : Optional.of(process.pid());
  }

  public synchronized boolean isAlive() {
    return process != null && process.isAlive();
  }

  /** Hard power-off: SIGKILL to the node and its children (etcd). */
  public synchronized void kill() throws InterruptedException {
    if (process == null) {
      return;
    }
    process.descendants().forEach(ProcessHandle::destroyForcibly);
    process.destroyForcibly();
    process.waitFor(30, TimeUnit.SECONDS);
    // etcd may outlive its parent for a moment; wait for every child to be gone.
    for (ProcessHandle h : process.descendants().toList()) {
      h.onExit().orTimeout(10, TimeUnit.SECONDS).exceptionally(t -> null).join();
    }
    removeCgroup();
  }

  /** Clean shutdown: SIGTERM, then SIGKILL after {@code grace}. */
  public synchronized void stop(Duration grace) throws InterruptedException {
    if (process == null) {
      return;
    }
    if (process.isAlive()) {
      var children = process.descendants().toList();
      process.destroy();
      if (!process.waitFor(grace.toMillis(), TimeUnit.MILLISECONDS)) {
        kill();
      }
      for (ProcessHandle h : children) {
        if (h.isAlive()) {
          h.destroyForcibly();
        }
      }
    }
    removeCgroup();
  }

  /** A stopped node leaves no cgroup behind; the next start makes it anew. */
  private void removeCgroup() throws InterruptedException {
    if (spec.jvm().cgroup().isPresent()) {
      MemoryCgroup.remove(spec.jvm().cgroup().get());
    }
  }

  public String log() throws IOException {
    return Files.exists(spec.logFile()) ? Files.readString(spec.logFile()) : "";
  }

  @Override
  public void close() {
    try {
      stop(Duration.ofSeconds(15));
    } catch (InterruptedException e) {
      // Closing is best effort: keep the interrupt for the caller and stop waiting.
      Thread.currentThread().interrupt();
    }
  }

  static String javaBinary() {
    return ProcessHandle.current()
        .info()
        .command()
        .orElse(System.getProperty("java.home") + "/bin/java");
  }
}
