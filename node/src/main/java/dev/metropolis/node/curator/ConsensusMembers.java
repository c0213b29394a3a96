package dev.metropolis.node.curator;

import com.google.protobuf.ByteString;
import dev.metropolis.api.common.NodeRoles;
import dev.metropolis.api.storage.Node;
import dev.metropolis.osbase.pki.CertificateTemplates;
import dev.metropolis.osbase.pki.Ed25519;
import io.etcd.jetcd.Client;
import io.grpc.Status;
import java.net.InetAddress;
import java.net.URI;
import java.security.cert.CertificateEncodingException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * The etcd cluster's membership as the curator leader sees and changes it. A member is named after
 * its node only once it has started; until then it is known by its peer URL, which the leader chose
 * when adding it: {@code <scheme>://<node external address>:<peer port>}, with the scheme and port
 * of the leader's own member (every node uses the same peer port).
 *
 * <p>Membership changes cannot be fenced inside an etcd transaction, so callers hold the leader's
 * membership lock and probe their leadership with a fenced empty transaction right before.
 */
final class ConsensusMembers {
  private static final long TIMEOUT_S = 10;

  /** One etcd member. */
  record Member(long id, String name, List<URI> peerUrls, boolean learner) {
    String firstPeerUrl() {
      return peerUrls.isEmpty() ? "" : peerUrls.getFirst().toString();
    }
  }

  private final Client etcd;
  private final String leaderNodeId;

  ConsensusMembers(Client etcd, String leaderNodeId) {
    this.etcd = etcd;
    this.leaderNodeId = leaderNodeId;
  }

  List<Member> list() throws InterruptedException, ExecutionException, TimeoutException {
    List<Member> out = new ArrayList<>();
    for (var m :
        etcd.getClusterClient().listMember().get(TIMEOUT_S, TimeUnit.SECONDS).getMembers()) {
      out.add(new Member(m.getId(), m.getName(), List.copyOf(m.getPeerURIs()), m.isLearner()));
    }
    return out;
  }

  /** The peer URL node {@code n}'s member has (or gets), or empty when it has no address. */
  static Optional<String> expectedPeerUrl(List<Member> members, String leaderId, Node n) {
    String host = n.getStatus().getExternalAddress();
    if (host.isEmpty() || members.isEmpty()) {
      return Optional.empty();
    }
    Member model =
        members.stream()
            .filter(m -> m.name().equals(leaderId) && !m.peerUrls().isEmpty())
            .findFirst()
            .orElse(members.getFirst());
    if (model.peerUrls().isEmpty()) {
      return Optional.empty();
    }
    URI u = model.peerUrls().getFirst();
    String h = host.contains(":") ? "[" + host + "]" : host;
    return Optional.of(u.getScheme() + "://" + h + ":" + u.getPort());
  }

  /** The member standing for node {@code n}: named after it, or (not started yet) at its URL. */
  static Optional<Member> memberOf(List<Member> members, String leaderId, Node n) {
    Optional<String> url = expectedPeerUrl(members, leaderId, n);
    for (Member m : members) {
      if (m.name().equals(n.getId())) {
        return Optional.of(m);
      }
    }
    for (Member m : members) {
      if (m.name().isEmpty()
          && url.isPresent()
          && m.peerUrls().stream().anyMatch(u -> u.toString().equals(url.get()))) {
        return Optional.of(m);
      }
    }
    return Optional.empty();
  }

  /** Which node a member stands for, among {@code nodes}; empty for a member of no known node. */
  static Optional<String> nodeOf(
      Member m, List<Member> members, String leaderId, Collection<Node> nodes) {
    if (!m.name().isEmpty()) {
      return Optional.of(m.name());
    }
    for (Node n : nodes) {
      var mine = memberOf(members, leaderId, n);
      if (mine.isPresent() && mine.get().id() == m.id()) {
        return Optional.of(n.getId());
      }
    }
    return Optional.empty();
  }

  /**
   * Adds node {@code n} as a learner, unless a learner for it exists already (a retried call), and
   * returns the ConsensusMember payload the node starts its etcd from.
   *
   * <p>The peers listed are every member after the addition, learners included: etcd 3.4 refuses to
   * join an existing cluster unless its initial cluster lists exactly the cluster's members.
   */
  NodeRoles.ConsensusMember add(Node n, ClusterPki.Ca ca, Map<String, Node> nodesById)
      throws Exception {
    String addr = n.getStatus().getExternalAddress();
    List<Member> members = list();
    String url =
        expectedPeerUrl(members, leaderNodeId, n)
            .orElseThrow(() ->
                Status.FAILED_PRECONDITION
                    .withDescription(
                        "consensus_member: node "
                            + n.getId()
                            + " has not reported an external address yet; its etcd member needs"
                            + " one")
                    .asRuntimeException());
    var existing = memberOf(members, leaderNodeId, n);
    if (existing.isPresent() && !existing.get().learner()) {
      // A voter for a node without the role (callers add only to such nodes), left by a partly
      // failed change: the node drops its etcd data when it sees its role gone, and a voter must
      // never come back with an empty log (it would have forgotten its votes and the entries it
      // acknowledged). Replace it with a fresh learner, if the rest keeps a quorum.
      removeMember(n, existing.get(), members);
      members = list();
      existing = Optional.empty();
    }
    // A learner already there (a retried call) is kept: the background loop promotes it.
    if (existing.isEmpty()) {
      try {
        etcd.getClusterClient()
            .addMember(List.of(URI.create(url)), true)
            .get(TIMEOUT_S, TimeUnit.SECONDS);
      } catch (ExecutionException e) {
        throw Status.UNAVAILABLE
            .withDescription(
                "consensus_member: etcd refused to add "
                    + n.getId()
                    + " as a learner: "
                    + causeMessage(e)
                    + " (etcd admits one learner at a time; retry once the previous one is"
                    + " promoted)")
            .asRuntimeException();
      }
      members = list();
    }
    var peerCert =
        CertificateTemplates.peer(
            ca.certificate(),
            ca.key(),
            Ed25519.publicKey(n.getPublicKey().toByteArray()),
            n.getId(),
            List.of(InetAddress.getByName(addr)));
    var b =
        NodeRoles.ConsensusMember.newBuilder()
            .setCaCertificate(encoded(ca.certificate()))
            .setPeerCertificate(encoded(peerCert));
    for (Member m : members) {
      String name =
          nodeOf(m, members, leaderNodeId, nodesById.values())
              .orElse(String.format("member-%016x", m.id()));
      b.addPeers(
          NodeRoles.ConsensusMember.Peer.newBuilder().setName(name).setUrl(m.firstPeerUrl()));
    }
    return b.build();
  }

  /**
   * Removes node {@code n}'s member, if any. Refuses to remove the last voting member; etcd itself
   * refuses a removal that leaves fewer started voters than a quorum.
   */
  void remove(Node n) throws Exception {
    List<Member> members = list();
    var mine = memberOf(members, leaderNodeId, n);
    if (mine.isPresent()) {
      removeMember(n, mine.get(), members);
    }
  }

  private void removeMember(Node n, Member mine, List<Member> members) throws Exception {
    long voters = members.stream().filter(m -> !m.learner()).count();
    if (!mine.learner() && voters <= 1) {
      throw Status.FAILED_PRECONDITION
          .withDescription(
              "consensus_member: node "
                  + n.getId()
                  + " holds the last voting etcd member; removing it would destroy the cluster's"
                  + " state")
          .asRuntimeException();
    }
    try {
      etcd.getClusterClient().removeMember(mine.id()).get(TIMEOUT_S, TimeUnit.SECONDS);
    } catch (ExecutionException e) {
      String why = causeMessage(e);
      if (why.contains("not found")) {
        return;
      }
      var status =
          // etcd's strict reconfiguration check: too few members would be left running.
          why.contains("not enough started members")
                  || why.contains("unhealthy cluster")
                  || why.contains("quorum")
              ? Status.FAILED_PRECONDITION
              : Status.UNAVAILABLE;
      throw status
          .withDescription(
              "consensus_member: etcd refused to remove the member of "
                  + n.getId()
                  + ": "
                  + why
                  + " (the remaining members would not form a quorum)")
          .asRuntimeException();
    }
  }

  /** Asks etcd to promote a learner; false while etcd says it has not caught up yet. */
  boolean promote(Member m) throws InterruptedException, TimeoutException {
    try {
      etcd.getClusterClient().promoteMember(m.id()).get(TIMEOUT_S, TimeUnit.SECONDS);
      return true;
    } catch (ExecutionException e) {
      return false;
    }
  }

  /** Removes a member that belongs to no node; false when etcd refuses. */
  boolean removeOrphan(Member m) throws InterruptedException, TimeoutException {
    try {
      etcd.getClusterClient().removeMember(m.id()).get(TIMEOUT_S, TimeUnit.SECONDS);
      return true;
    } catch (ExecutionException e) {
      return false;
    }
  }

  static String causeMessage(ExecutionException e) {
    Throwable c = e.getCause() == null ? e : e.getCause();
    return String.valueOf(c.getMessage());
  }

  private static ByteString encoded(java.security.cert.X509Certificate c) {
    try {
      return ByteString.copyFrom(c.getEncoded());
    } catch (CertificateEncodingException e) {
      throw new IllegalStateException(e);
    }
  }
}
