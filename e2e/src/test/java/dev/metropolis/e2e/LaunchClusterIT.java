package dev.metropolis.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.metropolis.launch.Eventually;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
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
    List<String> before = namespaces();
    // launch-cluster adds its kubectl context here, not to this user's own kubeconfig
    Path kubeconfig = Files.createTempFile("launch-it-kubeconfig-", "");
    Files.delete(kubeconfig);
    ProcessBuilder pb =
        new ProcessBuilder(
                javaBinary(),
                "--enable-native-access=ALL-UNNAMED",
                "-Dmetropolis.root=" + Harness.root(),
                "-jar",
                Harness.root().resolve("launch/target/metropolis-launch.jar").toString(),
                "--num-nodes=2",
                "--kubernetes-worker=1",
                "--quiet-nodes",
                "--launch-dir=" + launchDir)
            .redirectErrorStream(true);
    pb.environment().put("KUBECONFIG", kubeconfig.toString());
    Process p = pb.start();
    StringBuilder out = new StringBuilder();
    String wrapper = null;
    try (var r =
        new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
      String line;
      while ((line = r.readLine()) != null) {
        out.append(line).append('\n');
        Matcher m = WRAPPER.matcher(line);
        if (m.find()) {
          wrapper = m.group(1);
          break;
        }
      }
      assertTrue(wrapper != null, "launch-cluster never printed its wrapper:\n" + out);
      assertEquals("  To access Kubernetes, use kubectl --context=launch-cluster", r.readLine());
      assertTrue(out.toString().contains("Launch: Cluster running!\n"), out.toString());
      assertTrue(
          out.toString().contains("--endpoints 10.1.0.2 --endpoints 10.1.0.3"), out.toString());
      String json = Files.readString(launchDir.resolve("cluster.json"));
      assertTrue(json.contains("\"address\": \"10.1.0.3\""), json);

      String describe = run(wrapper, "node", "describe");
      assertEquals(
          2,
          describe
              .lines()
              .filter(l -> l.matches("metropolis-\\S+\\s+UP\\s+10\\.1\\.0\\.\\d.*"))
              .count(),
          describe);
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
      String workerId = id;
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
            assertTrue(nodes.matches("(?s)" + workerId + " +Ready +KubernetesWorker .*"), nodes);
          });

      // SIGTERM, as a user's kill would; Process.destroy() would also close our end of its output.
      p.toHandle().destroy();
      // The rest of its output ends when it exits.
      r.lines().forEach(l -> out.append(l).append('\n'));
      assertTrue(p.waitFor(30, TimeUnit.SECONDS), "launch-cluster did not stop in 30 s");
    } finally {
      // On failure too: SIGTERM lets launch-cluster remove its namespaces and processes.
      if (p.isAlive()) {
        p.toHandle().destroy();
        if (!p.waitFor(30, TimeUnit.SECONDS)) {
          p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
      }
    }
    assertTrue(out.toString().contains("Stopped; nothing left behind"), out.toString());
    assertEquals(before, namespaces(), "namespaces left behind");
    assertFalse(
        ProcessHandle.allProcesses()
            .anyMatch(h -> h.info().commandLine().orElse("").contains(launchDir.toString())),
        "a process of the launched cluster is still running");
    assertTrue(Files.exists(launchDir.resolve("node-0.log")), "--launch-dir keeps the logs");
    String left = Files.readString(kubeconfig);
    assertFalse(left.contains("launch-cluster"), "the kubectl context was not removed:\n" + left);
    Files.delete(kubeconfig);
    try (var s = Files.walk(launchDir)) {
      s.sorted(java.util.Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
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
