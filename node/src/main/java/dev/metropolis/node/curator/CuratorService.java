package dev.metropolis.node.curator;

import static dev.metropolis.node.curator.Keys.bs;

import com.google.protobuf.ByteString;
import com.google.protobuf.Timestamp;
import dev.metropolis.api.common.ClusterConfiguration;
import dev.metropolis.api.common.NodeState;
import dev.metropolis.api.common.NodeStorageSecurity;
import dev.metropolis.api.common.NodeTPMUsage;
import dev.metropolis.api.curator.CommitNodeRequest;
import dev.metropolis.api.curator.CommitNodeResponse;
import dev.metropolis.api.curator.CuratorGrpc;
import dev.metropolis.api.curator.GetConsensusStatusRequest;
import dev.metropolis.api.curator.GetConsensusStatusResponse;
import dev.metropolis.api.curator.HeartbeatUpdateRequest;
import dev.metropolis.api.curator.HeartbeatUpdateResponse;
import dev.metropolis.api.curator.JoinNodeRequest;
import dev.metropolis.api.curator.JoinNodeResponse;
import dev.metropolis.api.curator.RegisterNodeRequest;
import dev.metropolis.api.curator.RegisterNodeResponse;
import dev.metropolis.api.curator.UpdateNodeStatusRequest;
import dev.metropolis.api.curator.UpdateNodeStatusResponse;
import dev.metropolis.api.curator.WatchEvent;
import dev.metropolis.api.curator.WatchRequest;
import dev.metropolis.node.enrolment.StoragePolicy;
import dev.metropolis.osbase.pki.CertificateTemplates;
import dev.metropolis.osbase.pki.Ed25519;
import dev.metropolis.osbase.pki.NodeId;
import dev.metropolis.rpc.Peer;
import dev.metropolis.rpc.RpcPeer;
import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Watch;
import io.etcd.jetcd.op.Cmp;
import io.etcd.jetcd.op.CmpTarget;
import io.etcd.jetcd.op.Op;
import io.etcd.jetcd.options.DeleteOption;
import io.etcd.jetcd.options.GetOption;
import io.etcd.jetcd.options.PutOption;
import io.etcd.jetcd.options.WatchOption;
import io.etcd.jetcd.watch.WatchEvent.EventType;
import io.grpc.Status;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.PublicKey;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;

/** The node-facing Curator API, served by the leader only. */
public final class CuratorService extends CuratorGrpc.CuratorImplBase {
  /** Backlog events of Watch are cut into chunks of at most this many bytes. */
  static final int WATCH_CHUNK_BYTES = 2 << 20;

  private static final Pattern IP_LITERAL = Pattern.compile("[0-9a-fA-F:.]+");

  private final LeaderState leader;
  private final Clock clock;

  public CuratorService(LeaderState leader, Clock clock) {
    this.leader = leader;
    this.clock = clock;
  }

  private static Peer.Node requireNode() {
    if (RpcPeer.current() instanceof Peer.Node n) {
      return n;
    }
    throw Status.PERMISSION_DENIED
        .withDescription("only nodes may call this method")
        .asRuntimeException();
  }

  @Override
  public void updateNodeStatus(
      UpdateNodeStatusRequest req, StreamObserver<UpdateNodeStatusResponse> out) {
    Rpc.unary(
        out,
        () -> {
          Peer.Node caller = requireNode();
          if (!req.getNodeId().equals(caller.nodeId())) {
            throw Status.PERMISSION_DENIED
                .withDescription(
                    "node_id: "
                        + caller.nodeId()
                        + " may only update itself, not \""
                        + req.getNodeId()
                        + "\"")
                .asRuntimeException();
          }
          String addr = req.getStatus().getExternalAddress();
          if (!addr.isEmpty() && !isIpLiteral(addr)) {
            throw Status.INVALID_ARGUMENT
                .withDescription("status.external_address: \"" + addr + "\" is not an IP address")
                .asRuntimeException();
          }
          CuratorLeader l = leader.require();
          Instant now = clock.instant();
          var status =
              req.getStatus().toBuilder()
                  .setTimestamp(
                      Timestamp.newBuilder()
                          .setSeconds(now.getEpochSecond())
                          .setNanos(now.getNano()))
                  .build();
          l.nodes()
              .update(
                  l.leadership(), caller.nodeId(), n -> n.toBuilder().setStatus(status).build());
          return UpdateNodeStatusResponse.getDefaultInstance();
        });
  }

