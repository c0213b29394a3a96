package dev.metropolis.launch.cli;

import dev.metropolis.api.common.ClusterConfiguration;
import dev.metropolis.api.management.UpdateNodeRolesRequest;
import dev.metropolis.launch.Aot;
import dev.metropolis.launch.Directories;
import dev.metropolis.launch.LocalCluster;
import dev.metropolis.launch.NodeProcess;
import dev.metropolis.launch.UserNamespace;
import dev.metropolis.launch.VirtualNetwork;
import dev.metropolis.metroctl.client.Kubeconfig;
import dev.metropolis.osbase.pki.Pem;
import dev.metropolis.rpc.JdkTls;
import java.io.IOException;
import java.io.PrintStream;
import java.io.RandomAccessFile;
import java.net.InetSocketAddress;
import java.net.Proxy;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code launch-cluster}: a multi-node cluster of hosted nodes in their own virtual network on this
 * machine, running until Ctrl-C or SIGTERM, then removed without a trace.
 */
@Command(
    name = "launch-cluster",
    mixinStandardHelpOptions = true,
    description = {
      "Starts a multi-node Metropolis cluster on this machine: one node process per network"
          + " namespace on the virtual network 10.1.0.0/24, behind the nanoswitch (DHCP, SOCKS5)."
          + " Node 0 bootstraps with the insecure test owner key; the others register and are"
          + " approved. Runs until Ctrl-C or SIGTERM, then removes every process, namespace and"
          + " temporary directory it made. Without root it runs itself in a user namespace of"
          + " its own (no memory cgroups there).",
      "kubectl: adds the context launch-cluster to $KUBECONFIG (else ~/.kube/config), reaching"
          + " node 0's Kubernetes API through the SOCKS5 proxy, and removes it again on stop."
    })
public final class LaunchCluster implements Callable<Integer> {
  /** The kubeconfig context (and cluster and user) that reaches the launched cluster. */
  static final String KUBE_CONTEXT = "launch-cluster";

  private static final int KUBE_API_PORT = 6443;

  @Option(
      names = "--num-nodes",
      defaultValue = "3",
      description = "Number of nodes, 1-200 (default ${DEFAULT-VALUE}).")
  int numNodes;

  @Option(
      names = "--cluster-domain",
      defaultValue = "cluster.internal",
      description = "Cluster domain (default ${DEFAULT-VALUE}).")
  String clusterDomain;

  @Option(
      names = "--tpm-mode",
      defaultValue = "best-effort",
      description =
          "required, best-effort or disabled (default ${DEFAULT-VALUE}: hosted nodes have no"
              + " TPM, so 'required' cannot be met).")
  String tpmMode;

  @Option(
      names = "--storage-security",
      defaultValue = "needs-insecure",
      description =
          "permissive, needs-encryption, needs-encryption-and-authentication or needs-insecure"
              + " (default ${DEFAULT-VALUE}).")
  String storageSecurity;

  @Option(
      names = "--consensus-member",
      defaultValue = "",
      description = "Node indexes to make ConsensusMember after launch, e.g. 0,2-3.")
  String consensusMember;

  @Option(
      names = "--kubernetes-controller",
      defaultValue = "",
      description = "Node indexes to make KubernetesController (implies ConsensusMember).")
  String kubernetesController;

  @Option(
      names = "--kubernetes-worker",
      defaultValue = "",
      description = "Node indexes to make KubernetesWorker after launch.")
  String kubernetesWorker;

  @Option(
      names = "--ram",
      defaultValue = "2048",
      description =
          "Memory per node in MiB, or with suffix M or G (default ${DEFAULT-VALUE}, at least 256):"
              + " as root a memory cgroup holds each node (core and etcd) to it; the node's heap"
              + " is an eighth of it.")
  String ram;

  @Option(
      names = "--launch-dir",
      description =
          "Directory for node state and logs, kept after exit (default: a temporary directory,"
              + " removed at exit).")
  Path launchDir;

  @Option(
      names = "--quiet-nodes",
      description = "Do not echo node and nanoswitch output on the console (files only).")
  boolean quietNodes;

  private final PrintStream out = System.out;

