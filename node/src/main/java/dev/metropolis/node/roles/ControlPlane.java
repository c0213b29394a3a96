package dev.metropolis.node.roles;

import com.google.protobuf.ByteString;
import dev.metropolis.api.common.NodeRoles;
import dev.metropolis.node.NodeConfig;
import dev.metropolis.node.consensus.Consensus;
import dev.metropolis.node.consensus.EtcdConfig;
import dev.metropolis.node.enrolment.EnrolmentState;
import dev.metropolis.node.storage.NodeStorage;
import dev.metropolis.osbase.event.MemoryValue;
import dev.metropolis.osbase.event.Value;
import dev.metropolis.osbase.pki.CertificateTemplates;
import dev.metropolis.osbase.pki.NodeId;
import dev.metropolis.osbase.pki.Pem;
import dev.metropolis.osbase.supervisor.Context;
import dev.metropolis.osbase.supervisor.SupervisedRunnable;
import io.etcd.jetcd.Client;
import java.net.InetAddress;
import java.nio.file.Files;
import java.security.cert.X509Certificate;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Runs this node's share of the cluster control plane when it should: the etcd member ({@code
 * consensus}) and the curator beside it, in one group so they fail and restart together. A
 * bootstrapping node starts a new one-member etcd; an enrolled node starts etcd from its
 * ConsensusMember role (from the roles it last saw, so it can start before any curator answers).
 */
public final class ControlPlane implements SupervisedRunnable {
  private final NodeConfig config;
  private final NodeStorage storage;
  private final Value<EnrolmentState> enrolment;
  private final Value<String> address;
  private final Value<NodeRoles> roleUpdates;
  private final CuratorRunnable.Factory curator;
  private final MemoryValue<Optional<Client>> localEtcd;

  public ControlPlane(
      NodeConfig config,
      NodeStorage storage,
      Value<EnrolmentState> enrolment,
      Value<String> address,
      Value<NodeRoles> roleUpdates,
      CuratorRunnable.Factory curator,
      MemoryValue<Optional<Client>> localEtcd) {
    this.config = config;
    this.storage = storage;
    this.enrolment = enrolment;
    this.address = address;
    this.roleUpdates = roleUpdates;
    this.curator = curator;
    this.localEtcd = localEtcd;
  }

  @Override
  public void run(Context ctx) throws Exception {
    EnrolmentState state = get(enrolment);
    String addr = get(address);
    EtcdConfig etcd;
    NodeRoles roles;
    switch (state) {
      case EnrolmentState.Bootstrapping b -> {
        var data = b.data();
        String id = NodeId.of(data.nodeKey().getPublic());
        X509Certificate peer =
            CertificateTemplates.peer(
                data.ca().certificate(),
                data.ca().key(),
                data.nodeKey().getPublic(),
                id,
                addresses(addr));
        etcd =
            etcdConfig(
                id,
                data.ca().certificate(),
                peer,
                data.nodeKey().getPrivate(),
                addr,
                Map.of(),
                true);
        roles =
            NodeRoles.newBuilder()
                .setConsensusMember(
                    NodeRoles.ConsensusMember.newBuilder()
                        .setCaCertificate(ByteString.copyFrom(data.ca().certificate().getEncoded()))
                        .setPeerCertificate(ByteString.copyFrom(peer.getEncoded()))
                        .addPeers(
                            NodeRoles.ConsensusMember.Peer.newBuilder()
                                .setName(id)
                                .setUrl(etcd.peerUrl())))
                .setKubernetesController(NodeRoles.KubernetesController.getDefaultInstance())
                .build();
      }
      case EnrolmentState.Member m -> {
        roles = get(roleUpdates);
        if (!roles.hasConsensusMember()) {
          ctx.logger().info("Not a consensus member: no local control plane.");
          forgetMembership();
          ctx.signalHealthy();
          awaitRoleChange(ByteString.EMPTY);
          return;
        }
        var cm = roles.getConsensusMember();
        var creds = m.credentials();
        Map<String, String> peers = new LinkedHashMap<>();
        for (var p : cm.getPeersList()) {
          peers.put(p.getName(), p.getUrl());
        }
        String id = NodeId.of(creds.key().getPublic());
        if (lostVoterData(cm.getPeerCertificate())) {
          ctx.logger()
              .error(
                  "etcd data directory %s is gone, but this node's etcd member has been a voter"
                      + " in its current membership. Not starting etcd: it would rejoin with an"
                      + " empty log under a voter's identity (forgetting its votes and the"
                      + " writes it acknowledged) or found a new cluster. The other members keep"
                      + " serving. To recover, remove this node's ConsensusMember role (metroctl"
                      + " node remove role ConsensusMember %s), then add it again: the node then"
                      + " joins as a new learner with an empty data directory.",
                  storage.etcdDataDir(), id);
          ctx.signalHealthy();
          awaitRoleChange(cm.getPeerCertificate());
        }
        etcd =
            etcdConfig(
                id,
                Pem.parseCertificate(cm.getCaCertificate().toByteArray()),
                Pem.parseCertificate(cm.getPeerCertificate().toByteArray()),
                creds.key().getPrivate(),
                addr,
                peers,
                !Files.exists(storage.etcdDataDir())
                    && peers.keySet().equals(java.util.Set.of(id)));
      }
    }
    useMembership(roles.getConsensusMember().getPeerCertificate());
    // One group: when etcd dies, its client and the curator go down and come back with it.
    Value<Client> client = new MemoryValue<>();
    Consensus consensus = new Consensus(etcd, client);
    // Logged here: the etcd DN itself is shown on the console only at WARNING and above.
    ctx.logger().info("Starting %s.", consensus.describe());
    Map<String, SupervisedRunnable> group = new LinkedHashMap<>();
    group.put("etcd", consensus.process());
    group.put("consensus", consensus.client());
    SupervisedRunnable cur = curator.create(client, state, roles);
    group.put(
        "curator",
        c -> {
          // The client exists once the member votes: from now on its data must not be lost.
          get(client);
          markVoter();
          cur.run(c);
        });
    // Shared with the Kubernetes controller role, which stores its objects in this member.
    group.put(
        "share",
        c -> {
          localEtcd.set(Optional.of(get(client)));
          c.signalHealthy();
          try {
            c.awaitCancel();
          } finally {
            localEtcd.set(Optional.empty());
          }
        });
    ctx.runGroup(group);
    ctx.signalHealthy();
    awaitRoleChange(roles.getConsensusMember().getPeerCertificate());
  }