  static boolean isIpLiteral(String s) {
    if (!IP_LITERAL.matcher(s).matches()) {
      return false;
    }
    try {
      // Only literals reach here, so no name lookup happens.
      InetAddress.getByName(s);
      return true;
    } catch (java.net.UnknownHostException e) {
      return false;
    }
  }

  @Override
  public StreamObserver<HeartbeatUpdateRequest> heartbeat(
      StreamObserver<HeartbeatUpdateResponse> out) {
    Peer.Node caller;
    CuratorLeader l;
    try {
      caller = requireNode();
      l = leader.require();
    } catch (RuntimeException e) {
      out.onError(Rpc.toStatus(e));
      return new StreamObserver<>() {
        @Override
        public void onNext(HeartbeatUpdateRequest value) {}

        @Override
        public void onError(Throwable t) {}

        @Override
        public void onCompleted() {}
      };
    }
    Object lock = new Object();
    var _ =
        l.leadership()
            .lost()
            .thenRun(() -> {
              synchronized (lock) {
                try {
                  out.onError(
                      Status.UNAVAILABLE.withDescription("lost leadership").asRuntimeException());
                } catch (IllegalStateException alreadyClosed) {
                  // The stream ended first.
                }
              }
            });
    return new StreamObserver<>() {
      @Override
      public void onNext(HeartbeatUpdateRequest value) {
        l.heartbeat(caller.nodeId());
        synchronized (lock) {
          out.onNext(HeartbeatUpdateResponse.getDefaultInstance());
        }
      }

      @Override
      public void onError(Throwable t) {}

      @Override
      public void onCompleted() {
        synchronized (lock) {
          out.onCompleted();
        }
      }
    };
  }

  @Override
  public void watch(WatchRequest req, StreamObserver<WatchEvent> plainOut) {
    var out = (ServerCallStreamObserver<WatchEvent>) plainOut;
    try {
      CuratorLeader l = leader.require();
      String key;
      boolean prefix;
      switch (req.getKindCase()) {
        case NODE_IN_CLUSTER -> {
          String id = req.getNodeInCluster().getNodeId();
          if (!NodeId.isValid(id)) {
            throw Status.INVALID_ARGUMENT
                .withDescription("node_in_cluster.node_id: \"" + id + "\" is not a node ID")
                .asRuntimeException();
          }
          key = Keys.node(id);
          prefix = false;
        }
        case NODES_IN_CLUSTER -> {
          key = Keys.NODES;
          prefix = true;
        }
        default ->
            throw Status.INVALID_ARGUMENT.withDescription("kind: must be set").asRuntimeException();
      }
      Object lock = new Object();
      GetOption.Builder get = GetOption.builder();
      if (prefix) {
        get.withRange(Keys.prefixEnd(key));
      }
      var snapshot = l.etcd().getKVClient().get(bs(key), get.build()).get(10, TimeUnit.SECONDS);
      long rev = snapshot.getHeader().getRevision();
      synchronized (lock) {
        WatchEvent.Builder chunk = WatchEvent.newBuilder();
        for (var kv : snapshot.getKvs()) {
          var n = NodeStore.decode(kv).node();
          if (chunk.getNodesCount() > 0
              && chunk.build().getSerializedSize() + n.getSerializedSize() > WATCH_CHUNK_BYTES) {
            out.onNext(chunk.build());
            chunk = WatchEvent.newBuilder();
          }
          chunk.addNodes(toWatched(n));
        }
        if (prefix) {
          chunk.setProgress(WatchEvent.Progress.PROGRESS_LAST_BACKLOGGED);
        }
        if (prefix || chunk.getNodesCount() > 0) {
          out.onNext(chunk.build());
        }
      }
      WatchOption.Builder wo = WatchOption.builder().withRevision(rev + 1);
      if (prefix) {
        wo.withRange(Keys.prefixEnd(key));
      }
      Watch.Watcher watcher =
          l.etcd()
              .getWatchClient()
              .watch(
                  bs(key),
                  wo.build(),
                  resp -> {
                    WatchEvent.Builder ev = WatchEvent.newBuilder();
                    for (var e : resp.getEvents()) {
                      if (e.getEventType() == EventType.PUT) {
                        ev.addNodes(toWatched(NodeStore.decode(e.getKeyValue()).node()));
                      } else if (e.getEventType() == EventType.DELETE) {
                        String k = e.getKeyValue().getKey().toString();
                        ev.addNodeTombstones(
                            WatchEvent.NodeTombstone.newBuilder()
                                .setNodeId(k.substring(Keys.NODES.length())));
                      }
                    }
                    synchronized (lock) {
                      if (!out.isCancelled()) {
                        out.onNext(ev.build());
                      }
                    }
                  },
                  err -> {
                    synchronized (lock) {
                      if (!out.isCancelled()) {
                        out.onError(Rpc.toStatus(err));
                      }
                    }
                  });
      out.setOnCancelHandler(watcher::close);
      var _ =
          l.leadership()
              .lost()
              .thenRun(() -> {
                watcher.close();
                synchronized (lock) {
                  if (!out.isCancelled()) {
                    try {
                      out.onError(
                          Status.UNAVAILABLE
                              .withDescription("lost leadership")
                              .asRuntimeException());
                    } catch (IllegalStateException alreadyClosed) {
                      // The stream already ended.
                    }
                  }
                }
              });
    } catch (Exception e) {
      out.onError(Rpc.toStatus(e));
    }
  }