  /** The launch's progress line for starting node {@code N} or nodes {@code N-M}. */
  private static final java.util.regex.Pattern STARTING =
      java.util.regex.Pattern.compile("Starting nodes? (\\d+)(?:-(\\d+))?");

  @Override
  public Integer call() throws Exception {
    if (numNodes < 1 || numNodes > 200) {
      throw new CommandLine.ParameterException(
          new CommandLine(this), "--num-nodes: must be 1-200, got " + numNodes);
    }
    int ramMiB = ramMiB();
    ClusterConfiguration config = configuration();
    Set<Integer> cm = indexes("--consensus-member", consensusMember);
    Set<Integer> kc = indexes("--kubernetes-controller", kubernetesController);
    Set<Integer> kw = indexes("--kubernetes-worker", kubernetesWorker);
    cm.addAll(kc);

    Path root = Path.of(System.getProperty("metropolis.root", ".")).toAbsolutePath().normalize();
    boolean keepDir = launchDir != null;
    Path dir =
        keepDir
            ? Files.createDirectories(launchDir.toAbsolutePath())
            : Files.createTempDirectory("metropolis-launch-");
    Path metroctlDir = dir.resolve("metroctl");

    say("Launch directory: " + dir);
    say("Creating the virtual network 10.1.0.0/24 and starting the nanoswitch...");
    VirtualNetwork net;
    try {
      net = VirtualNetwork.create(dir, root.resolve("nanoswitch/target/metropolis-nanoswitch.jar"));
    } catch (Exception e) {
      if (!keepDir) {
        Directories.deleteTree(dir);
      }
      throw e;
    }
    // Copy-on-write: the launch adds node tails while a stop may be closing them.
    List<Tail> tails = new java.util.concurrent.CopyOnWriteArrayList<>();
    if (!quietNodes) {
      tails.add(Tail.start(net.nanoswitchLog(), "99| ", out));
    }
    say("nanoswitch: SOCKS5 proxy on " + net.socks());

    LocalCluster cluster = null;
    Path kubeconfig = Kubeconfig.defaultPath(System.getenv(), System.getProperty("user.home"));
    AtomicBoolean kubeconfigInstalled = new AtomicBoolean();
    CountDownLatch stop = new CountDownLatch(1);
    CountDownLatch done = new CountDownLatch(1);
    final LocalCluster[] ref = new LocalCluster[1];
    Thread hook =
        new Thread(() -> {
          stop.countDown();
          say("Stopping the cluster...");
          synchronized (ref) {
            if (ref[0] != null) {
              ref[0].close();
            } else {
              net.close();
            }
          }
          tails.forEach(Tail::close);
          if (kubeconfigInstalled.get()) {
            try {
              Kubeconfig.remove(kubeconfig, KUBE_CONTEXT);
            } catch (IOException | RuntimeException e) {
              say("could not remove context " + KUBE_CONTEXT + " from " + kubeconfig + ": " + e);
            }
          }
          if (!keepDir) {
            Directories.deleteTree(dir);
          }
          say("Stopped; nothing left behind" + (keepDir ? " but " + dir + "." : "."));
          done.countDown();
        });
    Runtime.getRuntime().addShutdownHook(hook);
    try {
      cluster =
          LocalCluster.launch(
              root.resolve("node/target/metropolis-node.jar"),
              new LocalCluster.Options(numNodes, config, cm, kw, ramMiB, Aot.USE),
              net,
              msg -> {
                say(msg);
                var m = STARTING.matcher(msg);
                if (!quietNodes && m.lookingAt()) {
                  // Echo each node's log from its start, prefixed with its index.
                  int from = Integer.parseInt(m.group(1));
                  int to = m.group(2) != null ? Integer.parseInt(m.group(2)) : from;
                  for (int i = from; i <= to; i++) {
                    tails.add(
                        Tail.start(dir.resolve("node-" + i + ".log"), "%02d| ".formatted(i), out));
                  }
                }
              },
              prepared -> {
                // From here a stop closes the cluster (its nodes and network) even mid-launch.
                synchronized (ref) {
                  if (stop.getCount() == 0) {
                    prepared.close();
                    throw new IllegalStateException("stopped before the launch began");
                  }
                  ref[0] = prepared;
                }
              });
      if (stop.getCount() == 0) {
        done.await();
        return 130;
      }
      for (int i : new TreeSet<>(kc)) {
        say("Making node " + i + " a Kubernetes controller...");
        cluster.updateRoles(i, UpdateNodeRolesRequest.newBuilder().setKubernetesController(true));
      }
      List<String> endpoints = new ArrayList<>();
      for (int i = 0; i < cluster.size(); i++) {
        endpoints.add(cluster.address(i));
        say("Cluster: " + i + ". " + cluster.nodeId(i) + " at " + cluster.address(i));
      }
      cluster.writeMetroctlConfig(metroctlDir);
      Path wrapper = writeWrapper(root, metroctlDir, net.socks(), endpoints);
      writeClusterJson(dir, cluster, net, metroctlDir);
      say(
          "Waiting for the Kubernetes API server of node 0 ("
              + cluster.address(0)
              + ":"
              + KUBE_API_PORT
              + ")...");
      awaitReachable(net.socks(), cluster.address(0), KUBE_API_PORT, stop);
      Kubeconfig.install(
          kubeconfig,
          new Kubeconfig.Entry(
              KUBE_CONTEXT,
              "https://" + cluster.address(0) + ":" + KUBE_API_PORT,
              cluster.nodeId(0),
              Pem.encodeCertificate(cluster.ca()),
              Optional.of("socks5://" + net.socks()),
              wrapper.toString(),
              List.of("k8scredplugin")));
      kubeconfigInstalled.set(true);
      say("Kubernetes: context " + KUBE_CONTEXT + " written to " + kubeconfig);
      StringBuilder flags = new StringBuilder();
      for (String e : endpoints) {
        flags.append(" --endpoints ").append(e);
      }
      out.println("Launch: Cluster running!");
      out.println(
          "  To access cluster use: metroctl --config "
              + metroctlDir
              + " --proxy "
              + net.socks()
              + flags);
      out.println("  Or use this handy wrapper: " + wrapper);
      out.println("  To access Kubernetes, use kubectl --context=" + KUBE_CONTEXT);
      out.flush();
      watch(cluster, stop);
    } catch (Exception e) {
      if (stop.getCount() == 0) {
        done.await();
        return 130;
      }
      throw e;
    }
    done.await();
    return 0;
  }

