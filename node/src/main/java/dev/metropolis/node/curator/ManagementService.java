package dev.metropolis.node.curator;

import static dev.metropolis.node.curator.Keys.bs;

import com.google.protobuf.ByteString;
import dev.metropolis.api.common.ClusterConfiguration;
import dev.metropolis.api.common.ClusterDirectory;
import dev.metropolis.api.common.NodeLabels;
import dev.metropolis.api.common.NodeRoles;
import dev.metropolis.api.common.NodeState;
import dev.metropolis.api.management.ApproveNodeRequest;
import dev.metropolis.api.management.ApproveNodeResponse;
import dev.metropolis.api.management.ConfigureClusterRequest;
import dev.metropolis.api.management.ConfigureClusterResponse;
import dev.metropolis.api.management.DecommissionNodeRequest;
import dev.metropolis.api.management.DecommissionNodeResponse;
import dev.metropolis.api.management.DeleteNodeRequest;
import dev.metropolis.api.management.DeleteNodeResponse;
import dev.metropolis.api.management.GetClusterInfoRequest;
import dev.metropolis.api.management.GetClusterInfoResponse;
import dev.metropolis.api.management.GetNodesRequest;
import dev.metropolis.api.management.GetRegisterTicketRequest;
import dev.metropolis.api.management.GetRegisterTicketResponse;
import dev.metropolis.api.management.ManagementGrpc;
import dev.metropolis.api.management.Node;
import dev.metropolis.api.management.UpdateNodeLabelsRequest;
import dev.metropolis.api.management.UpdateNodeLabelsResponse;
import dev.metropolis.api.management.UpdateNodeRolesRequest;
import dev.metropolis.api.management.UpdateNodeRolesResponse;
import dev.metropolis.api.storage.RegisterTicket;
import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.op.Cmp;
import io.etcd.jetcd.op.CmpTarget;
import io.etcd.jetcd.op.Op;
import io.etcd.jetcd.options.DeleteOption;
import io.etcd.jetcd.options.GetOption;
import io.etcd.jetcd.options.PutOption;
import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/** The operator-facing Management API, served by the leader only. */
public final class ManagementService extends ManagementGrpc.ManagementImplBase {
  /** GetClusterInfo lists at most this many nodes in the cluster directory. */
  static final int DIRECTORY_LIMIT = 15;

  private final LeaderState leader;
  private final SecureRandom random = new SecureRandom();

  public ManagementService(LeaderState leader) {
    this.leader = leader;
  }

  @Override
  public void getRegisterTicket(
      GetRegisterTicketRequest req, StreamObserver<GetRegisterTicketResponse> out) {
    Rpc.unary(
        out,
        () -> {
          CuratorLeader l = leader.require();
          ByteSequence key = bs(Keys.REGISTER_TICKET);
          var existing = l.etcd().getKVClient().get(key).get(10, TimeUnit.SECONDS).getKvs();
          if (!existing.isEmpty()) {
            return ticketResponse(existing.getFirst().getValue().getBytes());
          }
          byte[] opaque = new byte[32];
          random.nextBytes(opaque);
          byte[] ticket =
              RegisterTicket.newBuilder()
                  .setOpaque(ByteString.copyFrom(opaque))
                  .build()
                  .toByteArray();
          var r =
              l.leadership()
                  .txn(
                      List.of(new Cmp(key, Cmp.Op.EQUAL, CmpTarget.createRevision(0))),
                      List.of(Op.put(key, ByteSequence.from(ticket), PutOption.DEFAULT)),
                      List.of(Op.get(key, GetOption.DEFAULT)));
          return r.isSucceeded()
              ? ticketResponse(ticket)
              : ticketResponse(
                  r.getGetResponses().getFirst().getKvs().getFirst().getValue().getBytes());
        });
  }

  private static GetRegisterTicketResponse ticketResponse(byte[] ticket) {
    return GetRegisterTicketResponse.newBuilder().setTicket(ByteString.copyFrom(ticket)).build();
  }