  private static dev.metropolis.api.curator.Node toWatched(dev.metropolis.api.storage.Node n) {
    return dev.metropolis.api.curator.Node.newBuilder()
        .setId(n.getId())
        .setPubkey(n.getPublicKey())
        .setRoles(n.getRoles())
        .setStatus(n.getStatus())
        .setClusternet(n.getClusternet())
        .setState(n.getFsmState())
        .setLabels(n.getLabels())
        .build();
  }

  @Override
  public void getConsensusStatus(
      GetConsensusStatusRequest req, StreamObserver<GetConsensusStatusResponse> out) {
    Rpc.unary(
        out,
        () -> {
          CuratorLeader l = leader.require();
          var members = l.members().list();
          var nodes = l.nodes().list();
          var b = GetConsensusStatusResponse.newBuilder();
          for (var m : members) {
            // A member added but not started yet has no name: name it after its node.
            String id =
                ConsensusMembers.nodeOf(m, members, l.nodeId(), nodes)
                    .orElse(String.format("member-%016x", m.id()));
            b.addEtcdMember(
                GetConsensusStatusResponse.EtcdMember.newBuilder()
                    .setId(id)
                    .setStatus(
                        m.learner()
                            ? GetConsensusStatusResponse.EtcdMember.Status.STATUS_LEARNER
                            : GetConsensusStatusResponse.EtcdMember.Status.STATUS_FULL));
          }
          return b.build();
        });
  }

  /**
   * The key the caller proved it holds with a self-signed TLS client certificate: how a node that
   * has no cluster certificate yet identifies itself.
   */
  private static byte[] selfSignedKey(String method, String whichKey) {
    if (RpcPeer.current() instanceof Peer.Unauthenticated u
        && u.selfSignedPublicKey().isPresent()) {
      return u.selfSignedPublicKey().get();
    }
    throw Status.UNAUTHENTICATED
        .withDescription(
            method
                + " needs a self-signed Ed25519 TLS client certificate for the "
                + whichKey
                + " (proof of possession); none was presented")
        .asRuntimeException();
  }

  @Override
  public void registerNode(RegisterNodeRequest req, StreamObserver<RegisterNodeResponse> out) {
    Rpc.unary(out, () -> register(req));
  }

