package dev.metropolis.node.roles;

import dev.metropolis.api.common.NodeRoles;
import dev.metropolis.api.curator.Node;
import dev.metropolis.kubernetes.apiserver.ApiServer;
import dev.metropolis.kubernetes.apiserver.ApiServerConfig;
import dev.metropolis.node.NodeConfig;
import dev.metropolis.osbase.event.Value;
import dev.metropolis.osbase.event.Watcher;
import dev.metropolis.osbase.supervisor.Context;
import dev.metropolis.osbase.supervisor.SupervisedRunnable;
import io.etcd.jetcd.Client;
import java.net.InetSocketAddress;
import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeoutException;
import java.util.function.Predicate;

/**
 * The KubernetesController role: where the node has it and runs a consensus member, the Kubernetes
 * API server on {@value NodeConfig#KUBERNETES_API_PORT} of the node's address (objects under
 * {@value #ETCD_PREFIX} in the local etcd member; TLS with the node certificate; the cluster owner
 * is cluster-admin, nodes authenticate with their node certificates), and beside it the label sync.
 * It restarts when the role goes or the local etcd client changes; the rest of the control plane
 * does not.
 */
final class KubernetesController implements SupervisedRunnable {
  static final String ETCD_PREFIX = "/kubernetes";
  private static final Duration POLL = Duration.ofSeconds(1);

  private final ClusterLink link;
  private final Value<NodeRoles> roles;
  private final Value<Optional<Client>> localEtcd;
  private final Value<Map<String, Node>> nodes;

  KubernetesController(
      ClusterLink link,
      Value<NodeRoles> roles,
      Value<Optional<Client>> localEtcd,
      Value<Map<String, Node>> nodes) {
    this.link = link;
    this.roles = roles;
    this.localEtcd = localEtcd;
    this.nodes = nodes;
  }

  @Override
  public void run(Context ctx) throws Exception {
    var creds = link.credentials();
    if (!ControlPlane.get(roles).hasKubernetesController()) {
      ctx.logger().info("Not a Kubernetes controller.");
      ctx.signalHealthy();
      awaitRoles(NodeRoles::hasKubernetesController);
      throw new IllegalStateException("KubernetesController role granted: starting");
    }
    Client etcd = awaitLocalEtcd(ctx);
    String addr = link.address();
    ApiServer server =
        ApiServer.start(
            new ApiServerConfig(
                etcd,
                ETCD_PREFIX,
                creds.ca(),
                creds.certificate(),
                creds.key().getPrivate(),
                new InetSocketAddress(addr, NodeConfig.KUBERNETES_API_PORT),
                Set.of("owner"),
                Clock.systemUTC()));
    try {
      ctx.logger()
          .info(
              "Kubernetes API server serving on https://%s:%d/.",
              addr, NodeConfig.KUBERNETES_API_PORT);
      ctx.run("labels", new LabelMaker(server.loopback(), etcd, nodes));
      ctx.run(
          "controllers",
          new KubernetesControllers(
              server.loopback(), dev.metropolis.osbase.pki.NodeId.of(creds.key().getPublic())));
      ctx.signalHealthy();
      try (Watcher<NodeRoles> rw = roles.watch();
          Watcher<Optional<Client>> ew = localEtcd.watch()) {
        while (true) {
          if (changed(rw, r -> !r.hasKubernetesController())) {
            throw new IllegalStateException("KubernetesController role removed: stopping");
          }
          if (changed(ew, e -> !isSame(e, etcd))) {
            throw new IllegalStateException("local consensus member restarted: restarting");
          }
        }
      }
    } finally {
      server.close();
    }
  }

  /** Whether the shared client is still this one instance (a restart makes a new one). */
  @SuppressWarnings("ReferenceEquality") // identity is the point: a new client is a new member run
  private static boolean isSame(Optional<Client> shared, Client etcd) {
    return shared.isPresent() && shared.get() == etcd;
  }

  /** Waits up to {@link #POLL} for a value matching {@code p}. */
  private static <T> boolean changed(Watcher<T> w, Predicate<? super T> p)
      throws InterruptedException {
    try {
      w.get(p, POLL);
      return true;
    } catch (TimeoutException e) {
      return false;
    }
  }

  private void awaitRoles(Predicate<NodeRoles> p) throws InterruptedException {
    try (Watcher<NodeRoles> w = roles.watch()) {
      w.get(p);
    }
  }

  /** The local etcd client, once the consensus member runs; gives up if the role goes. */
  private Client awaitLocalEtcd(Context ctx) throws InterruptedException {
    try (Watcher<NodeRoles> rw = roles.watch();
        Watcher<Optional<Client>> ew = localEtcd.watch()) {
      boolean logged = false;
      while (true) {
        try {
          return ew.get(Optional::isPresent, POLL).orElseThrow();
        } catch (TimeoutException e) {
          if (!logged) {
            ctx.logger()
                .info(
                    "Waiting for the local consensus member (KubernetesController needs"
                        + " ConsensusMember on the same node).");
            logged = true;
          }
        }
        if (changed(rw, r -> !r.hasKubernetesController())) {
          throw new IllegalStateException("KubernetesController role removed");
        }
      }
    }
  }
}
