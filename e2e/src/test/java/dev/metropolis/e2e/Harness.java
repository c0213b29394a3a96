package dev.metropolis.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import dev.metropolis.api.curator.GetConsensusStatusResponse.EtcdMember;
import dev.metropolis.api.nodemanagement.GetRunnablesRequest;
import dev.metropolis.api.nodemanagement.NodeManagementGrpc;
import dev.metropolis.launch.Eventually;
import dev.metropolis.launch.InsecureOwnerKey;
import dev.metropolis.launch.LocalCluster;
import dev.metropolis.launch.NodeParametersFiles;
import dev.metropolis.osbase.pki.Ed25519;
import dev.metropolis.osbase.pki.Pem;
import dev.metropolis.rpc.RpcChannelBuilder;
import io.grpc.ManagedChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/** Paths and credentials shared by the end-to-end suites. */
final class Harness {
  private Harness() {}

  static Path root() {
    return Path.of(System.getProperty("metropolis.root", "..")).toAbsolutePath().normalize();
  }

  static Path nodeJar() {
    return root().resolve("node/target/metropolis-node.jar");
  }

  static Path metroctlJar() {
    return root().resolve("metroctl/target/metroctl.jar");
  }

  static Path nanoswitchJar() {
    return root().resolve("nanoswitch/target/metropolis-nanoswitch.jar");
  }

  /**
   * Whether multi-node suites run as launch-cluster runs nodes: each in its own network namespace
   * behind the nanoswitch, with DHCP addresses and access through its SOCKS5 proxy. That needs
   * root; without it (or with {@code -Dmetropolis.e2e.network=loopback}) nodes share loopback.
   */
  static boolean isolated() {
    String mode = System.getProperty("metropolis.e2e.network", "auto");
    return switch (mode) {
      case "loopback" -> false;
      case "isolated" -> true;
      case "auto" -> isRoot();
      default -> throw new IllegalArgumentException("metropolis.e2e.network: " + mode);
    };
  }