  private RegisterNodeResponse register(RegisterNodeRequest req) throws Exception {
    CuratorLeader l = leader.require();
    byte[] nodeKey = selfSignedKey("RegisterNode", "node key");
    String id = NodeId.of(nodeKey);
    var stored =
        l.etcd().getKVClient().get(bs(Keys.REGISTER_TICKET)).get(10, TimeUnit.SECONDS).getKvs();
    // Constant time: the ticket is the only secret a registering node proves.
    if (stored.isEmpty()
        || !MessageDigest.isEqual(
            stored.getFirst().getValue().getBytes(), req.getRegisterTicket().toByteArray())) {
      throw Status.PERMISSION_DENIED
          .withDescription("register_ticket: not this cluster's register ticket")
          .asRuntimeException();
    }
    byte[] joinKey = req.getJoinKey().toByteArray();
    if (joinKey.length != Ed25519.KEY_SIZE) {
      throw Status.INVALID_ARGUMENT
          .withDescription(
              "join_key: must be a 32-byte Ed25519 public key, got " + joinKey.length + " bytes")
          .asRuntimeException();
    }
    ClusterConfiguration config = ManagementService.configuration(l);
    NodeTPMUsage tpm;
    try {
      tpm = StoragePolicy.tpmUsage(config.getTpmMode(), req.getHaveLocalTpm());
    } catch (IllegalStateException e) {
      throw Status.PERMISSION_DENIED
          .withDescription("have_local_tpm: " + e.getMessage())
          .asRuntimeException();
    }
    var response =
        RegisterNodeResponse.newBuilder()
            .setClusterConfiguration(config)
            .setRecommendedNodeStorageSecurity(
                StoragePolicy.recommended(config.getStorageSecurityPolicy()));
    ByteSequence nodeKeyBs = bs(Keys.node(id));
    ByteSequence joinKeyBs = bs(Keys.joinKey(joinKey));
    for (int attempt = 0; attempt < 4; attempt++) {
      var existing = l.nodes().get(id);
      var joinOwner =
          l.etcd().getKVClient().get(joinKeyBs).get(10, TimeUnit.SECONDS).getKvs().stream()
              .findFirst()
              .map(kv -> kv.getValue().toString(StandardCharsets.UTF_8));
      if (joinOwner.isPresent() && !joinOwner.get().equals(id)) {
        throw Status.FAILED_PRECONDITION
            .withDescription("join_key: already the join key of node " + joinOwner.get())
            .asRuntimeException();
      }
      if (existing.isPresent()) {
        var n = existing.get().node();
        if (!Arrays.equals(n.getPublicKey().toByteArray(), nodeKey)) {
          throw Status.FAILED_PRECONDITION
              .withDescription("node " + id + " exists with another public key")
              .asRuntimeException();
        }
        boolean sameJoinKey = Arrays.equals(n.getJoinKey().toByteArray(), joinKey);
        switch (n.getFsmState()) {
          case NODE_STATE_NEW -> {
            if (sameJoinKey) {
              // A retried registration: nothing to change.
              return response.setTpmUsage(n.getTpmUsage()).build();
            }
          }
          case NODE_STATE_STANDBY, NODE_STATE_UP -> {
            if (sameJoinKey) {
              // The node lost our answer and registers again before committing: let it go on.
              return response.setTpmUsage(n.getTpmUsage()).build();
            }
            throw Status.FAILED_PRECONDITION
                .withDescription(
                    "node "
                        + id
                        + " is already "
                        + n.getFsmState()
                        + " with another join key; delete it to register it again")
                .asRuntimeException();
          }
          default ->
              throw Status.FAILED_PRECONDITION
                  .withDescription(
                      "node " + id + " is " + n.getFsmState() + " and cannot register again")
                  .asRuntimeException();
        }
        // NEW with a new join key (the node lost its enrolment state): take the new one.
        var next =
            n.toBuilder()
                .setJoinKey(ByteString.copyFrom(joinKey))
                .setTpmUsage(tpm)
                .setLabels(NodeLabelRules.sanitize(req.getLabels()))
                .build();
        var r =
            l.leadership()
                .txn(
                    List.of(
                        new Cmp(
                            nodeKeyBs,
                            Cmp.Op.EQUAL,
                            CmpTarget.modRevision(existing.get().modRevision())),
                        new Cmp(joinKeyBs, Cmp.Op.EQUAL, CmpTarget.createRevision(0))),
                    List.of(
                        Op.put(nodeKeyBs, ByteSequence.from(next.toByteArray()), PutOption.DEFAULT),
                        Op.delete(
                            bs(Keys.joinKey(n.getJoinKey().toByteArray())), DeleteOption.DEFAULT),
                        Op.put(
                            joinKeyBs,
                            ByteSequence.from(id, StandardCharsets.UTF_8),
                            PutOption.DEFAULT)),
                    List.of());
        if (r.isSucceeded()) {
          return response.setTpmUsage(tpm).build();
        }
        continue;
      }
      var record =
          dev.metropolis.api.storage.Node.newBuilder()
              .setId(id)
              .setPublicKey(ByteString.copyFrom(nodeKey))
              .setFsmState(NodeState.NODE_STATE_NEW)
              .setJoinKey(ByteString.copyFrom(joinKey))
              .setTpmUsage(tpm)
              .setLabels(NodeLabelRules.sanitize(req.getLabels()))
              .build();
      var r =
          l.leadership()
              .txn(
                  List.of(
                      new Cmp(nodeKeyBs, Cmp.Op.EQUAL, CmpTarget.createRevision(0)),
                      new Cmp(joinKeyBs, Cmp.Op.EQUAL, CmpTarget.createRevision(0))),
                  List.of(
                      Op.put(nodeKeyBs, ByteSequence.from(record.toByteArray()), PutOption.DEFAULT),
                      Op.put(
                          joinKeyBs,
                          ByteSequence.from(id, StandardCharsets.UTF_8),
                          PutOption.DEFAULT)),
                  List.of());
      if (r.isSucceeded()) {
        return response.setTpmUsage(tpm).build();
      }
      // Raced with a concurrent registration of the same node: look again.
    }
    throw Status.ABORTED
        .withDescription("node " + id + " registered concurrently; try again")
        .asRuntimeException();
  }

