package dev.metropolis.node.roles;

import dev.metropolis.api.common.ClusterDirectory;
import dev.metropolis.api.curator.CuratorGrpc;
import dev.metropolis.api.curator.WatchEvent;
import dev.metropolis.api.curator.WatchRequest;
import dev.metropolis.node.storage.NodeStorage;
import dev.metropolis.osbase.supervisor.Context;
import dev.metropolis.osbase.supervisor.SupervisedRunnable;
import java.util.Comparator;
import java.util.Map;
import java.util.TreeMap;

/**
 * Keeps the cluster directory on the ESP current: every node that runs a curator and has an
 * address, so that after a reboot this node finds the cluster even if the control plane has moved
 * since it enrolled. Written only when the set changes.
 */
final class DirectoryRefresh implements SupervisedRunnable {
  private final ClusterLink link;
  private final NodeStorage storage;

  DirectoryRefresh(ClusterLink link, NodeStorage storage) {
    this.link = link;
    this.storage = storage;
  }

  @Override
  public void run(Context ctx) throws Exception {
    var creds = link.credentials();
    var ch = link.leader(creds);
    try {
      var events =
          CuratorGrpc.newBlockingStub(ch)
              .watch(
                  WatchRequest.newBuilder()
                      .setNodesInCluster(WatchRequest.NodesInCluster.getDefaultInstance())
                      .build());
      Map<String, ClusterDirectory.Node> curators = new TreeMap<>();
      boolean backlogDone = false;
      ctx.signalHealthy();
      while (events.hasNext()) {
        WatchEvent ev = events.next();
        for (var n : ev.getNodesList()) {
          if (n.getStatus().hasRunningCurator() && !n.getStatus().getExternalAddress().isEmpty()) {
            curators.put(
                n.getId(),
                ClusterDirectory.Node.newBuilder()
                    .setPublicKey(n.getPubkey())
                    .addAddresses(
                        ClusterDirectory.Node.Address.newBuilder()
                            .setHost(n.getStatus().getExternalAddress()))
                    .build());
          } else {
            curators.remove(n.getId());
          }
        }
        for (var t : ev.getNodeTombstonesList()) {
          curators.remove(t.getNodeId());
        }
        backlogDone |= ev.getProgress() == WatchEvent.Progress.PROGRESS_LAST_BACKLOGGED;
        if (backlogDone && !curators.isEmpty()) {
          var dir =
              ClusterDirectory.newBuilder()
                  .addAllNodes(
                      curators.values().stream()
                          .sorted(
                              Comparator.comparing(
                                  n -> n.getPublicKey(),
                                  com.google.protobuf.ByteString
                                      .unsignedLexicographicalComparator()))
                          .toList())
                  .build();
          if (!storage.clusterDirectory().map(dir::equals).orElse(false)) {
            storage.writeClusterDirectory(dir);
            ctx.logger().info("Cluster directory now lists %d curator(s).", dir.getNodesCount());
          }
        }
      }
      throw new IllegalStateException("cluster watch ended");
    } finally {
      ch.shutdownNow();
    }
  }
}