  /**
   * Returns (by throwing, so the supervisor restarts this runnable) when the consensus role
   * appears, disappears or changes membership; other role changes need no restart.
   */
  private void awaitRoleChange(ByteString current) throws InterruptedException {
    var w = roleUpdates.watch();
    try {
      NodeRoles r = w.get(x -> !membership(x).equals(current));
      throw new IllegalStateException(
          "consensus role changed (now "
              + (r.hasConsensusMember() ? "a member" : "not a member")
              + "): restarting the control plane");
    } finally {
      w.close();
    }
  }

  private static ByteString membership(NodeRoles r) {
    return r.hasConsensusMember() ? r.getConsensusMember().getPeerCertificate() : ByteString.EMPTY;
  }

  /** Next to etcd's data directory: the peer certificate of the membership the data is for. */
  private java.nio.file.Path membershipMarker() {
    return storage.etcdDataDir().resolveSibling("member.der");
  }

  /** Next to etcd's data directory: present once that membership's member has been a voter. */
  private java.nio.file.Path voterMarker() {
    return storage.etcdDataDir().resolveSibling("voted");
  }

  /**
   * Keeps etcd data only for the membership it was created for: data from an earlier membership
   * (the role was removed and added again) would make etcd rejoin as a member that no longer
   * exists.
   */
  private void useMembership(ByteString peerCertificate) throws java.io.IOException {
    if (Files.exists(membershipMarker()) && !isCurrent(peerCertificate)) {
      forgetMembership();
    }
    NodeStorage.writeAtomic(membershipMarker(), peerCertificate.toByteArray(), false);
  }

  private boolean isCurrent(ByteString peerCertificate) throws java.io.IOException {
    var marker = membershipMarker();
    return Files.exists(marker)
        && ByteString.copyFrom(Files.readAllBytes(marker)).equals(peerCertificate);
  }

  /** Whether this membership's member has voted with data that is now gone. */
  private boolean lostVoterData(ByteString peerCertificate) throws java.io.IOException {
    return isCurrent(peerCertificate)
        && Files.exists(voterMarker())
        && !Files.exists(storage.etcdDataDir());
  }

  private void markVoter() throws java.io.IOException {
    if (!Files.exists(voterMarker())) {
      NodeStorage.writeAtomic(voterMarker(), new byte[0], false);
    }
  }

  private void forgetMembership() throws java.io.IOException {
    if (Files.exists(storage.etcdDataDir())) {
      deleteTree(storage.etcdDataDir());
    }
    Files.deleteIfExists(voterMarker());
    Files.deleteIfExists(membershipMarker());
  }

  private static void deleteTree(java.nio.file.Path dir) throws java.io.IOException {
    try (var s = Files.walk(dir)) {
      for (var p : s.sorted(java.util.Comparator.reverseOrder()).toList()) {
        Files.delete(p);
      }
    }
  }

  private EtcdConfig etcdConfig(
      String id,
      X509Certificate ca,
      X509Certificate cert,
      java.security.PrivateKey key,
      String addr,
      Map<String, String> peers,
      boolean newCluster) {
    var cfg =
        new EtcdConfig(
            id,
            storage.etcdDataDir(),
            storage.platform().ephemeralDir().resolve("etcd"),
            addr,
            config.etcdPeerPort(),
            config.etcdClientHost(),
            config.etcdClientPort(),
            ca,
            cert,
            key,
            Map.of(),
            newCluster);
    Map<String, String> initial = new LinkedHashMap<>(peers);
    initial.put(id, cfg.peerUrl());
    return new EtcdConfig(
        cfg.name(),
        cfg.dataDir(),
        cfg.runtimeDir(),
        cfg.peerHost(),
        cfg.peerPort(),
        cfg.clientHost(),
        cfg.clientPort(),
        cfg.ca(),
        cfg.certificate(),
        cfg.key(),
        Map.copyOf(initial),
        newCluster);
  }

  private List<InetAddress> addresses(String addr) throws java.net.UnknownHostException {
    var list = new java.util.ArrayList<InetAddress>();
    list.add(InetAddress.getByName(addr));
    InetAddress client = InetAddress.getByName(config.etcdClientHost());
    if (!list.contains(client)) {
      list.add(client);
    }
    return list;
  }

  static <T> T get(Value<T> v) throws InterruptedException {
    var w = v.watch();
    try {
      return w.get();
    } finally {
      w.close();
    }
  }
}
