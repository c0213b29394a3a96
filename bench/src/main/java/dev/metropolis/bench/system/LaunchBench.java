package dev.metropolis.bench.system;

import dev.metropolis.launch.Aot;
import dev.metropolis.launch.Directories;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * Whole-system benchmark of the README's first command: the time from starting {@code
 * launch-cluster --num-nodes 3} to its "Launch: Cluster running!" line, beside the time a bare
 * three-member etcd cluster (plain HTTP on loopback, no Metropolis) takes to form on the same
 * machine, in alternating rounds of the same run. Also reads each node's memory (core process plus
 * its etcd) once the cluster runs, and how long SIGTERM takes to leave nothing behind.
 *
 * <p>Needs root, as launch-cluster does. Run with {@code ./metropolis bench-system launch [ROUNDS]}
 * (see docs/benchmarks.md).
 */
public final class LaunchBench {
  private LaunchBench() {}

  private static final Pattern PID = Pattern.compile("\"pid\": (\\d+)");

  /**
   * What one launch measured: the time to "Cluster running!", the CPU its whole process tree had
   * used by then (launcher, nanoswitch, nodes, etcd), each node's memory, the time to stop.
   */
  record Launch(long runningMillis, long cpuMillis, List<Long> nodeRssKiB, long stopMillis) {}

  /**
   * Bare etcd formations per round. One election decides a formation's time: about 0.3 s when the
   * first campaign wins, 1-2 s when it has to wait out another election timeout. A median of three
   * was whichever mode two of them hit; five per round steady it.
   */
  static final int ETCD_PER_ROUND = 5;

  public static void main(String[] argv) throws Exception {
    int rounds = argv.length > 0 ? Integer.parseInt(argv[0]) : 3;
    Path root = Path.of(System.getProperty("metropolis.root", ".")).toAbsolutePath().normalize();
    Path launchJar = root.resolve("launch/target/metropolis-launch.jar");
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    List<Long> etcd = new ArrayList<>();
    List<Launch> launches = new ArrayList<>();
    List<List<Long>> etcdByRound = new ArrayList<>();
    for (int r = 0; r < rounds; r++) {
      say(
          "round "
              + (r + 1)
              + "/"
              + rounds
              + ": "
              + ETCD_PER_ROUND
              + " bare 3-member etcd clusters");
      List<Long> these = new ArrayList<>();
      for (int k = 0; k < ETCD_PER_ROUND; k++) {
        these.add(bareEtcd());
      }
      etcdByRound.add(these);
      etcd.addAll(these);
      say("round " + (r + 1) + "/" + rounds + ": launch-cluster --num-nodes 3");
      launches.add(launch(java, root, launchJar));
    }
    long etcdMedian = median(etcd);
    long launchMedian = median(launches.stream().map(Launch::runningMillis).toList());
    long cpuMedian = median(launches.stream().map(Launch::cpuMillis).toList());
    System.out.println();
    System.out.println(
        "| round | bare etcd ms (each) | launch-cluster ms | launch CPU ms | ratio to round's"
            + " etcd median | stop ms |");
    System.out.println("|---|---|---|---|---|---|");
    for (int r = 0; r < rounds; r++) {
      Launch l = launches.get(r);
      System.out.printf(
          "| %d | %s | %d | %d | %.1f | %d |%n",
          r + 1,
          etcdByRound.get(r).stream().map(String::valueOf).collect(Collectors.joining(" ")),
          l.runningMillis(),
          l.cpuMillis(),
          (double) l.runningMillis() / median(etcdByRound.get(r)),
          l.stopMillis());
    }
    System.out.printf(
        "| median | %d (of %d) | %d | %d | %.1f | |%n",
        etcdMedian, etcd.size(), launchMedian, cpuMedian, (double) launchMedian / etcdMedian);
    System.out.printf(
        "CPU floor: %d ms of CPU on %d cores needs at least %d ms of wall time%n",
        cpuMedian,
        Runtime.getRuntime().availableProcessors(),
        cpuMedian / Runtime.getRuntime().availableProcessors());
    System.out.println();
    Launch last = launches.getLast();
    for (int i = 0; i < last.nodeRssKiB().size(); i++) {
      System.out.printf("node %d: core + etcd RSS %d MiB%n", i, last.nodeRssKiB().get(i) / 1024);
    }
  }

