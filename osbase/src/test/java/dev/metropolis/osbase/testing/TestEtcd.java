package dev.metropolis.osbase.testing;

import io.etcd.jetcd.Client;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * A real etcd member (Debian's {@code /usr/bin/etcd}) on free loopback ports, in a temporary
 * directory, for tests of code that talks to etcd: a single-member cluster, or a member joining
 * one. Plain HTTP: TLS is covered by the consensus tests.
 */
public final class TestEtcd implements AutoCloseable {
  private final Path dir;
  private final Process process;
  private final int clientPort;
  private final int peerPort;
  private final String host;

  private TestEtcd(Path dir, Process process, String host, int clientPort, int peerPort) {
    this.dir = dir;
    this.process = process;
    this.host = host;
    this.clientPort = clientPort;
    this.peerPort = peerPort;
  }

  public static TestEtcd start() throws IOException, InterruptedException {
    return start("test");
  }

  /** A member named {@code name} (curator tests name it after the leader's node). */
  public static TestEtcd start(String name) throws IOException, InterruptedException {
    int peer = freePort();
    return launch(name, "127.0.0.1", peer, Map.of(name, "http://127.0.0.1:" + peer), "new");
  }

  /**
   * A member named {@code name} joining an existing cluster (which must have added it already) on
   * {@code host}: its peer URL is {@code http://host:peerPort}, and {@code initialCluster} names
   * every member of the cluster (name → peer URL), itself included.
   */
  public static TestEtcd join(
      String name, String host, int peerPort, Map<String, String> initialCluster)
      throws IOException, InterruptedException {
    return launch(name, host, peerPort, initialCluster, "existing");
  }

  private static TestEtcd launch(
      String name, String host, int peer, Map<String, String> initialCluster, String state)
      throws IOException, InterruptedException {
    Path dir = Files.createTempDirectory("test-etcd-");
    int client = freePort();
    String peerUrl = "http://" + host + ":" + peer;
    String clientUrl = "http://" + host + ":" + client;
    ProcessBuilder pb =
        new ProcessBuilder(
                List.of(
                    "/usr/bin/etcd",
                    "--name=" + name,
                    "--data-dir=" + dir.resolve("data"),
                    "--listen-client-urls=" + clientUrl,
                    "--advertise-client-urls=" + clientUrl,
                    "--listen-peer-urls=" + peerUrl,
                    "--initial-advertise-peer-urls=" + peerUrl,
                    "--initial-cluster="
                        + initialCluster.entrySet().stream()
                            .map(e -> e.getKey() + "=" + e.getValue())
                            .sorted()
                            .collect(Collectors.joining(",")),
                    "--initial-cluster-state=" + state,
                    "--logger=zap",
                    "--log-outputs=stderr"))
            .redirectErrorStream(true)
            .redirectOutput(dir.resolve("etcd.log").toFile());
    Process p = pb.start();
    TestEtcd etcd = new TestEtcd(dir, p, host, client, peer);
    Instant deadline = Instant.now().plus(Duration.ofSeconds(30));
    while (!etcd.accepting()) {
      if (!p.isAlive() || Instant.now().isAfter(deadline)) {
        String log = Files.readString(dir.resolve("etcd.log"));
        etcd.close();
        throw new IOException("etcd did not start; its log:\n" + log);
      }
      Thread.sleep(50);
    }
    return etcd;
  }

  private boolean accepting() {
    try {
      new Socket(InetAddress.getByName(host), clientPort).close();
      return true;
    } catch (IOException e) {
      return false;
    }
  }

  public static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }

  public String endpoint() {
    return "http://" + host + ":" + clientPort;
  }

  public Client client() {
    return Client.builder().endpoints(endpoint()).build();
  }

  public int peerPort() {
    return peerPort;
  }

  /** Kills etcd hard (SIGKILL), keeping its data. */
  public void kill() throws InterruptedException {
    process.destroyForcibly();
    process.waitFor(10, TimeUnit.SECONDS);
  }

  @Override
  public void close() {
    process.destroyForcibly();
    try {
      process.waitFor(10, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    try (Stream<Path> s = Files.walk(dir)) {
      s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