  @Override
  public void getClusterInfo(
      GetClusterInfoRequest req, StreamObserver<GetClusterInfoResponse> out) {
    Rpc.unary(
        out,
        () -> {
          CuratorLeader l = leader.require();
          var ca =
              ClusterPki.loadCaCertificate(l.etcd().getKVClient())
                  .orElseThrow(() ->
                      Status.INTERNAL.withDescription("cluster has no CA").asRuntimeException());
          List<dev.metropolis.api.storage.Node> up = new ArrayList<>();
          for (var n : l.nodes().list()) {
            if (n.getFsmState() == NodeState.NODE_STATE_UP
                && !n.getStatus().getExternalAddress().isEmpty()) {
              up.add(n);
            }
          }
          up.sort(
              Comparator.comparing(
                  n -> n.getPublicKey(), ByteString.unsignedLexicographicalComparator()));
          var dir = ClusterDirectory.newBuilder();
          for (var n : up.subList(0, Math.min(up.size(), DIRECTORY_LIMIT))) {
            dir.addNodes(
                ClusterDirectory.Node.newBuilder()
                    .setPublicKey(n.getPublicKey())
                    .addAddresses(
                        ClusterDirectory.Node.Address.newBuilder()
                            .setHost(n.getStatus().getExternalAddress())));
          }
          return GetClusterInfoResponse.newBuilder()
              .setClusterDirectory(dir)
              .setCaCertificate(ByteString.copyFrom(ca.getEncoded()))
              .setClusterConfiguration(configuration(l))
              .build();
        });
  }

  static ClusterConfiguration configuration(CuratorLeader l) throws Exception {
    return ClusterConfigs.read(l.etcd());
  }

  @Override
  public void getNodes(GetNodesRequest req, StreamObserver<Node> out) {
    try {
      CuratorLeader l = leader.require();
      NodeFilter filter = req.getFilter().isBlank() ? null : NodeFilter.compile(req.getFilter());
      List<Node> matched = new ArrayList<>();
      for (var n : l.nodes().list()) {
        Node m = Conversions.toManagement(n, l);
        if (filter == null || filter.matches(m)) {
          matched.add(m);
        }
      }
      matched.forEach(out::onNext);
      out.onCompleted();
    } catch (Exception e) {
      out.onError(Rpc.toStatus(e));
    }
  }

  @Override
  public void approveNode(ApproveNodeRequest req, StreamObserver<ApproveNodeResponse> out) {
    Rpc.unary(
        out,
        () -> {
          CuratorLeader l = leader.require();
          NodeRef ref = NodeRef.ofPubkey("pubkey", req.getPubkey());
          ref.find(l.nodes());
          l.nodes()
              .update(
                  l.leadership(),
                  ref.id(),
                  n ->
                      switch (n.getFsmState()) {
                        case NODE_STATE_NEW ->
                            n.toBuilder().setFsmState(NodeState.NODE_STATE_STANDBY).build();
                        // Idempotent: approving twice, or after the node committed, is fine.
                        case NODE_STATE_STANDBY, NODE_STATE_UP -> n;
                        default ->
                            throw Status.FAILED_PRECONDITION
                                .withDescription(
                                    "node "
                                        + ref
                                        + " is "
                                        + n.getFsmState()
                                        + "; only NEW nodes can be approved")
                                .asRuntimeException();
                      });
          return ApproveNodeResponse.getDefaultInstance();
        });
  }

  @Override
  public void updateNodeRoles(
      UpdateNodeRolesRequest req, StreamObserver<UpdateNodeRolesResponse> out) {
    Rpc.unary(
        out,
        () -> {
          CuratorLeader l = leader.require();
          NodeRef ref = NodeRef.of(req.hasPubkey(), req.getPubkey(), req.hasId(), req.getId());
          l.membershipLock().lockInterruptibly();
          try {
            updateRoles(l, ref, req);
          } finally {
            l.membershipLock().unlock();
          }
          return UpdateNodeRolesResponse.getDefaultInstance();
        });
  }

