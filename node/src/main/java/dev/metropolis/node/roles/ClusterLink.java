package dev.metropolis.node.roles;

import dev.metropolis.node.NodeConfig;
import dev.metropolis.node.cluster.CuratorConnection;
import dev.metropolis.node.enrolment.EnrolmentState;
import dev.metropolis.node.storage.NodeStorage;
import dev.metropolis.osbase.event.Value;
import io.grpc.ManagedChannel;
import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;

/** What the node's cluster-facing workers share: its credentials and how to reach the leader. */
final class ClusterLink {
  private final NodeConfig config;
  private final NodeStorage storage;
  private final Value<EnrolmentState> enrolment;
  private final Value<String> address;

  ClusterLink(
      NodeConfig config,
      NodeStorage storage,
      Value<EnrolmentState> enrolment,
      Value<String> address) {
    this.config = config;
    this.storage = storage;
    this.enrolment = enrolment;
    this.address = address;
  }

  /** Waits until the node is an enrolled member and returns its credentials. */
  NodeStorage.Credentials credentials() throws InterruptedException {
    var w = enrolment.watch();
    try {
      return ((EnrolmentState.Member) w.get(s -> s instanceof EnrolmentState.Member)).credentials();
    } finally {
      w.close();
    }
  }

  String address() throws InterruptedException {
    return ControlPlane.get(address);
  }

  /** Curators to ask for the leader: this node's own first, then the persisted directory. */
  List<CuratorConnection.Endpoint> candidates() throws InterruptedException, IOException {
    LinkedHashSet<CuratorConnection.Endpoint> out = new LinkedHashSet<>();
    out.add(new CuratorConnection.Endpoint(address(), config.curatorPort()));
    for (var n : storage.clusterDirectory().map(d -> d.getNodesList()).orElse(List.of())) {
      for (var a : n.getAddressesList()) {
        out.add(new CuratorConnection.Endpoint(a.getHost(), config.curatorPort()));
      }
    }
    return new ArrayList<>(out);
  }

  /**
   * A channel to the leader. While no curator answers (this node's own is still starting, or an
   * election is under way) it asks again every 100 ms for up to {@link #LEADER_PATIENCE} before
   * failing: failing at once would put its caller into the supervisor's back-off, which on a
   * bootstrapping node delayed its status push by most of a second.
   */
  ManagedChannel leader(NodeStorage.Credentials creds) throws InterruptedException, IOException {
    long deadline = System.nanoTime() + LEADER_PATIENCE.toNanos();
    while (true) {
      try {
        return CuratorConnection.toLeader(candidates(), creds);
      } catch (IllegalStateException e) {
        if (System.nanoTime() > deadline) {
          throw e;
        }
        Thread.sleep(100);
      }
    }
  }

  private static final java.time.Duration LEADER_PATIENCE = java.time.Duration.ofSeconds(5);
}