  @Override
  public void commitNode(CommitNodeRequest req, StreamObserver<CommitNodeResponse> out) {
    Rpc.unary(out, () -> commit(req));
  }

  /**
   * STANDBY to UP, issuing the node certificate. Retry-safe: a node already UP that presents the
   * same cluster unlock key gets its certificate again, so a response lost in flight never strands
   * it (the reference refuses, and needs manual cleanup then).
   */
  private CommitNodeResponse commit(CommitNodeRequest req) throws Exception {
    CuratorLeader l = leader.require();
    byte[] nodeKey = selfSignedKey("CommitNode", "node key");
    String id = NodeId.of(nodeKey);
    var existing = l.nodes().get(id);
    if (existing.isEmpty()
        || !Arrays.equals(existing.get().node().getPublicKey().toByteArray(), nodeKey)) {
      throw Status.NOT_FOUND
          .withDescription("node " + id + " is not registered; call RegisterNode first")
          .asRuntimeException();
    }
    var n = existing.get().node();
    if (n.getFsmState() == NodeState.NODE_STATE_NEW) {
      throw Status.PERMISSION_DENIED
          .withDescription("node is NEW, wait for attestation/approval")
          .asRuntimeException();
    }
    ClusterConfiguration config = ManagementService.configuration(l);
    NodeStorageSecurity security = req.getStorageSecurity();
    if (!StoragePolicy.allows(config.getStorageSecurityPolicy(), security)) {
      throw Status.INVALID_ARGUMENT
          .withDescription(
              "storage_security: "
                  + security
                  + " is not allowed by the cluster's storage policy "
                  + config.getStorageSecurityPolicy())
          .asRuntimeException();
    }
    ByteString cuk = req.getClusterUnlockKey();
    if (security == NodeStorageSecurity.NODE_STORAGE_SECURITY_INSECURE) {
      if (!cuk.isEmpty()) {
        throw Status.INVALID_ARGUMENT
            .withDescription("cluster_unlock_key: must be empty with INSECURE storage")
            .asRuntimeException();
      }
    } else if (cuk.size() != 32) {
      throw Status.INVALID_ARGUMENT
          .withDescription(
              "cluster_unlock_key: must be 32 bytes with encrypted storage, got " + cuk.size())
          .asRuntimeException();
    }
    switch (n.getFsmState()) {
      case NODE_STATE_STANDBY -> {}
      case NODE_STATE_UP -> {
        if (!n.getClusterUnlockKey().equals(cuk)) {
          throw Status.FAILED_PRECONDITION
              .withDescription(
                  "node " + id + " is already UP and committed with another cluster_unlock_key")
              .asRuntimeException();
        }
      }
      default ->
          throw Status.FAILED_PRECONDITION
              .withDescription("node " + id + " is " + n.getFsmState() + " and cannot commit")
              .asRuntimeException();
    }
    var ca =
        ClusterPki.loadCa(l.etcd().getKVClient())
            .orElseThrow(
                () -> Status.INTERNAL.withDescription("cluster has no CA").asRuntimeException());
    PublicKey pub = Ed25519.publicKey(nodeKey);
    X509Certificate cert =
        ClusterPki.ensureIssued(
            l.etcd().getKVClient(),
            Optional.of(l.leadership()),
            "node-" + id,
            () -> CertificateTemplates.node(ca.certificate(), ca.key(), pub));
    l.nodes()
        .update(
            l.leadership(),
            id,
            cur -> {
              if (cur.getFsmState() == NodeState.NODE_STATE_STANDBY) {
                return cur.toBuilder()
                    .setFsmState(NodeState.NODE_STATE_UP)
                    .setClusterUnlockKey(cuk)
                    .build();
              }
              if (cur.getFsmState() == NodeState.NODE_STATE_UP
                  && cur.getClusterUnlockKey().equals(cuk)) {
                return cur;
              }
              throw Status.FAILED_PRECONDITION
                  .withDescription(
                      "node " + id + " changed to " + cur.getFsmState() + " while committing")
                  .asRuntimeException();
            });
    return CommitNodeResponse.newBuilder()
        .setCaCertificate(ByteString.copyFrom(ca.certificate().getEncoded()))
        .setNodeCertificate(ByteString.copyFrom(cert.getEncoded()))
        .build();
  }