  private static void updateRoles(CuratorLeader l, NodeRef ref, UpdateNodeRolesRequest req)
      throws Exception {
    var node = ref.find(l.nodes()).node();
    RoleRules.Wanted want = RoleRules.wanted(node.getRoles(), req);
    RoleRules.problem(node.getRoles(), want)
        .ifPresent(p -> {
          throw Status.FAILED_PRECONDITION.withDescription(p).asRuntimeException();
        });
    Optional<NodeRoles.ConsensusMember> granted = Optional.empty();
    if (want.consensusMember() && !node.getRoles().hasConsensusMember()) {
      if (node.getFsmState() != NodeState.NODE_STATE_UP) {
        throw Status.FAILED_PRECONDITION
            .withDescription(
                "consensus_member: node " + ref + " is " + node.getFsmState() + ", not UP")
            .asRuntimeException();
      }
      var ca =
          ClusterPki.loadCa(l.etcd().getKVClient())
              .orElseThrow(
                  () -> Status.INTERNAL.withDescription("cluster has no CA").asRuntimeException());
      Map<String, dev.metropolis.api.storage.Node> byId = new LinkedHashMap<>();
      for (var n : l.nodes().list()) {
        byId.put(n.getId(), n);
      }
      // Membership changes cannot be fenced: make sure we still lead right before.
      l.leadership().txn(List.of());
      granted = Optional.of(l.members().add(node, ca, byId));
    } else if (!want.consensusMember() && node.getRoles().hasConsensusMember()) {
      // The member goes first: if etcd refuses (quorum), the node keeps its role and its etcd.
      l.leadership().txn(List.of());
      l.members().remove(node);
    }
    Optional<NodeRoles.ConsensusMember> payload = granted;
    l.nodes()
        .update(
            l.leadership(),
            ref.id(),
            n -> {
              RoleRules.Wanted w = RoleRules.wanted(n.getRoles(), req);
              RoleRules.problem(n.getRoles(), w)
                  .ifPresent(p -> {
                    throw Status.FAILED_PRECONDITION.withDescription(p).asRuntimeException();
                  });
              return n.toBuilder().setRoles(RoleRules.apply(n.getRoles(), w, payload)).build();
            });
  }

  @Override
  public void decommissionNode(
      DecommissionNodeRequest req, StreamObserver<DecommissionNodeResponse> out) {
    // As in the reference: the decommission flow does not exist yet.
    out.onError(
        Status.UNIMPLEMENTED
            .withDescription(
                "decommissioning is not implemented; remove the node's roles and use DeleteNode"
                    + " with safety_bypass_not_decommissioned")
            .asRuntimeException());
  }

  @Override
  public void deleteNode(DeleteNodeRequest req, StreamObserver<DeleteNodeResponse> out) {
    Rpc.unary(
        out,
        () -> {
          CuratorLeader l = leader.require();
          NodeRef ref = NodeRef.of(req.hasPubkey(), req.getPubkey(), req.hasId(), req.getId());
          var v = ref.find(l.nodes());
          var n = v.node();
          if (!req.hasSafetyBypassHasRoles()) {
            String role =
                n.getRoles().hasConsensusMember()
                    ? "ConsensusMember"
                    : n.getRoles().hasKubernetesController()
                        ? "KubernetesController"
                        : n.getRoles().hasKubernetesWorker() ? "KubernetesWorker" : null;
            if (role != null) {
              throw Status.FAILED_PRECONDITION
                  .withDescription(
                      "node "
                          + ref
                          + " still has "
                          + role
                          + " role; remove its roles first or set safety_bypass_has_roles")
                  .asRuntimeException();
            }
          }
          if (n.getFsmState() == NodeState.NODE_STATE_UP
              && !req.hasSafetyBypassNotDecommissioned()) {
            throw Status.FAILED_PRECONDITION
                .withDescription(
                    "node "
                        + ref
                        + " is UP: node must be decommissioned first, or set"
                        + " safety_bypass_not_decommissioned")
                .asRuntimeException();
          }
          ByteSequence key = bs(Keys.node(n.getId()));
          List<Op> ops = new ArrayList<>();
          ops.add(Op.delete(key, DeleteOption.DEFAULT));
          if (!n.getJoinKey().isEmpty()) {
            ops.add(
                Op.delete(bs(Keys.joinKey(n.getJoinKey().toByteArray())), DeleteOption.DEFAULT));
          }
          var r =
              l.leadership()
                  .txn(
                      List.of(new Cmp(key, Cmp.Op.EQUAL, CmpTarget.modRevision(v.modRevision()))),
                      ops,
                      List.of());
          if (!r.isSucceeded()) {
            throw Status.ABORTED
                .withDescription("node " + ref + " changed while deleting it; try again")
                .asRuntimeException();
          }
          return DeleteNodeResponse.getDefaultInstance();
        });
  }