  /**
   * Waits until {@code host:port} inside the cluster network accepts TCP connections through the
   * SOCKS proxy (polling every 100 ms, for at most two minutes or until stopped).
   */
  private static void awaitReachable(String socks, String host, int port, CountDownLatch stop)
      throws IOException, InterruptedException {
    int colon = socks.lastIndexOf(':');
    Proxy proxy =
        new Proxy(
            Proxy.Type.SOCKS,
            new InetSocketAddress(
                socks.substring(0, colon), Integer.parseInt(socks.substring(colon + 1))));
    long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.MINUTES.toNanos(2);
    IOException last = null;
    while (System.nanoTime() < deadline && stop.getCount() > 0) {
      try (Socket s = new Socket(proxy)) {
        s.connect(InetSocketAddress.createUnresolved(host, port), 2000);
        return;
      } catch (IOException e) {
        last = e;
      }
      Thread.sleep(100);
    }
    throw new IOException(host + ":" + port + " did not become reachable: " + last, last);
  }

  /** Reports nodes that die on their own until the launcher is stopped. */
  private void watch(LocalCluster cluster, CountDownLatch stop) throws InterruptedException {
    boolean[] reported = new boolean[cluster.size()];
    while (!stop.await(1, java.util.concurrent.TimeUnit.SECONDS)) {
      for (int i = 0; i < cluster.size(); i++) {
        if (!reported[i] && !cluster.node(i).isAlive() && stop.getCount() > 0) {
          reported[i] = true;
          say("node " + i + " exited unexpectedly; its log: " + cluster.node(i).spec().logFile());
        }
      }
    }
  }

