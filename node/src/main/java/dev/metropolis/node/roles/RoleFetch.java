package dev.metropolis.node.roles;

import dev.metropolis.api.common.NodeRoles;
import dev.metropolis.api.curator.CuratorGrpc;
import dev.metropolis.api.curator.WatchEvent;
import dev.metropolis.api.curator.WatchRequest;
import dev.metropolis.node.storage.NodeStorage;
import dev.metropolis.osbase.event.Value;
import dev.metropolis.osbase.pki.NodeId;
import dev.metropolis.osbase.supervisor.Context;
import dev.metropolis.osbase.supervisor.SupervisedRunnable;
import java.util.Iterator;

/**
 * Keeps this node's roles current: first the roles it last saw (persisted, so a consensus member
 * can start etcd at a cold start before any curator answers), then every change from the leader's
 * {@code Watch} of this node's record, each one persisted before it is published.
 */
final class RoleFetch implements SupervisedRunnable {
  private final ClusterLink link;
  private final NodeStorage storage;
  private final Value<NodeRoles> roles;

  RoleFetch(ClusterLink link, NodeStorage storage, Value<NodeRoles> roles) {
    this.link = link;
    this.storage = storage;
    this.roles = roles;
  }

  @Override
  public void run(Context ctx) throws Exception {
    var creds = link.credentials();
    storage.lastKnownRoles().ifPresent(roles::set);
    String id = NodeId.of(creds.key().getPublic());
    var ch = link.leader(creds);
    try {
      Iterator<WatchEvent> events =
          CuratorGrpc.newBlockingStub(ch)
              .watch(
                  WatchRequest.newBuilder()
                      .setNodeInCluster(WatchRequest.NodeInCluster.newBuilder().setNodeId(id))
                      .build());
      ctx.signalHealthy();
      while (events.hasNext()) {
        WatchEvent ev = events.next();
        for (var n : ev.getNodesList()) {
          if (n.getId().equals(id)) {
            if (!storage.lastKnownRoles().map(r -> r.equals(n.getRoles())).orElse(false)) {
              storage.writeLastKnownRoles(n.getRoles());
              ctx.logger().info("Roles now: %s", RoleNames.of(n.getRoles()));
            }
            roles.set(n.getRoles());
          }
        }
        for (var t : ev.getNodeTombstonesList()) {
          if (t.getNodeId().equals(id)) {
            ctx.logger().error("This node was deleted from the cluster.");
          }
        }
      }
      throw new IllegalStateException("role watch ended");
    } finally {
      ch.close();
    }
  }
}
