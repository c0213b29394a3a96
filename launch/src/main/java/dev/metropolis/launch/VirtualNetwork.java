package dev.metropolis.launch;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

/**
 * The cluster's own network, 10.1.0.0/24, made of network namespaces: a switch namespace with
 * bridge {@code br0} (10.1.0.1/24) and one namespace per node whose {@code eth0} is a veth on that
 * bridge, with no address until the node's DHCP client gets one from the nanoswitch. No veth end
 * and no address is in the host's namespace, so nothing leaves; the host reaches nodes only through
 * the nanoswitch's SOCKS5 port on 127.0.0.1.
 *
 * <p>Needs root, or root in a user namespace of its own with a private mount namespace in which
 * {@code /run/netns} is writable ({@link UserNamespace}, as launch-cluster re-executes itself
 * without root): there the namespaces belong to that user namespace, and the launcher and the
 * nanoswitch's SOCKS5 port stay in the host's network namespace. Every namespace and the nanoswitch
 * process are removed by {@link #close()}.
 */
public final class VirtualNetwork implements AutoCloseable {
  private final String prefix;
  private final Path dir;
  private final List<String> namespaces = new ArrayList<>();
  private Process nanoswitch;
  private int socksPort;

  private VirtualNetwork(String prefix, Path dir) {
    this.prefix = prefix;
    this.dir = dir;
  }

  /**
   * Creates the switch namespace and starts the nanoswitch in it (DHCP on the bridge, SOCKS5 on the
   * host's loopback). Its output goes to {@code dir/nanoswitch.log}.
   */
  public static VirtualNetwork create(Path dir, Path nanoswitchJar) throws Exception {
    return create(dir, nanoswitchJar, Aot.USE);
  }

  /** Like {@link #create(Path, Path)}, with the nanoswitch JVM under {@code aot}. */
  public static VirtualNetwork create(Path dir, Path nanoswitchJar, Aot aot) throws Exception {
    if (!isRoot()) {
      throw new IllegalStateException(
          "the cluster network needs root (network namespaces via ip netns): run as root, or"
              + " through launch-cluster, which makes a user namespace without it");
    }
    if (!Files.exists(nanoswitchJar)) {
      throw new IllegalStateException("nanoswitch jar " + nanoswitchJar + " not built");
    }
    byte[] id = new byte[2];
    ThreadLocalRandom.current().nextBytes(id);
    VirtualNetwork n = new VirtualNetwork("mj" + HexFormat.of().formatHex(id), dir);
    try {
      n.createSwitch();
      n.startNanoswitch(nanoswitchJar, aot);
      return n;
    } catch (Exception e) {
      n.close();
      throw e;
    }
  }

  private static boolean isRoot() {
    return UserNamespace.isRoot();
  }

  private String switchNs() {
    return prefix + "-sw";
  }

  /** The namespace of node {@code i}. */
  public String nodeNs(int i) {
    return prefix + "-n" + i;
  }

  /**
   * Makes the named network namespace. As real root with {@code ip netns add}; in a user namespace
   * that cannot be used (it returns to the host's namespace, which the user namespace does not
   * own), so a short-lived {@code unshare} makes the namespace and binds it to its file.
   */
  private void addNamespace(String ns) throws IOException, InterruptedException {
    if (!UserNamespace.inside()) {
      ip("netns", "add", ns);
    } else {
      Path file = Path.of("/run/netns", ns);
      Files.createFile(file);
      run(List.of("unshare", "--net=" + file, "true"));
    }
    namespaces.add(ns);
  }

  private void createSwitch() throws IOException, InterruptedException {
    addNamespace(switchNs());
    ip("-n", switchNs(), "link", "set", "lo", "up");
    ip("-n", switchNs(), "link", "add", "br0", "type", "bridge");
    ip("-n", switchNs(), "addr", "add", "10.1.0.1/24", "dev", "br0");
    ip("-n", switchNs(), "link", "set", "br0", "up");
  }

