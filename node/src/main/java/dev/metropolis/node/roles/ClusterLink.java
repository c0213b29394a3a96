package dev.metropolis.node.roles;

import dev.metropolis.node.NodeConfig;
import dev.metropolis.node.cluster.CallScope;
import dev.metropolis.node.cluster.CuratorConnection;
import dev.metropolis.node.enrolment.EnrolmentState;
import dev.metropolis.node.storage.NodeStorage;
import dev.metropolis.osbase.event.Value;
import io.grpc.ManagedChannel;
import io.grpc.StatusRuntimeException;
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
   * The caller's scope on the channel to the leader; closing it cancels the caller's calls. All of
   * the node's workers share one channel, so one connection and one TLS handshake, where a channel
   * each cost a handshake per worker on both ends (in a new JVM, most of the CPU a join takes).
   * Each call first asks the channel's curator whether it still leads, and finds the leader anew
   * when it does not or does not answer: a worker that fails for a moved leader gets the new one on
   * its restart. While no curator answers (this node's own is still starting, or an election is
   * under way) it asks again every 100 ms for up to {@link #LEADER_PATIENCE} before failing:
   * failing at once would put its caller into the supervisor's back-off, which on a bootstrapping
   * node delayed its status push by most of a second.
   */
  CallScope leader(NodeStorage.Credentials creds) throws InterruptedException, IOException {
    long deadline = System.nanoTime() + LEADER_PATIENCE.toNanos();
    while (true) {
      try {
        return new CallScope(sharedLeader(creds));
      } catch (IllegalStateException e) {
        if (System.nanoTime() > deadline) {
          throw e;
        }
        Thread.sleep(100);
      }
    }
  }

  /** The shared channel, checked or found anew; callers wait for one another's search. */
  private synchronized ManagedChannel sharedLeader(NodeStorage.Credentials creds)
      throws InterruptedException, IOException {
    if (shared != null) {
      boolean valid = sharedCertificate.equals(creds.certificate());
      if (valid) {
        try {
          valid = CuratorConnection.leaderAccordingTo(shared.channel()).equals(shared.endpoint());
        } catch (StatusRuntimeException | IllegalStateException e) {
          valid = false;
        }
      }
      if (valid) {
        return shared.channel();
      }
      // Calls still on it go to a curator that no longer leads (or is gone): they fail, and their
      // workers restart onto the new channel.
      shared.channel().shutdownNow();
      shared = null;
    }
    shared = CuratorConnection.toLeader(candidates(), creds);
    sharedCertificate = creds.certificate();
    return shared.channel();
  }

  /** The channel all workers share, and the certificate it presents (guarded by this). */
  private CuratorConnection.Leader shared;

  private java.security.cert.X509Certificate sharedCertificate;

  private static final java.time.Duration LEADER_PATIENCE = java.time.Duration.ofSeconds(5);
}