  /** Whether this process runs with effective user ID 0 (as network namespaces need). */
  static boolean isRoot() {
    try {
      for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
        if (line.startsWith("Uid:")) {
          return line.split("\\s+", -1)[2].equals("0");
        }
      }
    } catch (java.io.IOException e) {
      // No /proc: not a Linux host we can make namespaces on.
    }
    return false;
  }

  /** A launched cluster of {@code o.nodes()} nodes, isolated when {@link #isolated} says so. */
  static LocalCluster launch(LocalCluster.Options o) throws Exception {
    return isolated()
        ? LocalCluster.launchIsolated(nodeJar(), nanoswitchJar(), o)
        : LocalCluster.launch(nodeJar(), o);
  }

  /** A launched cluster of {@code nodes} nodes with the test configuration. */
  static LocalCluster launch(int nodes) throws Exception {
    return launch(
        LocalCluster.Options.of(nodes, NodeParametersFiles.testConfiguration("cluster.test")));
  }

  /** metroctl's flags to reach {@code c} through node {@code i}: endpoint, and proxy if any. */
  static List<String> reach(LocalCluster c, int i) {
    List<String> flags = new ArrayList<>();
    flags.add("--endpoints=" + c.address(i));
    c.network().ifPresent(n -> flags.add("--proxy=" + n.socks()));
    return flags;
  }

  static LocalCluster oneNode() throws Exception {
    return LocalCluster.bootstrap(nodeJar(), NodeParametersFiles.testConfiguration("cluster.test"));
  }

  /** Asserts that nodes 0, 1 and 2 of {@code c}, and no others, are full (voting) etcd members. */
  static void threeVoters(LocalCluster c) throws Exception {
    assertThat(c.consensusStatus())
        .containsOnlyKeys(c.nodeId(0), c.nodeId(1), c.nodeId(2))
        .allSatisfy((id, st) -> assertThat(st).as(id).isEqualTo(EtcdMember.Status.STATUS_FULL));
  }

  /** Node {@code i}'s own credentials, read from its state directory. */
  record NodeCredentials(X509Certificate ca, X509Certificate cert, KeyPair key) {}

  static NodeCredentials nodeCredentials(LocalCluster c, int i) throws Exception {
    Path dir = c.node(i).spec().stateDir().resolve("data/node/credentials");
    var key = Pem.decodePrivateKey(Files.readString(dir.resolve("cert-key.pem")));
    return new NodeCredentials(
        Pem.decodeCertificate(Files.readString(dir.resolve("ca.pem"))),
        Pem.decodeCertificate(Files.readString(dir.resolve("cert.pem"))),
        new KeyPair(Ed25519.publicKeyOf(key), key));
  }

  /** The outcome of one metroctl run. */
  record Run(int code, String out, String err) {}

  /** The command line that runs the metroctl jar with {@code args}. */
  static List<String> metroctlCommand(List<String> args) {
    List<String> cmd = new ArrayList<>();
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    cmd.add("-XX:TieredStopAtLevel=1");
    cmd.add("-jar");
    cmd.add(metroctlJar().toString());
    cmd.addAll(args);
    return cmd;
  }

  /**
   * Runs metroctl with exactly {@code args}, standard input closed, its output captured in files
   * under {@code scratch}.
   */
  static Run metroctl(Path scratch, List<String> args) throws Exception {
    return metroctl(scratch, args, Map.of());
  }

  /** As above, with {@code env} added to its environment. */
  static Run metroctl(Path scratch, List<String> args, Map<String, String> env) throws Exception {
    return run(scratch, metroctlCommand(args), env);
  }

  /**
   * Runs {@code cmd} with {@code env} added, standard input closed, its output captured in files
   * under {@code scratch}; fails if it takes more than 60 s.
   */
  static Run run(Path scratch, List<String> cmd, Map<String, String> env) throws Exception {
    Path out = Files.createTempFile(scratch, "out", ".txt");
    Path err = Files.createTempFile(scratch, "err", ".txt");
    ProcessBuilder pb =
        new ProcessBuilder(cmd)
            .redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile()))
            .redirectOutput(out.toFile())
            .redirectError(err.toFile());
    pb.environment().putAll(env);
    Process p = pb.start();
    if (!p.waitFor(60, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      throw new AssertionError(cmd + " did not finish in 60 s");
    }
    return new Run(
        p.exitValue(),
        Files.readString(out, StandardCharsets.UTF_8),
        Files.readString(err, StandardCharsets.UTF_8));
  }

  /** Waits until node {@code i} serves NodeManagement (port 7839) to its owner. */
  static void awaitNodeManagement(LocalCluster c, int i) {
    Eventually.testEventual(
        "node " + i + " serves NodeManagement",
        Duration.ofSeconds(60),
        () -> {
          RpcChannelBuilder b = RpcChannelBuilder.forAddress(c.address(i), 7839);
          c.network().ifPresent(net -> b.socksProxy(net.socks()));
          ManagedChannel ch =
              b.clusterCredentials(c.ownerCertificate(), InsecureOwnerKey.keyPair().getPrivate())
                  .verifyNode(c.ca())
                  .build();
          try {
            NodeManagementGrpc.newBlockingStub(ch)
                .withDeadlineAfter(5, TimeUnit.SECONDS)
                .getRunnables(GetRunnablesRequest.getDefaultInstance());
          } finally {
            ch.shutdownNow();
          }
        });
  }

  static ManagedChannel nodeChannel(LocalCluster c, int i) throws Exception {
    NodeCredentials n = nodeCredentials(c, i);
    RpcChannelBuilder b = RpcChannelBuilder.forAddress(c.address(i), 7835);
    c.network().ifPresent(net -> b.socksProxy(net.socks()));
    return b.clusterCredentials(n.cert(), n.key().getPrivate()).verifyNode(c.ca()).build();
  }
}
