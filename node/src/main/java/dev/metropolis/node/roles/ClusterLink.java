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

  ManagedChannel leader(NodeStorage.Credentials creds) throws InterruptedException, IOException {
    return CuratorConnection.toLeader(candidates(), creds);
  }
}
