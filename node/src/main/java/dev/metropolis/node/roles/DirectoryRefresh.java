package dev.metropolis.node.roles;

import dev.metropolis.api.common.ClusterDirectory;
import dev.metropolis.api.curator.Node;
import dev.metropolis.node.storage.NodeStorage;
import dev.metropolis.osbase.event.Value;
import dev.metropolis.osbase.supervisor.Context;
import dev.metropolis.osbase.supervisor.SupervisedRunnable;
import java.util.Comparator;
import java.util.Map;

/**
 * Keeps the cluster directory on the ESP current: every node that runs a curator and has an
 * address, so that after a reboot this node finds the cluster even if the control plane has moved
 * since it enrolled. Written only when the set changes.
 */
final class DirectoryRefresh implements SupervisedRunnable {
  private final Value<Map<String, Node>> nodes;
  private final NodeStorage storage;

  DirectoryRefresh(Value<Map<String, Node>> nodes, NodeStorage storage) {
    this.nodes = nodes;
    this.storage = storage;
  }

  @Override
  public void run(Context ctx) throws Exception {
    var w = nodes.watch();
    try {
      ctx.signalHealthy();
      while (true) {
        var dir =
            ClusterDirectory.newBuilder()
                .addAllNodes(
                    w.get().values().stream()
                        .filter(n ->
                            n.getStatus().hasRunningCurator()
                                && !n.getStatus().getExternalAddress().isEmpty())
                        .map(n ->
                            ClusterDirectory.Node.newBuilder()
                                .setPublicKey(n.getPubkey())
                                .addAddresses(
                                    ClusterDirectory.Node.Address.newBuilder()
                                        .setHost(n.getStatus().getExternalAddress()))
                                .build())
                        .sorted(
                            Comparator.comparing(
                                ClusterDirectory.Node::getPublicKey,
                                com.google.protobuf.ByteString.unsignedLexicographicalComparator()))
                        .toList())
                .build();
        if (dir.getNodesCount() > 0 && !storage.clusterDirectory().map(dir::equals).orElse(false)) {
          storage.writeClusterDirectory(dir);
          ctx.logger().info("Cluster directory now lists %d curator(s).", dir.getNodesCount());
        }
      }
    } finally {
      w.close();
    }
  }
}
