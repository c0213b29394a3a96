package dev.metropolis.node;

import dev.metropolis.node.platform.HostedPlatform;
import dev.metropolis.node.storage.NodeStorage;
import dev.metropolis.osbase.logtree.ConsoleFilter;
import dev.metropolis.osbase.logtree.ConsoleWriter;
import dev.metropolis.osbase.logtree.LogTree;
import dev.metropolis.osbase.supervisor.RunnableInfo;
import dev.metropolis.osbase.supervisor.Supervisor;
import dev.metropolis.rpc.JdkTls;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;
import picocli.CommandLine;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** Entry point of the node core process (hosted mode). */
@Command(
    name = "metropolis-node",
    mixinStandardHelpOptions = true,
    description = "Runs a Metropolis node core as a process, with its state in one directory.")
public final class Main implements Callable<Integer> {
  @Option(
      names = "--state-dir",
      required = true,
      description = "Per-node state directory (ESP, data).")
  Path stateDir;

  @ArgGroup(exclusive = true, multiplicity = "1")
  NetworkOption network;

  /** Exactly one way to get the node's address; picocli reports none or both as a usage error. */
  static final class NetworkOption {
    @Option(
        names = "--address",
        paramLabel = "ADDR",
        description = "This node's external IP address, given (the interfaces are left alone).")
    String address;

    @Option(
        names = "--dhcp-interface",
        paramLabel = "IFACE",
        description =
            "Get the address by DHCP on IFACE (e.g. eth0) and configure it there; the node waits"
                + " for the first lease, then keeps renewing.")
    String dhcpInterface;

    NodeConfig.Network toConfig() {
      return address != null
          ? new NodeConfig.Network.Static(address)
          : new NodeConfig.Network.Dhcp(dhcpInterface);
    }
  }

  @Option(
      names = "--curator-port",
      defaultValue = "" + NodeConfig.CURATOR_PORT,
      description = "Curator port (default ${DEFAULT-VALUE}).")
  int curatorPort;

  @Option(
      names = "--etcd-peer-port",
      defaultValue = "" + NodeConfig.ETCD_PEER_PORT,
      description = "etcd peer port (default ${DEFAULT-VALUE}).")
  int etcdPeerPort;

  @Option(
      names = "--etcd-client-host",
      defaultValue = "127.0.0.1",
      description = "Where etcd's local client listener binds (default ${DEFAULT-VALUE}).")
  String etcdClientHost;

  @Option(
      names = "--etcd-client-port",
      defaultValue = "" + NodeConfig.ETCD_CLIENT_PORT,
      description = "etcd client port (default ${DEFAULT-VALUE}).")
  int etcdClientPort;

  @Option(
      names = "--shutdown-timeout",
      defaultValue = "10s",
      description = "How long to wait for services to stop (default ${DEFAULT-VALUE}).")
  String shutdownTimeout;

  @Override
  public Integer call() throws Exception {
    NodeConfig config =
        new NodeConfig(
            stateDir.toAbsolutePath(),
            network.toConfig(),
            curatorPort,
            etcdPeerPort,
            etcdClientHost,
            etcdClientPort);
    NodeStorage storage = new NodeStorage(HostedPlatform.open(config.stateDir()));
    LogTree logs = new LogTree();
    ConsoleWriter console = ConsoleWriter.start(logs, ConsoleFilter.node(), System.err);
    // The supervisor only exists once started, and the node's runnables list it (GetRunnables,
    // metrics): they read it through this reference, empty for the moment before it is set.
    AtomicReference<Supervisor> started = new AtomicReference<>();
    Supplier<List<RunnableInfo>> runnables =
        () -> {
          Supervisor s = started.get();
          return s == null ? List.of() : s.snapshot();
        };
    Supervisor supervisor = Supervisor.start(logs, new NodeRoot(config, storage, logs, runnables));
    started.set(supervisor);
    CountDownLatch stopped = new CountDownLatch(1);
    Duration bound = Duration.parse("PT" + shutdownTimeout.toUpperCase(java.util.Locale.ROOT));
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(() -> {
              try {
                var result = supervisor.shutdown(bound);
                if (!result.clean()) {
                  System.err.println(
                      "metropolis-node: runnables did not stop in time: " + result.hung());
                }
              } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
              }
              console.close();
              stopped.countDown();
            }));
    stopped.await();
    return 0;
  }

  public static void main(String[] args) {
    JdkTls.offerX25519Only();
    // A node's RPC traffic is a few connections: one Netty arena each for heap and direct buffers
    // instead of two per core saves some 10 MiB of idle memory (set before Netty loads).
    System.setProperty(
        "io.netty.allocator.numDirectArenas",
        System.getProperty("io.netty.allocator.numDirectArenas", "1"));
    System.setProperty(
        "io.netty.allocator.numHeapArenas",
        System.getProperty("io.netty.allocator.numHeapArenas", "1"));
    System.exit(new CommandLine(new Main()).execute(args));
  }
}