  private void startNanoswitch(Path jar, Aot aot) throws Exception {
    Path portFile = dir.resolve("nanoswitch.port");
    Files.deleteIfExists(portFile);
    List<String> flags = List.of("-Xmx64m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1");
    List<String> cmd = new ArrayList<>();
    cmd.add(NodeProcess.javaBinary());
    cmd.addAll(flags);
    cmd.addAll(aot.flags(jar, "metropolis-nanoswitch", flags));
    cmd.addAll(
        List.of(
            "-jar",
            jar.toString(),
            "--switch-netns=/run/netns/" + switchNs(),
            "--interface=br0",
            "--router=10.1.0.1/24",
            "--dhcp-start=10.1.0.2",
            "--lease=30s",
            "--socks-listen=127.0.0.1:0",
            "--port-file=" + portFile));
    nanoswitch =
        new ProcessBuilder(cmd)
            .redirectErrorStream(true)
            .redirectOutput(
                ProcessBuilder.Redirect.appendTo(dir.resolve("nanoswitch.log").toFile()))
            .start();
    long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    while (!Files.exists(portFile) || Files.size(portFile) == 0) {
      if (!nanoswitch.isAlive()) {
        throw new IllegalStateException(
            "nanoswitch exited with "
                + nanoswitch.exitValue()
                + ": "
                + Files.readString(dir.resolve("nanoswitch.log")));
      }
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException("nanoswitch did not report its SOCKS port in 30 s");
      }
      Thread.sleep(50);
    }
    socksPort = Integer.parseInt(Files.readString(portFile).trim());
  }

  /**
   * Creates node {@code i}'s namespace, its veth on the bridge, and returns the wrapper command.
   */
  public List<String> addNode(int i) throws IOException, InterruptedException {
    String ns = nodeNs(i);
    addNamespace(ns);
    // Made inside the switch namespace: a user namespace may not add links to the host's.
    ip(
        "-n",
        switchNs(),
        "link",
        "add",
        "v" + i,
        "type",
        "veth",
        "peer",
        "name",
        "eth0",
        "netns",
        ns);
    ip("-n", switchNs(), "link", "set", "v" + i, "master", "br0", "up");
    return List.of("ip", "netns", "exec", ns);
  }

  /** Cuts node {@code i}'s link (its switch port goes down); {@link #heal} restores it. */
  public void partition(int i) throws IOException, InterruptedException {
    ip("-n", switchNs(), "link", "set", "v" + i, "down");
  }

  /** Restores node {@code i}'s link after {@link #partition}. */
  public void heal(int i) throws IOException, InterruptedException {
    ip("-n", switchNs(), "link", "set", "v" + i, "up");
  }

  /** The SOCKS5 proxy into the network, as host:port. */
  public String socks() {
    return "127.0.0.1:" + socksPort;
  }

  public int socksPort() {
    return socksPort;
  }

  /** The directory the cluster keeps its state and logs in. */
  public Path directory() {
    return dir;
  }

  public Path nanoswitchLog() {
    return dir.resolve("nanoswitch.log");
  }

  /**
   * Stops the nanoswitch and deletes every namespace this network made (best effort, all of it).
   */
  @Override
  public void close() {
    if (nanoswitch != null) {
      nanoswitch.destroy();
      try {
        // Generous: a training run's nanoswitch writes what it loaded as it exits.
        if (!nanoswitch.waitFor(15, TimeUnit.SECONDS)) {
          nanoswitch.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    // Node namespaces first: deleting one also deletes its veth and so its switch port.
    for (String ns : namespaces.reversed()) {
      try {
        ip("netns", "del", ns);
      } catch (IOException | InterruptedException | IllegalStateException e) {
        // Keep going: every other namespace must still go.
      }
    }
    namespaces.clear();
  }

  private static void ip(String... args) throws IOException, InterruptedException {
    List<String> cmd = new ArrayList<>();
    cmd.add("ip");
    cmd.addAll(List.of(args));
    run(cmd);
  }

  private static void run(List<String> cmd) throws IOException, InterruptedException {
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
    if (p.waitFor() != 0) {
      throw new IllegalStateException(String.join(" ", cmd) + " failed: " + out);
    }
  }
}