  @Override
  public void updateNodeLabels(
      UpdateNodeLabelsRequest req, StreamObserver<UpdateNodeLabelsResponse> out) {
    Rpc.unary(
        out,
        () -> {
          CuratorLeader l = leader.require();
          NodeRef ref = NodeRef.of(req.hasPubkey(), req.getPubkey(), req.hasId(), req.getId());
          // Checked once up front so bad input is refused even for an unknown node's sake.
          apply(NodeLabels.getDefaultInstance(), req);
          ref.find(l.nodes());
          l.nodes()
              .update(
                  l.leadership(),
                  ref.id(),
                  n -> n.toBuilder().setLabels(apply(n.getLabels(), req)).build());
          return UpdateNodeLabelsResponse.getDefaultInstance();
        });
  }

  private static NodeLabels apply(NodeLabels current, UpdateNodeLabelsRequest req) {
    try {
      return NodeLabelRules.apply(current, req.getUpsertList(), req.getDeleteList());
    } catch (NodeLabelRules.Refusal r) {
      throw (r.tooMany() ? Status.OUT_OF_RANGE : Status.INVALID_ARGUMENT)
          .withDescription(r.getMessage())
          .asRuntimeException();
    }
  }

  /** The only ClusterConfiguration path ConfigureCluster may change. */
  static final String LABELS_TO_SYNC = "kubernetes.node_labels_to_synchronize";

  @Override
  public void configureCluster(
      ConfigureClusterRequest req, StreamObserver<ConfigureClusterResponse> out) {
    Rpc.unary(
        out,
        () -> {
          CuratorLeader l = leader.require();
          var paths = req.getUpdateMask().getPathsList();
          if (paths.isEmpty()) {
            throw Status.INVALID_ARGUMENT
                .withDescription("update_mask: must name at least one path, e.g. " + LABELS_TO_SYNC)
                .asRuntimeException();
          }
          for (String p : paths) {
            if (!p.equals(LABELS_TO_SYNC) && !p.equals("kubernetes")) {
              throw Status.INVALID_ARGUMENT
                  .withDescription(
                      "update_mask: \""
                          + p
                          + "\" cannot be changed; only "
                          + LABELS_TO_SYNC
                          + " can")
                  .asRuntimeException();
            }
          }
          try {
            ClusterConfigs.validate(
                ClusterConfigs.withDefaults(
                    ClusterConfiguration.newBuilder()
                        .setKubernetes(req.getNewConfig().getKubernetes())
                        .build()));
          } catch (IllegalArgumentException e) {
            throw Status.INVALID_ARGUMENT
                .withDescription("new_config." + e.getMessage())
                .asRuntimeException();
          }
          ByteSequence key = bs(Keys.CLUSTER_CONFIGURATION);
          for (int attempt = 0; attempt < 8; attempt++) {
            var kvs = l.etcd().getKVClient().get(key).get(10, TimeUnit.SECONDS).getKvs();
            ClusterConfiguration stored =
                kvs.isEmpty()
                    ? ClusterConfiguration.getDefaultInstance()
                    : ClusterConfiguration.parseFrom(kvs.getFirst().getValue().getBytes());
            long rev = kvs.isEmpty() ? 0 : kvs.getFirst().getModRevision();
            if (!stored
                .getKubernetes()
                .getNodeLabelsToSynchronizeList()
                .equals(req.getBaseConfig().getKubernetes().getNodeLabelsToSynchronizeList())) {
              throw Status.FAILED_PRECONDITION
                  .withDescription(
                      "base_config."
                          + LABELS_TO_SYNC
                          + ": does not match the current configuration (changed meanwhile?);"
                          + " read it again and retry")
                  .asRuntimeException();
            }
            ClusterConfiguration next =
                stored.toBuilder().setKubernetes(req.getNewConfig().getKubernetes()).build();
            var r =
                l.leadership()
                    .txn(
                        List.of(
                            rev == 0
                                ? new Cmp(key, Cmp.Op.EQUAL, CmpTarget.createRevision(0))
                                : new Cmp(key, Cmp.Op.EQUAL, CmpTarget.modRevision(rev))),
                        List.of(
                            Op.put(key, ByteSequence.from(next.toByteArray()), PutOption.DEFAULT)),
                        List.of());
            if (r.isSucceeded()) {
              return ConfigureClusterResponse.newBuilder()
                  .setResultingConfig(ClusterConfigs.withDefaults(next))
                  .build();
            }
          }
          throw Status.ABORTED
              .withDescription("cluster configuration changed concurrently too often; try again")
              .asRuntimeException();
        });
  }
}
