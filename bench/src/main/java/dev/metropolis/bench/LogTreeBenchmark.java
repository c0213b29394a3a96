package dev.metropolis.bench;

import dev.metropolis.osbase.logtree.DN;
import dev.metropolis.osbase.logtree.LogEntry;
import dev.metropolis.osbase.logtree.LogReader;
import dev.metropolis.osbase.logtree.LogTree;
import dev.metropolis.osbase.logtree.Logger;
import dev.metropolis.osbase.logtree.RawLogger;
import dev.metropolis.osbase.logtree.ReadOptions;
import dev.metropolis.osbase.logtree.Severity;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Throughput of the log tree: appends (leveled, raw, contended, with a live reader) and backlog
 * reads (one full DN, one subtree). Run: {@code java -jar bench/target/benchmarks.jar
 * LogTreeBenchmark}.
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Fork(1)
@Warmup(iterations = 2, time = 1)
@Measurement(iterations = 3, time = 2)
public class LogTreeBenchmark {
  private static final ReadOptions ALL = ReadOptions.backlogOnly();

  /** One tree shared by all benchmark threads; its rings are full after warm-up. */
  @State(Scope.Benchmark)
  public static class Tree {
    LogTree tree;
    final AtomicInteger threads = new AtomicInteger();

    @Setup(Level.Trial)
    public void setup() {
      tree = new LogTree();
    }
  }

  /** Each benchmark thread writes to its own DN of the shared tree. */
  @State(Scope.Thread)
  public static class Writer {
    Logger logger;
    RawLogger raw;

    @Setup(Level.Trial)
    public void setup(Tree t) {
      DN dn = DN.of("root.svc" + t.threads.getAndIncrement());
      logger = t.tree.logger(dn);
      raw = t.tree.raw(dn.child("proc"));
    }
  }

  /** Append with a reader of the whole tree streaming on another thread. */
  @State(Scope.Benchmark)
  public static class Streamed {
    LogTree tree;
    Logger logger;
    LogReader reader;
    Thread drainer;
    final AtomicInteger drained = new AtomicInteger();

    @Setup(Level.Trial)
    public void setup() {
      tree = new LogTree();
      logger = tree.logger(DN.of("root.svc"));
      reader = tree.read(DN.ROOT, ALL.withChildren(true).backlog(0).stream(true));
      drainer =
          Thread.ofPlatform()
              .daemon()
              .start(() -> {
                try {
                  while (reader.take() != null) {
                    drained.incrementAndGet();
                  }
                } catch (InterruptedException e) {
                  Thread.currentThread().interrupt();
                }
              });
    }

    @TearDown(Level.Trial)
    public void tearDown() throws InterruptedException {
      reader.close();
      drainer.join();
      System.out.printf(
          "%nstreaming reader: %d entries read, %d missed%n", drained.get(), reader.missed());
    }
  }

  /** A tree with one full DN, and 64 DNs of 128 entries under root.svc beside 64 others. */
  @State(Scope.Benchmark)
  public static class Filled {
    LogTree tree;
    DN full = DN.of("root.full");
    DN subtree = DN.of("root.svc");

    @Setup(Level.Trial)
    public void setup() {
      tree = new LogTree();
      Logger f = tree.logger(full);
      for (int i = 0; i < LogTree.RING_SIZE; i++) {
        f.logAt(Severity.INFO, "Bench.java:1", "entry " + i);
      }
      for (int d = 0; d < 64; d++) {
        Logger in = tree.logger(subtree.child("s" + d));
        Logger out = tree.logger(DN.of("root.other.s" + d));
        for (int i = 0; i < 128; i++) {
          in.logAt(Severity.INFO, "Bench.java:1", "entry " + i);
          out.logAt(Severity.INFO, "Bench.java:1", "entry " + i);
        }
      }
    }
  }

  @Benchmark
  @Threads(1)
  public void appendLeveled(Writer w) {
    w.logger.info("request served");
  }

  @Benchmark
  @Threads(2)
  public void appendLeveled2Threads(Writer w) {
    w.logger.info("request served");
  }

  /** Leveled append without the caller-location stack walk, to show what the walk costs. */
  @Benchmark
  @Threads(1)
  public void appendLeveledKnownLocation(Writer w) {
    w.logger.logAt(Severity.INFO, "Bench.java:1", "request served");
  }

  @Benchmark
  @Threads(1)
  public void appendRaw(Writer w) {
    w.raw.write("I1124 13:30:45.996960    1234 server.go:48] a line from a child process");
  }

  @Benchmark
  @Threads(1)
  public void appendLeveledWithStreamingReader(Streamed s) {
    s.logger.info("request served");
  }

  /** Backlog read of one DN holding a full ring of 8192 entries. */
  @Benchmark
  @Threads(1)
  public List<LogEntry> readFullDn(Filled f) {
    try (LogReader r = f.tree.read(f.full, ALL)) {
      return r.backlog();
    }
  }

  /** Backlog read of a subtree of 64 DNs (8192 entries), next to 64 DNs outside it. */
  @Benchmark
  @Threads(1)
  public List<LogEntry> readSubtree64Dns(Filled f) {
    try (LogReader r = f.tree.read(f.subtree, ALL.withChildren(true))) {
      return r.backlog();
    }
  }

  /** The last 100 entries of the same subtree. */
  @Benchmark
  @Threads(1)
  public List<LogEntry> readSubtreeLast100(Filled f) {
    try (LogReader r = f.tree.read(f.subtree, ALL.withChildren(true).backlog(100))) {
      return r.backlog();
    }
  }
}