  /** {@code --ram} in MiB: a number of MiB, or with suffix M or G. */
  int ramMiB() {
    String v = ram.trim().toUpperCase(Locale.ROOT);
    long unit = v.endsWith("G") ? 1024 : 1;
    String digits = v.endsWith("G") || v.endsWith("M") ? v.substring(0, v.length() - 1) : v;
    long mib;
    try {
      mib = Long.parseLong(digits) * unit;
    } catch (NumberFormatException e) {
      mib = -1;
    }
    if (mib < 0 || !digits.chars().allMatch(Character::isDigit)) {
      throw new CommandLine.ParameterException(
          new CommandLine(this),
          "--ram: '" + ram + "' is not a size in MiB like 2048, 2048M or 2G");
    }
    if (mib < NodeProcess.Jvm.MIN_RAM_MIB || mib > MAX_RAM_MIB) {
      throw new CommandLine.ParameterException(
          new CommandLine(this),
          "--ram: must be " + NodeProcess.Jvm.MIN_RAM_MIB + "-" + MAX_RAM_MIB + " MiB, got " + mib);
    }
    return (int) mib;
  }

  /** 1 TiB: more is a typo on any machine this runs on. */
  private static final int MAX_RAM_MIB = 1 << 20;

  private ClusterConfiguration configuration() {
    var tpm =
        switch (tpmMode.toLowerCase(Locale.ROOT)) {
          case "required" -> ClusterConfiguration.TPMMode.TPM_MODE_REQUIRED;
          case "best-effort" -> ClusterConfiguration.TPMMode.TPM_MODE_BEST_EFFORT;
          case "disabled" -> ClusterConfiguration.TPMMode.TPM_MODE_DISABLED;
          default ->
              throw new CommandLine.ParameterException(
                  new CommandLine(this),
                  "--tpm-mode: must be required, best-effort or disabled, got '" + tpmMode + "'");
        };
    var storage =
        switch (storageSecurity.toLowerCase(Locale.ROOT)) {
          case "permissive" ->
              ClusterConfiguration.StorageSecurityPolicy.STORAGE_SECURITY_POLICY_PERMISSIVE;
          case "needs-encryption" ->
              ClusterConfiguration.StorageSecurityPolicy.STORAGE_SECURITY_POLICY_NEEDS_ENCRYPTION;
          case "needs-encryption-and-authentication" ->
              ClusterConfiguration.StorageSecurityPolicy
                  .STORAGE_SECURITY_POLICY_NEEDS_ENCRYPTION_AND_AUTHENTICATION;
          case "needs-insecure" ->
              ClusterConfiguration.StorageSecurityPolicy.STORAGE_SECURITY_POLICY_NEEDS_INSECURE;
          default ->
              throw new CommandLine.ParameterException(
                  new CommandLine(this),
                  "--storage-security: must be permissive, needs-encryption,"
                      + " needs-encryption-and-authentication or needs-insecure, got '"
                      + storageSecurity
                      + "'");
        };
    return ClusterConfiguration.newBuilder()
        .setClusterDomain(clusterDomain)
        .setTpmMode(tpm)
        .setStorageSecurityPolicy(storage)
        .build();
  }

  /** Parses a node index set like {@code 0,2-3}; every index must name a launched node. */
  Set<Integer> indexes(String flag, String spec) {
    Set<Integer> out = new TreeSet<>();
    if (spec.isBlank()) {
      return out;
    }
    for (String part : spec.split(",", -1)) {
      try {
        String[] range = part.trim().split("-", -1);
        int from = Integer.parseInt(range[0].trim());
        int to = range.length == 2 ? Integer.parseInt(range[1].trim()) : from;
        if (range.length > 2 || from > to) {
          throw new NumberFormatException();
        }
        for (int i = from; i <= to; i++) {
          if (i < 0 || i >= numNodes) {
            throw new CommandLine.ParameterException(
                new CommandLine(this),
                flag + ": node " + i + " does not exist (--num-nodes " + numNodes + ")");
          }
          out.add(i);
        }
      } catch (NumberFormatException e) {
        throw new CommandLine.ParameterException(
            new CommandLine(this), flag + ": '" + part + "' is not an index or a range like 2-3");
      }
    }
    return out;
  }