  /** Starts three etcd members, returns the milliseconds until every one reports healthy. */
  static long bareEtcd() throws Exception {
    Path dir = Files.createTempDirectory("bench-etcd-");
    List<Process> members = new ArrayList<>();
    try {
      int[] client = {freePort(), freePort(), freePort()};
      int[] peer = {freePort(), freePort(), freePort()};
      StringBuilder initial = new StringBuilder();
      for (int i = 0; i < 3; i++) {
        initial.append(i > 0 ? "," : "").append("m").append(i).append("=http://127.0.0.1:");
        initial.append(peer[i]);
      }
      long t0 = System.nanoTime();
      for (int i = 0; i < 3; i++) {
        members.add(
            new ProcessBuilder(
                    "etcd",
                    "--name=m" + i,
                    "--data-dir=" + dir.resolve("m" + i),
                    "--listen-client-urls=http://127.0.0.1:" + client[i],
                    "--advertise-client-urls=http://127.0.0.1:" + client[i],
                    "--listen-peer-urls=http://127.0.0.1:" + peer[i],
                    "--initial-advertise-peer-urls=http://127.0.0.1:" + peer[i],
                    "--initial-cluster=" + initial,
                    "--initial-cluster-state=new",
                    "--initial-cluster-token=bench")
                .redirectErrorStream(true)
                .redirectOutput(dir.resolve("m" + i + ".log").toFile())
                .start());
      }
      HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(1)).build();
      for (int i = 0; i < 3; i++) {
        awaitHealthy(http, client[i]);
      }
      return (System.nanoTime() - t0) / 1_000_000;
    } finally {
      for (Process p : members) {
        p.destroy();
        if (!p.waitFor(10, TimeUnit.SECONDS)) {
          p.destroyForcibly().waitFor();
        }
      }
      Directories.deleteTree(dir);
    }
  }

  private static void awaitHealthy(HttpClient http, int port) throws Exception {
    long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
    HttpRequest req =
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/health"))
            .timeout(Duration.ofSeconds(2))
            .build();
    while (System.nanoTime() < deadline) {
      try {
        String body = http.send(req, HttpResponse.BodyHandlers.ofString()).body();
        if (body.contains("\"health\":\"true\"")) {
          return;
        }
      } catch (IOException e) {
        // Not listening yet.
      }
      Thread.sleep(20);
    }
    throw new IllegalStateException("etcd on port " + port + " not healthy within 60 s");
  }

  /** Runs launch-cluster until it says the cluster runs, measures, then stops it with SIGTERM. */
  static Launch launch(String java, Path root, Path launchJar) throws Exception {
    Path dir = Files.createTempDirectory("bench-launch-");
    Files.delete(dir);
    long t0 = System.nanoTime();
    // The launcher's JVM as ./metropolis launch-cluster runs it, with its AOT cache when fresh.
    List<String> cmd =
        new ArrayList<>(
            List.of(
                java,
                "-XX:TieredStopAtLevel=1",
                "-XX:+UseSerialGC",
                "-XX:-UsePerfData",
                "--enable-native-access=ALL-UNNAMED",
                "-Xlog:disable",
                "-Xlog:all=error:stderr"));
    if (Aot.fresh(launchJar, "metropolis-launch")) {
      cmd.add("-XX:AOTCache=" + Aot.cache(launchJar, "metropolis-launch"));
    }
    cmd.addAll(
        List.of(
            "-Dmetropolis.root=" + root,
            "-jar",
            launchJar.toString(),
            "--num-nodes=3",
            "--quiet-nodes",
            "--launch-dir=" + dir));
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    try {
      BufferedReader out =
          new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
      String line;
      long running = -1;
      while ((line = out.readLine()) != null) {
        if (line.contains("Launch: Cluster running!")) {
          running = (System.nanoTime() - t0) / 1_000_000;
          break;
        }
      }
      if (running < 0) {
        throw new IllegalStateException("launch-cluster exited before the cluster ran");
      }
      long cpu = treeCpuMillis(p.toHandle());
      // Keep draining its output so that it never blocks on a full pipe.
      Thread drain =
          Thread.ofVirtual()
              .start(() -> {
                try {
                  while (out.readLine() != null) {
                    // discard
                  }
                } catch (IOException e) {
                  // the process ended
                }
              });
      List<Long> rss = new ArrayList<>();
      Matcher m = PID.matcher(Files.readString(dir.resolve("cluster.json")));
      while (m.find()) {
        long pid = Long.parseLong(m.group(1));
        long kib = OneNodeBench.rssKiB(pid);
        for (ProcessHandle child : ProcessHandle.of(pid).orElseThrow().children().toList()) {
          kib += OneNodeBench.rssKiB(child.pid());
        }
        rss.add(kib);
      }
      long s0 = System.nanoTime();
      p.toHandle().destroy(); // SIGTERM, keeping our end of its output open
      if (!p.waitFor(60, TimeUnit.SECONDS)) {
        throw new IllegalStateException("launch-cluster did not stop within 60 s of SIGTERM");
      }
      long stop = (System.nanoTime() - s0) / 1_000_000;
      drain.join(5000);
      return new Launch(running, cpu, rss, stop);
    } finally {
      if (p.isAlive()) {
        p.destroyForcibly().waitFor();
      }
      Directories.deleteTree(dir);
    }
  }

  /** CPU (user + system) used so far by {@code root} and every live descendant, from /proc. */
  static long treeCpuMillis(ProcessHandle root) {
    long ticks = 0;
    for (ProcessHandle h :
        java.util.stream.Stream.concat(java.util.stream.Stream.of(root), root.descendants())
            .toList()) {
      try {
        String stat = Files.readString(Path.of("/proc/" + h.pid() + "/stat"));
        // Fields after the command name, which may hold spaces: utime and stime are 12th, 13th.
        String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ", -1);
        ticks += Long.parseLong(f[11]) + Long.parseLong(f[12]);
      } catch (IOException e) {
        // It ended meanwhile.
      }
    }
    return ticks * 1000 / CLOCK_TICKS;
  }

  /** USER_HZ: /proc's tick unit, 100 on every Linux architecture this runs on. */
  private static final long CLOCK_TICKS = 100;

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }

  private static long median(List<Long> xs) {
    List<Long> s = new ArrayList<>(xs);
    s.sort(null);
    return s.get(s.size() / 2);
  }

  private static void say(String s) {
    System.err.println("bench: " + s);
  }
}
