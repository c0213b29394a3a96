package dev.metropolis.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.metropolis.launch.Directories;
import dev.metropolis.launch.Eventually;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The README's first command, for real: the launch-cluster jar starts 2 nodes in their own network
 * namespaces behind the nanoswitch, the printed wrapper drives them through SOCKS5, and SIGTERM
 * leaves no process, namespace or directory behind. Needs root (network namespaces), as
 * launch-cluster itself does.
 */
class LaunchClusterIT {
  private static final Pattern WRAPPER = Pattern.compile("Or use this handy wrapper: (\\S+)");

  @Test
  void launchesDrivesAndCleansUp() throws Exception {
    assumeTrue(Harness.isRoot(), "launch-cluster needs root for network namespaces");
    Path launchDir = Files.createTempDirectory("launch-it-");
    Files.delete(launchDir); // launch-cluster creates it; we check it is kept with --launch-dir
    // launch-cluster adds its kubectl context here, not to this user's own kubeconfig
    Path kubeconfig = Files.createTempFile("launch-it-kubeconfig-", "");
    Files.delete(kubeconfig);
    ProcessBuilder pb =
        new ProcessBuilder(
                launchCluster(
                    List.of(),
                    "--num-nodes=2",
                    "--kubernetes-worker=1",
                    "--ram=512M",
                    "--quiet-nodes",
                    "--launch-dir=" + launchDir))
            .redirectErrorStream(true);
    pb.environment().put("KUBECONFIG", kubeconfig.toString());
    Process p = pb.start();
    StringBuilder out = new StringBuilder();
    List<Path> cgroups = List.of();
    try (var r =
        new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
      String wrapper = awaitWrapper(r, out);
      assertEquals("  To access Kubernetes, use kubectl --context=launch-cluster", r.readLine());
      assertTrue(out.toString().contains("Launch: Cluster running!\n"), out.toString());
      assertTrue(
          out.toString().contains("--endpoints 10.1.0.2 --endpoints 10.1.0.3"), out.toString());
      String json = Files.readString(launchDir.resolve("cluster.json"));
      assertTrue(json.contains("\"address\": \"10.1.0.3\""), json);
      cgroups = nodeCgroups(json);

      String describe = describeUp(wrapper, 2);
      assertTrue(describe.contains("KubernetesWorker"), describe);
      assertTrue(describe.contains("HEALTHY"), describe);

      // Node-local calls go straight to the node in its namespace, through the SOCKS5 entrance.
      String id =
          describe
              .lines()
              .filter(l -> l.matches("metropolis-\\S+\\s+UP\\s+10\\.1\\.0\\.3\\s.*"))
              .map(l -> l.split(" ", -1)[0])
              .findFirst()
              .orElseThrow();
      String logs = run(wrapper, "node", "logs", id, "--dn", "root.enrolment", "-e");
      assertTrue(logs.startsWith("=== Logs from " + id + " (10.1.0.3):\n"), logs);
      assertTrue(logs.contains("Cluster enrolment done."), logs);
      String metrics = run(wrapper, "node", "metrics", id, "node");
      assertTrue(metrics.contains("node_network_receive_bytes_total{device=\"eth0\"}"), metrics);

      // kubectl through the context launch-cluster installed (credentials from the wrapper)
      Eventually.testEventual(
          "node 1 Ready in kubectl --context=launch-cluster get nodes",
          Duration.ofSeconds(60),
          () -> {
            String nodes =
                run(
                    Map.of("KUBECONFIG", kubeconfig.toString()),
                    "/usr/bin/kubectl",
                    "--context=launch-cluster",
                    "get",
                    "nodes",
                    "--no-headers");
            assertTrue(nodes.matches("(?s)" + id + " +Ready +KubernetesWorker .*"), nodes);
          });

      stop(p, r, out);
    } finally {
      ensureStopped(p);
    }
    assertNothingLeft(out, launchDir);
    for (Path g : cgroups) {
      assertFalse(Files.exists(g), "memory cgroup left behind: " + g);
    }
    String left = Files.readString(kubeconfig);
    assertFalse(left.contains("launch-cluster"), "the kubectl context was not removed:\n" + left);
    Files.delete(kubeconfig);
    assertTrue(Files.exists(launchDir.resolve("node-0.log")), "--launch-dir keeps the logs");
    try (var s = Files.walk(launchDir)) {
      s.sorted(java.util.Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
    }
  }

  /** The launch-cluster jar's command line with {@code args}, run through {@code prefix}. */
  private static List<String> launchCluster(List<String> prefix, String... args) {
    List<String> cmd = new ArrayList<>(prefix);
    cmd.addAll(
        List.of(
            javaBinary(),
            "--enable-native-access=ALL-UNNAMED",
            "-Dmetropolis.root=" + Harness.root(),
            "-jar",
            Harness.root().resolve("launch/target/metropolis-launch.jar").toString()));
    cmd.addAll(List.of(args));
    return cmd;
  }

  /** Reads launch-cluster's output into {@code out} until it names its wrapper, and returns it. */
  private static String awaitWrapper(BufferedReader r, StringBuilder out) throws Exception {
    String line;
    while ((line = r.readLine()) != null) {
      out.append(line).append('\n');
      Matcher m = WRAPPER.matcher(line);
      if (m.find()) {
        return m.group(1);
      }
    }
    throw new AssertionError("launch-cluster never printed its wrapper:\n" + out);
  }

  /** {@code node describe} through the wrapper, checked to list {@code n} UP nodes. */
  private static String describeUp(String wrapper, int n) throws Exception {
    String describe = run(wrapper, "node", "describe");
    assertEquals(
        n,
        describe
            .lines()
            .filter(l -> l.matches("metropolis-\\S+\\s+UP\\s+10\\.1\\.0\\.\\d.*"))
            .count(),
        describe);
    return describe;
  }

  /** SIGTERM, as a user's kill would; Process.destroy() would also close our end of its output. */
  private static void stop(Process p, BufferedReader r, StringBuilder out) throws Exception {
    p.toHandle().destroy();
    // The rest of its output ends when it exits.
    r.lines().forEach(l -> out.append(l).append('\n'));
    assertTrue(p.waitFor(60, TimeUnit.SECONDS), "launch-cluster did not stop in 60 s");
  }

  /** On failure too: SIGTERM lets launch-cluster remove its namespaces and processes. */
  private static void ensureStopped(Process p) throws InterruptedException {
    if (p.isAlive()) {
      p.toHandle().destroy();
      if (!p.waitFor(60, TimeUnit.SECONDS)) {
        p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
      }
    }
  }

  /**
   * Checks that the launch stopped cleanly: none of its namespaces (the nodes' from cluster.json,
   * and the switch's) and none of its processes are left. Other clusters on this machine may come
   * and go meanwhile.
   */
  private static void assertNothingLeft(CharSequence out, Path launchDir) throws Exception {
    assertTrue(out.toString().contains("Stopped; nothing left behind"), out.toString());
    List<String> ours = new ArrayList<>();
    Matcher m =
        Pattern.compile("\"namespace\": \"((\\S+)-n\\d+)\"")
            .matcher(Files.readString(launchDir.resolve("cluster.json")));
    while (m.find()) {
      ours.add(m.group(1));
      ours.add(m.group(2) + "-sw");
    }
    assertFalse(ours.isEmpty(), "cluster.json names no namespace");
    List<String> left = namespaces();
    left.retainAll(ours);
    assertEquals(List.of(), left, "namespaces left behind");
    assertFalse(
        ProcessHandle.allProcesses()
            .anyMatch(h -> h.info().commandLine().orElse("").contains(launchDir.toString())),
        "a process of the launched cluster is still running");
  }

  private static final Pattern PID = Pattern.compile("\"pid\": (\\d+)");

  /**
   * Checks that every node of cluster.json runs, with its etcd, in a memory cgroup of its own
   * limited to --ram (512 MiB) and with an eighth of it as heap; returns the cgroups.
   */
  private static List<Path> nodeCgroups(String clusterJson) throws Exception {
    List<Path> out = new ArrayList<>();
    Matcher m = PID.matcher(clusterJson);
    while (m.find()) {
      long pid = Long.parseLong(m.group(1));
      Path g = memoryCgroup(pid);
      assertTrue(g.getFileName().toString().startsWith("node-"), g.toString());
      assertEquals(
          512L << 20,
          Long.parseLong(Files.readString(g.resolve("memory.limit_in_bytes")).trim()),
          "limit of " + g);
      String cmdline = Files.readString(Path.of("/proc/" + pid + "/cmdline")).replace('\0', ' ');
      assertTrue(cmdline.contains(" -Xmx64m "), cmdline);
      for (ProcessHandle child : ProcessHandle.of(pid).orElseThrow().children().toList()) {
        assertEquals(g, memoryCgroup(child.pid()), "cgroup of child " + child.pid() + " of " + pid);
      }
      out.add(g);
    }
    assertEquals(2, out.size(), clusterJson);
    assertFalse(out.get(0).equals(out.get(1)), "each node has its own cgroup: " + out);
    return out;
  }

  private static Path memoryCgroup(long pid) throws Exception {
    for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/cgroup"))) {
      String[] f = line.split(":", 3);
      if (List.of(f[1].split(",", -1)).contains("memory")) {
        return Path.of("/sys/fs/cgroup/memory" + f[2]);
      }
    }
    throw new AssertionError("process " + pid + " has no memory cgroup");
  }