  private static Path writeWrapper(
      Path root, Path metroctlDir, String socks, List<String> endpoints) throws IOException {
    StringBuilder sb =
        new StringBuilder(
            "#!/bin/sh\n# Runs metroctl against the cluster launched by launch-cluster.\n");
    sb.append("exec '")
        .append(root.resolve("metropolis"))
        .append("' metroctl --config '")
        .append(metroctlDir)
        .append("' --proxy ")
        .append(socks);
    for (String e : endpoints) {
      sb.append(" --endpoints ").append(e);
    }
    sb.append(" \"$@\"\n");
    Path p = metroctlDir.resolve("metroctl.sh");
    write(p, sb.toString(), "rwxr-xr-x");
    return p;
  }

  private static void writeClusterJson(
      Path dir, LocalCluster cluster, VirtualNetwork net, Path metroctlDir) throws Exception {
    StringBuilder sb = new StringBuilder("{\n  \"nodes\": [\n");
    for (int i = 0; i < cluster.size(); i++) {
      sb.append("    {\"index\": ")
          .append(i)
          .append(", \"id\": ")
          .append(quote(cluster.nodeId(i)))
          .append(", \"address\": ")
          .append(quote(cluster.address(i)))
          .append(", \"pid\": ")
          .append(cluster.node(i).pid().orElse(-1L))
          .append(", \"namespace\": ")
          .append(quote(net.nodeNs(i)))
          .append(", \"log\": ")
          .append(quote(cluster.node(i).spec().logFile().toString()))
          .append(i + 1 < cluster.size() ? "},\n" : "}\n");
    }
    sb.append("  ],\n  \"socksPort\": ")
        .append(net.socksPort())
        .append(",\n  \"metroctlDir\": ")
        .append(quote(metroctlDir.toString()))
        .append(",\n  \"nanoswitchLog\": ")
        .append(quote(net.nanoswitchLog().toString()))
        .append("\n}\n");
    write(dir.resolve("cluster.json"), sb.toString(), "rw-r--r--");
  }

  private static String quote(String s) {
    return "\"" + s.replace("\\", "\\\\").replace("\"", "\\\"") + "\"";
  }

  /** Writes atomically (temp file, then rename) with the given mode. */
  private static void write(Path p, String text, String mode) throws IOException {
    Path tmp = p.resolveSibling(p.getFileName() + ".tmp");
    Files.writeString(tmp, text, StandardCharsets.UTF_8);
    Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString(mode));
    Files.move(tmp, p, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
  }

  private void say(String msg) {
    out.println("TT| " + String.format("%-20s", "test launch") + " ! " + msg);
    out.flush();
  }

  /** Echoes a growing log file to the console with a prefix, until closed. */
  private static final class Tail {
    private final Thread thread;
    private volatile boolean closed;

    private Tail(Path file, String prefix, PrintStream out) {
      thread =
          Thread.ofPlatform()
              .daemon()
              .start(() -> {
                long pos = 0;
                StringBuilder line = new StringBuilder();
                while (!closed) {
                  try {
                    if (Files.exists(file) && Files.size(file) > pos) {
                      try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "r")) {
                        f.seek(pos);
                        byte[] buf = new byte[(int) Math.min(1 << 20, f.length() - pos)];
                        f.readFully(buf);
                        pos += buf.length;
                        for (char c : new String(buf, StandardCharsets.UTF_8).toCharArray()) {
                          if (c == '\n') {
                            out.println(prefix + line);
                            line.setLength(0);
                          } else {
                            line.append(c);
                          }
                        }
                      }
                    } else {
                      Thread.sleep(200);
                    }
                  } catch (IOException e) {
                    return;
                  } catch (InterruptedException e) {
                    return;
                  }
                }
              });
    }

    static Tail start(Path file, String prefix, PrintStream out) {
      return new Tail(file, prefix, out);
    }

    void close() {
      closed = true;
      thread.interrupt();
    }
  }

  public static void main(String[] args) throws Exception {
    JdkTls.offerX25519Only();
    if (!UserNamespace.isRoot()) {
      // Without root, the network namespaces belong to a user namespace of our own.
      System.exit(UserNamespace.reexec());
    }
    System.exit(new CommandLine(new LaunchCluster()).execute(args));
  }
}
