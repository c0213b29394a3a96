package dev.metropolis.bench.system;

import dev.metropolis.launch.Directories;
import dev.metropolis.launch.InsecureOwnerKey;
import dev.metropolis.launch.LocalCluster;
import dev.metropolis.launch.NodeParametersFiles;
import dev.metropolis.osbase.net.socks.Socks5Server;
import dev.metropolis.osbase.pki.Pem;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Whole-system benchmark of one real node: the wall time of {@code metroctl node describe} (a new
 * JVM each time, as an operator runs it) and the idle memory of the node core process plus etcd.
 *
 * <p>The machines this runs on are noisy, so every metroctl variant runs interleaved with the
 * others in the same session, beside a baseline (a JVM that prints its version and exits): compare
 * variants with each other and with the baseline, not with numbers from another day.
 *
 * <p>Run with {@code ./metropolis bench-system [RUNS]} (see docs/benchmarks.md).
 */
public final class OneNodeBench {
  private OneNodeBench() {}

  /** One way of starting metroctl: the whole command line. */
  record Variant(String name, List<String> command) {}

  public static void main(String[] argv) throws Exception {
    int runs = argv.length > 0 ? Integer.parseInt(argv[0]) : 15;
    Path root = Path.of(System.getProperty("metropolis.root", ".")).toAbsolutePath().normalize();
    Path nodeJar = root.resolve("node/target/metropolis-node.jar");
    Path ctlJar = root.resolve("metroctl/target/metroctl.jar");
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    Path work = Files.createTempDirectory("metropolis-bench-");
    Socks5Server socks = null;
    try (LocalCluster cluster =
        LocalCluster.bootstrap(nodeJar, NodeParametersFiles.testConfiguration("bench.test"))) {
      Path config = work.resolve("metroctl");
      Files.createDirectories(config);
      Files.writeString(
          config.resolve("owner-key.pem"),
          Pem.encodeOwnerKey(InsecureOwnerKey.keyPair().getPrivate()));
      List<String> common =
          List.of("--config=" + config, "--endpoints=" + cluster.address(0), "node", "describe");
      say("taking ownership");
      runRaw(
          javaJar(
              java,
              ctlJar,
              List.of(
                  "--config=" + config,
                  "--endpoints=" + cluster.address(0),
                  "--insecure-accept-and-persist-first-encountered-ca",
                  "cluster",
                  "takeownership")));
      // The operator's path: ./metropolis metroctl, which trains its AOT cache on the first
      // successful run after a build. Launched clusters are reached through a SOCKS5 proxy, so
      // that path is timed too, through the same proxy code the nanoswitch runs.
      socks =
          Socks5Server.start(
              new InetSocketAddress(InetAddress.getLoopbackAddress(), 0),
              a -> true,
              (dest, timeout) -> {
                SocketChannel ch = SocketChannel.open();
                ch.socket().connect(dest, (int) timeout.toMillis());
                return ch;
              },
              e -> {});
      List<String> wrapper = List.of(root.resolve("metropolis").toString(), "metroctl");
      List<String> viaProxy = new ArrayList<>(common);
      viaProxy.addFirst("--proxy=127.0.0.1:" + socks.localAddress().getPort());
      say("training the wrapper's AOT cache (first run after a build)");
      Files.deleteIfExists(root.resolve("metroctl/target/metroctl.aot"));
      runRaw(concat(wrapper, common));

      List<Variant> variants =
          List.of(
              new Variant("baseline: java -version", List.of(java, "-version")),
              new Variant(
                  "java -jar metroctl.jar (default JVM flags)", javaJar(java, ctlJar, common)),
              new Variant("./metropolis metroctl (AOT cache)", concat(wrapper, common)),
              new Variant(
                  "./metropolis metroctl (AOT cache) via SOCKS5 proxy", concat(wrapper, viaProxy)));
      Map<Variant, List<Long>> times = new LinkedHashMap<>();
      for (Variant v : variants) {
        times.put(v, new ArrayList<>());
      }
      say("timing " + runs + " interleaved rounds");
      for (int i = 0; i < runs; i++) {
        for (Variant v : variants) {
          long t0 = System.nanoTime();
          runRaw(v.command());
          times.get(v).add((System.nanoTime() - t0) / 1_000_000);
        }
      }

      say("letting the node idle for 30 s before reading its memory");
      Thread.sleep(Duration.ofSeconds(30));
      long nodePid = cluster.node(0).pid().orElseThrow();
      long nodeRss = rssKiB(nodePid);
      long etcdRss = 0;
      for (ProcessHandle child : ProcessHandle.of(nodePid).orElseThrow().children().toList()) {
        etcdRss += rssKiB(child.pid());
      }

      System.out.println();
      System.out.println("| metroctl run | median ms | p90 ms | min ms |");
      System.out.println("|---|---|---|---|");
      for (var e : times.entrySet()) {
        List<Long> t = new ArrayList<>(e.getValue());
        t.sort(null);
        System.out.printf(
            "| %s | %d | %d | %d |%n",
            e.getKey().name(), t.get(t.size() / 2), t.get((t.size() * 9) / 10), t.getFirst());
      }
      System.out.println();
      System.out.printf(
          "Idle RSS after 30 s: node core %d MiB + etcd %d MiB = %d MiB%n",
          nodeRss / 1024, etcdRss / 1024, (nodeRss + etcdRss) / 1024);
    } finally {
      if (socks != null) {
        socks.close();
      }
      Directories.deleteTree(work);
    }
  }

  private static List<String> javaJar(String java, Path jar, List<String> args) {
    return concat(List.of(java, "-jar", jar.toString()), args);
  }

  private static List<String> concat(List<String> a, List<String> b) {
    List<String> out = new ArrayList<>(a);
    out.addAll(b);
    return out;
  }

  private static void runRaw(List<String> cmd) throws IOException, InterruptedException {
    Path err = Files.createTempFile("bench-stderr-", ".txt");
    try {
      Process p =
          new ProcessBuilder(cmd)
              .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")))
              .redirectErrorStream(true)
              .redirectOutput(err.toFile())
              .start();
      if (!p.waitFor(120, TimeUnit.SECONDS) || p.exitValue() != 0) {
        p.destroyForcibly();
        throw new IllegalStateException(
            "failed (exit "
                + (p.isAlive() ? "timeout" : p.exitValue())
                + "): "
                + String.join(" ", cmd)
                + "\n"
                + Files.readString(err));
      }
    } finally {
      Files.deleteIfExists(err);
    }
  }

  /** Resident set size of a process from /proc, in KiB. */
  static long rssKiB(long pid) throws IOException {
    for (String line : Files.readAllLines(Path.of("/proc", Long.toString(pid), "status"))) {
      if (line.startsWith("VmRSS:")) {
        return Long.parseLong(line.replaceAll("[^0-9]", ""));
      }
    }
    throw new IOException("no VmRSS for pid " + pid);
  }

  private static void say(String s) {
    System.err.println("bench: " + s);
  }
}