  @Override
  public void joinNode(JoinNodeRequest req, StreamObserver<JoinNodeResponse> out) {
    Rpc.unary(out, () -> join(req));
  }

  private JoinNodeResponse join(JoinNodeRequest req) throws Exception {
    CuratorLeader l = leader.require();
    byte[] joinKey = selfSignedKey("JoinNode", "join key");
    var owner =
        l.etcd().getKVClient().get(bs(Keys.joinKey(joinKey))).get(10, TimeUnit.SECONDS).getKvs();
    if (owner.isEmpty()) {
      throw Status.NOT_FOUND
          .withDescription("no node has this join key (deleted, or never registered)")
          .asRuntimeException();
    }
    String id = owner.getFirst().getValue().toString(StandardCharsets.UTF_8);
    var rec = l.nodes().get(id);
    if (rec.isEmpty() || !Arrays.equals(rec.get().node().getJoinKey().toByteArray(), joinKey)) {
      throw Status.NOT_FOUND
          .withDescription("node " + id + " of this join key no longer exists")
          .asRuntimeException();
    }
    var n = rec.get().node();
    ClusterConfiguration config = ManagementService.configuration(l);
    boolean sealed = req.getUsingSealedConfiguration();
    var mode = config.getTpmMode();
    if (mode == ClusterConfiguration.TPMMode.TPM_MODE_REQUIRED && !sealed) {
      throw Status.PERMISSION_DENIED
          .withDescription(
              "using_sealed_configuration: the cluster requires a TPM-sealed configuration")
          .asRuntimeException();
    }
    if (mode == ClusterConfiguration.TPMMode.TPM_MODE_DISABLED && sealed) {
      throw Status.PERMISSION_DENIED
          .withDescription("using_sealed_configuration: the cluster has TPM use disabled")
          .asRuntimeException();
    }
    boolean mustSeal = n.getTpmUsage() == NodeTPMUsage.NODE_TPM_USAGE_PRESENT_AND_USED;
    if (mustSeal != sealed) {
      throw Status.PERMISSION_DENIED
          .withDescription(
              "using_sealed_configuration: node "
                  + id
                  + " has TPM usage "
                  + n.getTpmUsage()
                  + " and must join "
                  + (mustSeal ? "sealed" : "unsealed"))
          .asRuntimeException();
    }
    if (n.getFsmState() != NodeState.NODE_STATE_UP) {
      throw Status.FAILED_PRECONDITION
          .withDescription("node " + id + " is " + n.getFsmState() + ", not UP")
          .asRuntimeException();
    }
    return JoinNodeResponse.newBuilder().setClusterUnlockKey(n.getClusterUnlockKey()).build();
  }
}
