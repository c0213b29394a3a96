package dev.metropolis.node.roles;

import dev.metropolis.api.curator.CuratorGrpc;
import dev.metropolis.api.curator.Node;
import dev.metropolis.api.curator.WatchEvent;
import dev.metropolis.api.curator.WatchRequest;
import dev.metropolis.osbase.event.MemoryValue;
import dev.metropolis.osbase.supervisor.Context;
import dev.metropolis.osbase.supervisor.SupervisedRunnable;
import java.util.Map;
import java.util.TreeMap;

/**
 * The node's view of the whole cluster: one {@code Watch(NodesInCluster)} on the leader, published
 * as an immutable map from node ID to node once the backlog is complete and again on every change.
 * Its users (the cluster directory, the Kubernetes worker looking for API servers, the label sync
 * of Kubernetes controllers) share this one stream.
 */
final class ClusterNodes implements SupervisedRunnable {
  private final ClusterLink link;
  private final MemoryValue<Map<String, Node>> nodes;

  ClusterNodes(ClusterLink link, MemoryValue<Map<String, Node>> nodes) {
    this.link = link;
    this.nodes = nodes;
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
      Map<String, Node> current = new TreeMap<>();
      boolean backlogDone = false;
      ctx.signalHealthy();
      while (events.hasNext()) {
        WatchEvent ev = events.next();
        for (var n : ev.getNodesList()) {
          current.put(n.getId(), n);
        }
        for (var t : ev.getNodeTombstonesList()) {
          current.remove(t.getNodeId());
        }
        backlogDone |= ev.getProgress() == WatchEvent.Progress.PROGRESS_LAST_BACKLOGGED;
        if (backlogDone) {
          nodes.set(Map.copyOf(current));
        }
      }
      throw new IllegalStateException("cluster watch ended");
    } finally {
      ch.close();
    }
  }
}
