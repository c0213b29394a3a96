package dev.metropolis.node.roles;

import dev.metropolis.api.common.NodeRoles;
import dev.metropolis.api.curator.Node;
import dev.metropolis.kubernetes.client.RestClient;
import dev.metropolis.kubernetes.worker.NodeAgent;
import dev.metropolis.kubernetes.worker.NodeInfo;
import dev.metropolis.node.NodeConfig;
import dev.metropolis.node.platform.Platform;
import dev.metropolis.node.storage.NodeStorage;
import dev.metropolis.osbase.event.Value;
import dev.metropolis.osbase.event.Watcher;
import dev.metropolis.osbase.pki.NodeId;
import dev.metropolis.osbase.supervisor.Context;
import dev.metropolis.osbase.supervisor.SupervisedRunnable;
import dev.metropolis.rpc.JdkTls;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeoutException;

/**
 * The KubernetesWorker role: registers this node as a Kubernetes {@code Node} (name = node ID) with
 * an API server of a controller node (its own first, then the others by ID, moving on when one
 * fails), posts its status and renews its Lease every {@value NodeAgent#LEASE_RENEW_SECONDS} s.
 * When the role is removed it deletes its Node and Lease, so it leaves scheduling. Authenticates
 * with the node certificate (Kubernetes user {@code system:node:<id>}) and accepts only the node
 * certificate of the controller it dialled.
 */
final class KubernetesWorker implements SupervisedRunnable {
  private static final Duration STATUS_PERIOD = Duration.ofSeconds(60);
  private static final Duration RETRY = Duration.ofSeconds(2);

  private final ClusterLink link;
  private final NodeStorage storage;
  private final Value<NodeRoles> roles;
  private final Value<Map<String, Node>> nodes;

  KubernetesWorker(
      ClusterLink link,
      NodeStorage storage,
      Value<NodeRoles> roles,
      Value<Map<String, Node>> nodes) {
    this.link = link;
    this.storage = storage;
    this.roles = roles;
    this.nodes = nodes;
  }

  /** An API server: the controller node's ID (its certificate's name) and URL. */
  private record Endpoint(String nodeId, String url) {}

  @Override
  public void run(Context ctx) throws Exception {
    var creds = link.credentials();
    String id = NodeId.of(creds.key().getPublic());
    if (!ControlPlane.get(roles).hasKubernetesWorker()) {
      ctx.logger().info("Not a Kubernetes worker.");
      ctx.signalHealthy();
      try (Watcher<NodeRoles> w = roles.watch()) {
        w.get(NodeRoles::hasKubernetesWorker);
      }
      throw new IllegalStateException("KubernetesWorker role granted: starting");
    }
    NodeAgent agent =
        new NodeAgent(info(id, link.address(), storage.platform()), Clock.systemUTC());
    try (Watcher<NodeRoles> rw = roles.watch();
        Watcher<Map<String, Node>> nw = nodes.watch()) {
      Map<String, Node> cluster = nw.get();
      RestClient api = null;
      int next = 0;
      boolean healthy = false;
      boolean waitingLogged = false;
      Instant lastStatus = Instant.MIN;
      while (true) {
        try {
          if (api == null) {
            List<Endpoint> eps = endpoints(cluster, id);
            if (eps.isEmpty()) {
              if (!waitingLogged) {
                ctx.logger().info("Waiting for a Kubernetes controller to register with.");
                waitingLogged = true;
              }
            } else {
              Endpoint ep = eps.get(Math.floorMod(next++, eps.size()));
              api = client(ep, creds);
              agent.register(api);
              agent.postStatus(api);
              lastStatus = Instant.now();
              ctx.logger().info("Registered as Kubernetes node %s with %s.", id, api.base());
              waitingLogged = false;
            }
          } else if (Duration.between(lastStatus, Instant.now()).compareTo(STATUS_PERIOD) >= 0) {
            agent.postStatus(api);
            lastStatus = Instant.now();
          }
          if (api != null) {
            agent.renewLease(api);
            if (!healthy) {
              ctx.signalHealthy();
              healthy = true;
            }
          }
        } catch (IOException e) {
          ctx.logger()
              .warning(
                  "Kubernetes API server %s: %s; trying another.",
                  api == null ? "?" : api.base(), e.getMessage());
          if (api != null) {
            api.close();
          }
          api = null;
        }
        Duration wait = api == null ? RETRY : Duration.ofSeconds(NodeAgent.LEASE_RENEW_SECONDS);
        try {
          rw.get(r -> !r.hasKubernetesWorker(), wait);
          leave(ctx, agent, api, cluster, id, creds);
          throw new IllegalStateException("KubernetesWorker role removed: stopping");
        } catch (TimeoutException e) {
          // time to renew
        }
        try {
          cluster = nw.get(Duration.ofMillis(1));
        } catch (TimeoutException e) {
          // no change
        }
      }
    }
  }

  /** Deletes the Node and Lease, trying each API server once; logs if none answered. */
  private void leave(
      Context ctx,
      NodeAgent agent,
      RestClient current,
      Map<String, Node> cluster,
      String id,
      NodeStorage.Credentials creds)
      throws InterruptedException {
    List<RestClient> tries = new ArrayList<>();
    if (current != null) {
      tries.add(current);
    }
    for (Endpoint ep : endpoints(cluster, id)) {
      tries.add(client(ep, creds));
    }
    for (RestClient c : tries) {
      try {
        agent.deregister(c);
        ctx.logger().info("Removed Kubernetes node %s (role removed).", id);
        return;
      } catch (IOException e) {
        ctx.logger().warning("Removing Kubernetes node via %s: %s", c.base(), e.getMessage());
      } finally {
        c.close();
      }
    }
    ctx.logger().warning("Could not remove Kubernetes node %s: no API server answered.", id);
  }

  /** A client of {@code ep} that accepts only that controller's node certificate. */
  private static RestClient client(Endpoint ep, NodeStorage.Credentials creds) {
    return new RestClient(
        ep.url(),
        JdkTls.client(creds.ca(), ep.nodeId(), creds.certificate(), creds.key().getPrivate()));
  }

  /** Controllers with an address: this node first, then the others by ID. */
  private static List<Endpoint> endpoints(Map<String, Node> cluster, String self) {
    return cluster.values().stream()
        .filter(n ->
            n.getRoles().hasKubernetesController()
                && n.getRoles().hasConsensusMember()
                && !n.getStatus().getExternalAddress().isEmpty())
        .sorted(
            Comparator.comparing((Node n) -> !n.getId().equals(self)).thenComparing(Node::getId))
        .map(n ->
            new Endpoint(
                n.getId(),
                "https://"
                    + n.getStatus().getExternalAddress()
                    + ":"
                    + NodeConfig.KUBERNETES_API_PORT))
        .toList();
  }

  private static NodeInfo info(String id, String address, Platform platform) throws IOException {
    return new NodeInfo(
        id,
        address,
        Runtime.getRuntime().availableProcessors(),
        memoryBytes(),
        110,
        "Metropolis (hosted)",
        System.getProperty("os.version"),
        "v1.32.0-metropolis",
        HexFormat.of().formatHex(platform.bootId()),
        NodeInfo.standardLabels(id));
  }

  /** MemTotal from /proc/meminfo. */
  private static long memoryBytes() throws IOException {
    for (String line : Files.readAllLines(Path.of("/proc/meminfo"))) {
      if (line.startsWith("MemTotal:")) {
        return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
      }
    }
    return 0;
  }
}