  /**
   * Without root, launch-cluster runs itself in a user namespace of its own: run as {@code nobody}
   * (when the test runs as root), the cluster comes up in its namespaces, the SOCKS5 port on the
   * host's loopback reaches it, and SIGTERM leaves no process behind.
   */
  @Test
  void launchesWithoutRoot() throws Exception {
    assumeTrue(Harness.isRoot(), "needs root to become another, unprivileged user");
    Path parent = Files.createTempDirectory("launch-it-nobody-");
    Files.setPosixFilePermissions(parent, PosixFilePermissions.fromString("rwxrwxrwx"));
    Path launchDir = parent.resolve("run");
    ProcessBuilder nobody =
        new ProcessBuilder(
                launchCluster(
                    List.of("setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"),
                    "--num-nodes=2",
                    "--quiet-nodes",
                    "--launch-dir=" + launchDir))
            .directory(parent.toFile())
            .redirectErrorStream(true);
    // nobody has no home: its kubectl context goes into a file of its own
    nobody.environment().put("KUBECONFIG", parent.resolve("kubeconfig").toString());
    Process p = nobody.start();
    StringBuilder out = new StringBuilder();
    try (var r =
        new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
      describeUp(awaitWrapper(r, out), 2);
      stop(p, r, out);
    } finally {
      ensureStopped(p);
    }
    // Its namespaces belonged to its user namespace, never to the host's /run/netns.
    assertNothingLeft(out, launchDir);
    try (var s = Files.walk(parent)) {
      s.sorted(java.util.Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
    }
  }

  /**
   * Ctrl-C while the cluster is still forming: node 0 runs and node 1 has started when SIGTERM
   * comes. launch-cluster exits 143 (128 + SIGTERM) and leaves no node, etcd or nanoswitch process
   * and no namespace behind.
   */
  @Test
  void stopDuringLaunchLeavesNothing() throws Exception {
    assumeTrue(Harness.isRoot(), "launch-cluster needs root for network namespaces");
    Path launchDir = Files.createTempDirectory("launch-it-");
    Files.delete(launchDir);
    Path kubeconfig = Files.createTempFile("launch-it-kubeconfig-", "");
    Files.delete(kubeconfig);
    ProcessBuilder pb =
        new ProcessBuilder(
                launchCluster(
                    List.of(), "--num-nodes=2", "--quiet-nodes", "--launch-dir=" + launchDir))
            .redirectErrorStream(true);
    pb.environment().put("KUBECONFIG", kubeconfig.toString());
    Process p = pb.start();
    StringBuilder out = new StringBuilder();
    try (var r =
        new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
      String line;
      while ((line = r.readLine()) != null && !line.contains("Taking ownership")) {
        out.append(line).append('\n');
      }
      assertTrue(line != null, "launch-cluster ended before taking ownership:\n" + out);
      out.append(line).append('\n');
      List<ProcessHandle> started = ofLaunch(launchDir);
      assertTrue(started.size() >= 2, "node 0 (and its etcd) should run by now: " + started);
      stop(p, r, out);
    } finally {
      ensureStopped(p);
    }
    assertEquals(143, p.exitValue(), out.toString()); // 128 + SIGTERM, as for any stopped JVM
    assertTrue(out.toString().contains("Stopped; nothing left behind"), out.toString());
    assertFalse(out.toString().contains("Launch: Cluster running!"), out.toString());
    List<ProcessHandle> left = ofLaunch(launchDir);
    left.forEach(ProcessHandle::destroyForcibly); // so that a failure here leaks nothing either
    assertEquals(List.of(), left, "processes of the launch left behind");
    Matcher ns =
        Pattern.compile("in /run/netns/(\\S+)-sw ")
            .matcher(Files.readString(launchDir.resolve("nanoswitch.log")));
    assertTrue(ns.find(), "the nanoswitch log names no switch namespace");
    String prefix = ns.group(1) + "-";
    assertEquals(
        List.of(),
        namespaces().stream().filter(n -> n.startsWith(prefix)).toList(),
        "namespaces left behind");
    assertFalse(
        Files.exists(kubeconfig) && Files.readString(kubeconfig).contains("launch-cluster"),
        "a kubectl context was left behind");
    Directories.deleteTree(launchDir);
  }

  /** Live processes whose command line names {@code launchDir}: nodes, their etcd, the switch. */
  private static List<ProcessHandle> ofLaunch(Path launchDir) {
    return ProcessHandle.allProcesses()
        .filter(
            h -> h.isAlive() && h.info().commandLine().orElse("").contains(launchDir.toString()))
        .toList();
  }

  /** --ram is checked before anything is made; a bad value is a usage error (exit 2). */
  @Test
  void rejectsBadRam() throws Exception {
    for (String[] c :
        new String[][] {
          {"--ram=255", "--ram: must be 256-1048576 MiB, got 255"},
          {"--ram=0G", "--ram: must be 256-1048576 MiB, got 0"},
          {"--ram=-512", "--ram: '-512' is not a size in MiB like 2048, 2048M or 2G"},
          {"--ram=lots", "--ram: 'lots' is not a size in MiB like 2048, 2048M or 2G"},
          {"--ram=2T", "--ram: '2T' is not a size in MiB like 2048, 2048M or 2G"},
        }) {
      Path launchDir = Files.createTempDirectory("launch-it-");
      Files.delete(launchDir);
      Process p =
          new ProcessBuilder(launchCluster(List.of(), c[0], "--launch-dir=" + launchDir))
              .redirectErrorStream(true)
              .start();
      String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      assertTrue(p.waitFor(30, TimeUnit.SECONDS));
      assertEquals(2, p.exitValue(), c[0] + ":\n" + out);
      assertTrue(out.startsWith(c[1] + "\n"), c[0] + ":\n" + out);
      assertFalse(Files.exists(launchDir), c[0] + " made the launch directory");
    }
  }

  private static String run(String... cmd) throws Exception {
    return run(Map.of(), cmd);
  }

  private static String run(Map<String, String> env, String... cmd) throws Exception {
    ProcessBuilder pb =
        new ProcessBuilder(cmd)
            .redirectErrorStream(true)
            .redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile()));
    pb.environment().putAll(env);
    Process p = pb.start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(p.waitFor(60, TimeUnit.SECONDS));
    assertEquals(0, p.exitValue(), String.join(" ", cmd) + ":\n" + out);
    return out;
  }

  private static List<String> namespaces() throws Exception {
    Process p = new ProcessBuilder("ip", "netns", "list").redirectErrorStream(true).start();
    List<String> names = new ArrayList<>();
    new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8)
        .lines()
        .map(l -> l.split(" ", -1)[0])
        .sorted()
        .forEach(names::add);
    p.waitFor();
    return names;
  }

  private static String javaBinary() {
    return ProcessHandle.current()
        .info()
        .command()
        .orElse(System.getProperty("java.home") + "/bin/java");
  }
}
