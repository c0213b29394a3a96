package dev.metropolis.node.roles;

import dev.metropolis.api.common.NodeState;
import dev.metropolis.api.management.GetNodesRequest;
import dev.metropolis.api.management.ManagementGrpc;
import dev.metropolis.api.management.Node;
import dev.metropolis.node.NodeConfig;
import dev.metropolis.node.metrics.CoreMetrics;
import dev.metropolis.node.metrics.HostMetrics;
import dev.metropolis.node.metrics.MetricsServer;
import dev.metropolis.node.mgmt.NodeManagementService;
import dev.metropolis.osbase.event.Value;
import dev.metropolis.osbase.logtree.LogTree;
import dev.metropolis.osbase.supervisor.Context;
import dev.metropolis.osbase.supervisor.RunnableInfo;
import dev.metropolis.osbase.supervisor.SupervisedRunnable;
import dev.metropolis.rpc.JdkTls;
import dev.metropolis.rpc.ServerSecurity;
import io.grpc.Server;
import java.net.InetSocketAddress;
import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * The node-local services every member runs on its external address with its node certificate:
 * NodeManagement ({@code nodemgmt}, port 7839) and the metrics endpoint ({@code metrics}, port
 * 7840). Operators call them directly, not through the curator leader.
 */
final class LocalServices {
  private LocalServices() {}

  static SupervisedRunnable nodeManagement(
      ClusterLink link, LogTree logs, Supplier<List<RunnableInfo>> runnables) {
    return ctx -> {
      var creds = link.credentials();
      String addr = link.address();
      Server server =
          ServerSecurity.serverBuilder(
                  new InetSocketAddress(addr, NodeConfig.NODE_MGMT_PORT),
                  creds.ca(),
                  creds.certificate(),
                  creds.key().getPrivate())
              .executor(Executors.newVirtualThreadPerTaskExecutor())
              .addService(new NodeManagementService(logs, runnables))
              .build()
              .start();
      ctx.logger().info("NodeManagement serving on %s:%d.", addr, NodeConfig.NODE_MGMT_PORT);
      serveUntilCancelled(
          ctx,
          () -> {
            server.shutdownNow();
            server.awaitTermination(5, TimeUnit.SECONDS);
          });
    };
  }

  static SupervisedRunnable metrics(
      ClusterLink link, NodeConfig config, CoreMetrics core, Value<Boolean> localCurator) {
    return ctx -> {
      var creds = link.credentials();
      String addr = link.address();
      String etcdHost = config.etcdClientHost();
      URI etcd =
          URI.create(
              "http://"
                  + (etcdHost.indexOf(':') >= 0 ? "[" + etcdHost + "]" : etcdHost)
                  + ":"
                  + dev.metropolis.node.consensus.EtcdConfig.METRICS_PORT
                  + "/metrics");
      MetricsServer server =
          MetricsServer.start(
              new InetSocketAddress(addr, NodeConfig.METRICS_PORT),
              JdkTls.server(creds.ca(), creds.certificate(), creds.key().getPrivate()),
              new HostMetrics(),
              core,
              etcd,
              () -> {
                if (!ControlPlane.get(localCurator)) {
                  return Optional.empty();
                }
                return Optional.of(targets(link));
              },
              NodeConfig.METRICS_PORT);
      ctx.logger().info("Metrics serving on https://%s:%d/.", addr, NodeConfig.METRICS_PORT);
      serveUntilCancelled(ctx, server::close);
    };
  }

  /** Every UP node with an address, from the leader. */
  private static List<MetricsServer.Target> targets(ClusterLink link) throws Exception {
    var ch = link.leader(link.credentials());
    try {
      List<MetricsServer.Target> out = new ArrayList<>();
      ManagementGrpc.newBlockingStub(ch)
          .withDeadlineAfter(10, TimeUnit.SECONDS)
          .getNodes(GetNodesRequest.getDefaultInstance())
          .forEachRemaining(n -> {
            String a = n.getStatus().getExternalAddress();
            if (n.getState() == NodeState.NODE_STATE_UP && !a.isEmpty()) {
              out.add(new MetricsServer.Target(n.getId(), a, roles(n)));
            }
          });
      return out;
    } finally {
      ch.close();
    }
  }

  private static List<String> roles(Node n) {
    List<String> roles = new ArrayList<>();
    if (n.getRoles().hasConsensusMember()) {
      roles.add("consensus_member");
    }
    if (n.getRoles().hasKubernetesController()) {
      roles.add("kubernetes_controller");
    }
    if (n.getRoles().hasKubernetesWorker()) {
      roles.add("kubernetes_worker");
    }
    return roles;
  }

  /** Something to run when the runnable stops. */
  @FunctionalInterface
  private interface Stop {
    void run() throws Exception;
  }

  private static void serveUntilCancelled(Context ctx, Stop stop) throws Exception {
    ctx.signalHealthy();
    try {
      ctx.awaitCancel();
    } finally {
      stop.run();
    }
  }
}
