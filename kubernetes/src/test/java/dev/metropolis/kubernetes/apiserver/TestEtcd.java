package dev.metropolis.kubernetes.apiserver;

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
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * A real single-member etcd ({@code /usr/bin/etcd}) on free loopback ports with its data in a
 * temporary directory, killed and removed on close.
 */
final class TestEtcd implements AutoCloseable {
  private final Path dir;
  private final Process process;
  private final int clientPort;

  private TestEtcd(Path dir, Process process, int clientPort) {
    this.dir = dir;
    this.process = process;
    this.clientPort = clientPort;
  }

  static TestEtcd start() throws IOException, InterruptedException {
    Path dir = Files.createTempDirectory("k8s-etcd-");
    int client = freePort();
    int peer = freePort();
    String peerUrl = "http://127.0.0.1:" + peer;
    String clientUrl = "http://127.0.0.1:" + client;
    Process p =
        new ProcessBuilder(
                List.of(
                    "/usr/bin/etcd",
                    "--name=test",
                    "--data-dir=" + dir.resolve("data"),
                    "--listen-client-urls=" + clientUrl,
                    "--advertise-client-urls=" + clientUrl,
                    "--listen-peer-urls=" + peerUrl,
                    "--initial-advertise-peer-urls=" + peerUrl,
                    "--initial-cluster=test=" + peerUrl,
                    "--initial-cluster-state=new",
                    "--logger=zap",
                    "--log-outputs=stderr"))
            .redirectErrorStream(true)
            .redirectOutput(dir.resolve("etcd.log").toFile())
            .start();
    TestEtcd etcd = new TestEtcd(dir, p, client);
    // a test JVM that dies without running close() must not leave etcd behind
    Runtime.getRuntime().addShutdownHook(new Thread(p::destroyForcibly));
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
      new Socket(InetAddress.getLoopbackAddress(), clientPort).close();
      return true;
    } catch (IOException e) {
      return false;
    }
  }

  static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }

  Client client() {
    return Client.builder().endpoints("http://127.0.0.1:" + clientPort).build();
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
