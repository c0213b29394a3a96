package dev.metropolis.node.network;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

/**
 * (A copy of osbase's test helper: test classes do not cross modules in a reactor build.)
 *
 * <p>Throwaway network namespaces shaped like a hosted cluster's: a switch namespace with bridge
 * {@code br0} (10.1.0.1/24) and client namespaces whose {@code eth0} is a veth on that bridge, down
 * and without an address. Names are {@code mjt-<random>-…}; {@link #close} deletes them all (which
 * also deletes the veth pairs). Needs root and iproute2.
 */
final class TestNetwork implements AutoCloseable {
  public static final String WHY_SKIPPED =
      "needs root (CAP_SYS_ADMIN, CAP_NET_ADMIN) and iproute2 to create network namespaces";

  private final String prefix;
  private final List<String> created = new ArrayList<>();

  private TestNetwork(String prefix) {
    this.prefix = prefix;
  }

  /** Whether this process can create namespaces (is root and has {@code ip}). */
  public static boolean available() {
    try {
      Process p = new ProcessBuilder("id", "-u").redirectErrorStream(true).start();
      String uid = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
      if (!p.waitFor(10, TimeUnit.SECONDS) || !uid.equals("0")) {
        return false;
      }
      return new ProcessBuilder("ip", "-V").start().waitFor() == 0;
    } catch (IOException e) {
      return false;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }

  /** A switch namespace and {@code clients} client namespaces. */
  public static TestNetwork create(int clients) throws IOException, InterruptedException {
    byte[] r = new byte[3];
    ThreadLocalRandom.current().nextBytes(r);
    TestNetwork n = new TestNetwork("mjt-" + HexFormat.of().formatHex(r));
    try {
      n.addNs(n.switchName());
      ip("-n", n.switchName(), "link", "add", "br0", "type", "bridge");
      ip("-n", n.switchName(), "addr", "add", "10.1.0.1/24", "dev", "br0");
      ip("-n", n.switchName(), "link", "set", "br0", "up");
      ip("-n", n.switchName(), "link", "set", "lo", "up");
      for (int i = 0; i < clients; i++) {
        n.addClient();
      }
      return n;
    } catch (IOException | InterruptedException | RuntimeException e) {
      n.close();
      throw e;
    }
  }

  /** Adds one more client namespace; returns its index. */
  public int addClient() throws IOException, InterruptedException {
    int i = created.size() - 1;
    String c = clientName(i);
    addNs(c);
    ip(
        "link",
        "add",
        "v" + i,
        "netns",
        switchName(),
        "type",
        "veth",
        "peer",
        "name",
        "eth0",
        "netns",
        c);
    ip("-n", switchName(), "link", "set", "v" + i, "master", "br0", "up");
    return i;
  }

  private void addNs(String name) throws IOException, InterruptedException {
    ip("netns", "add", name);
    created.add(name);
  }

  public String switchName() {
    return prefix + "-sw";
  }

  public Path switchPath() {
    return Path.of("/run/netns", switchName());
  }

  public String clientName(int i) {
    return prefix + "-c" + i;
  }

  public Path clientPath(int i) {
    return Path.of("/run/netns", clientName(i));
  }

  /** Runs {@code ip ARGS}; returns its output, throws on a non-zero exit. */
  public static String ip(String... args) throws IOException, InterruptedException {
    List<String> cmd = new ArrayList<>();
    cmd.add("ip");
    cmd.addAll(List.of(args));
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (!p.waitFor(10, TimeUnit.SECONDS) || p.exitValue() != 0) {
      throw new IOException(String.join(" ", cmd) + " failed: " + out);
    }
    return out;
  }

  @Override
  public void close() throws IOException {
    IOException failure = null;
    boolean interrupted = Thread.interrupted(); // deleting must not be skipped on interrupt
    for (String ns : created.reversed()) {
      try {
        ip("netns", "del", ns);
      } catch (IOException e) {
        failure = e;
      } catch (InterruptedException e) {
        interrupted = true;
      }
    }
    if (interrupted) {
      Thread.currentThread().interrupt();
    }
    created.clear();
    if (failure != null) {
      throw failure;
    }
  }

  /** Whether any namespace with this network's prefix is left behind (for leak checks). */
  public boolean leftovers() throws IOException {
    try (var s = Files.list(Path.of("/run/netns"))) {
      return s.anyMatch(p -> p.getFileName().toString().startsWith(prefix));
    } catch (java.nio.file.NoSuchFileException e) {
      return false;
    }
  }
}
