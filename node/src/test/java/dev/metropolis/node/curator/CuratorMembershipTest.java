package dev.metropolis.node.curator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import com.google.protobuf.FieldMask;
import dev.metropolis.api.common.ClusterConfiguration;
import dev.metropolis.api.common.NodeLabels;
import dev.metropolis.api.common.NodeRoles;
import dev.metropolis.api.common.NodeState;
import dev.metropolis.api.common.NodeStatus;
import dev.metropolis.api.common.NodeStorageSecurity;
import dev.metropolis.api.common.NodeTPMUsage;
import dev.metropolis.api.curator.CommitNodeRequest;
import dev.metropolis.api.curator.CommitNodeResponse;
import dev.metropolis.api.curator.GetConsensusStatusRequest;
import dev.metropolis.api.curator.GetConsensusStatusResponse;
import dev.metropolis.api.curator.JoinNodeRequest;
import dev.metropolis.api.curator.JoinNodeResponse;
import dev.metropolis.api.curator.RegisterNodeRequest;
import dev.metropolis.api.curator.RegisterNodeResponse;
import dev.metropolis.api.management.ApproveNodeRequest;
import dev.metropolis.api.management.ConfigureClusterRequest;
import dev.metropolis.api.management.ConfigureClusterResponse;
import dev.metropolis.api.management.DecommissionNodeRequest;
import dev.metropolis.api.management.DeleteNodeRequest;
import dev.metropolis.api.management.GetClusterInfoRequest;
import dev.metropolis.api.management.GetClusterInfoResponse;
import dev.metropolis.api.management.GetRegisterTicketRequest;
import dev.metropolis.api.management.UpdateNodeLabelsRequest;
import dev.metropolis.api.management.UpdateNodeRolesRequest;
import dev.metropolis.api.storage.LeaderElectionValue;
import dev.metropolis.api.storage.Node;
import dev.metropolis.osbase.pki.Certificates;
import dev.metropolis.osbase.pki.Ed25519;
import dev.metropolis.osbase.pki.NodeId;
import dev.metropolis.osbase.pki.Pem;
import dev.metropolis.osbase.testing.TestEtcd;
import dev.metropolis.rpc.Peer;
import dev.metropolis.rpc.RpcPeer;
import io.etcd.jetcd.Client;
import io.grpc.Context;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.StreamObserver;
import java.security.KeyPair;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.BiConsumer;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * The membership RPCs against a real etcd, called in-process as a given peer: the register →
 * approve → commit → join flow, roles (with real etcd learner membership), labels, deletion and
 * cluster configuration, each with its bad-input paths.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class CuratorMembershipTest {
  private static final Peer OWNER = new Peer.User("owner");
  private static final KeyPair FOUNDER = Ed25519.generate();
  private static final String FOUNDER_ID = NodeId.of(FOUNDER.getPublic());
  private static final KeyPair NODE = Ed25519.generate();
  private static final KeyPair JOIN = Ed25519.generate();
  private static final String NODE_ID = NodeId.of(NODE.getPublic());

  private static TestEtcd etcd;
  private static Client client;
  private static LeaderState state;
  private static CuratorLeader leader;
  private static CuratorService curator;
  private static ManagementService management;
  private static ClusterPki.Ca ca;
  private static ByteString ticket;

  @BeforeAll
  static void start() throws Exception {
    etcd = TestEtcd.start(FOUNDER_ID);
    client = etcd.client();
    ca = ClusterPki.newCa();
    Bootstrap.finish(
        client.getKVClient(),
        ca,
        new Bootstrap.Founder(
            FOUNDER.getPublic(),
            ByteString.copyFrom(Ed25519.rawPublicKey(Ed25519.generate().getPublic())),
            ByteString.copyFrom(Ed25519.rawPublicKey(Ed25519.generate().getPublic())),
            ClusterConfigs.withDefaults(
                ClusterConfiguration.newBuilder()
                    .setTpmMode(ClusterConfiguration.TPMMode.TPM_MODE_DISABLED)
                    .setStorageSecurityPolicy(
                        ClusterConfiguration.StorageSecurityPolicy
                            .STORAGE_SECURITY_POLICY_NEEDS_INSECURE)
                    .build()),
            NodeLabels.getDefaultInstance(),
            NodeTPMUsage.NODE_TPM_USAGE_NOT_PRESENT,
            NodeRoles.newBuilder()
                .setConsensusMember(NodeRoles.ConsensusMember.getDefaultInstance())
                .setKubernetesController(NodeRoles.KubernetesController.getDefaultInstance())
                .build()));
    byte[] proposal = LeaderElectionValue.newBuilder().setNodeId(FOUNDER_ID).build().toByteArray();
    Leadership l =
        new LeaderElection(client, Duration.ofSeconds(30))
            .campaign(proposal, v -> java.util.Arrays.equals(v, proposal));
    state = new LeaderState();
    leader = new CuratorLeader(client, l, FOUNDER_ID, System::nanoTime);
    state.set(leader);
    curator = new CuratorService(state, Clock.systemUTC());
    management = new ManagementService(state);
    // The founder reports its address, as its status push would: 127.0.0.1 is its etcd's peer host.
    setAddress(FOUNDER_ID, "127.0.0.1");
    ticket =
        call(OWNER, management::getRegisterTicket, GetRegisterTicketRequest.getDefaultInstance())
            .getTicket();
  }

  @AfterAll
  static void stop() {
    if (client != null) {
      client.close();
    }
    if (etcd != null) {
      etcd.close();
    }
  }

  private static void setAddress(String id, String addr) throws Exception {
    leader
        .nodes()
        .update(
            leader.leadership(),
            id,
            n -> n.toBuilder().setStatus(NodeStatus.newBuilder().setExternalAddress(addr)).build());
  }

  /** Calls a unary handler as {@code peer} and returns its answer or throws its status. */
  static <Q, R> R call(Peer peer, BiConsumer<Q, StreamObserver<R>> method, Q request)
      throws Exception {
    CompletableFuture<R> result = new CompletableFuture<>();
    StreamObserver<R> out =
        new StreamObserver<>() {
          @Override
          public void onNext(R value) {
            result.complete(value);
          }

          @Override
          public void onError(Throwable t) {
            result.completeExceptionally(t);
          }

          @Override
          public void onCompleted() {}
        };
    RpcPeer.withPeer(Context.current(), peer).run(() -> method.accept(request, out));
    try {
      return result.get(30, TimeUnit.SECONDS);
    } catch (java.util.concurrent.ExecutionException e) {
      throw (Exception) e.getCause();
    }
  }

  static Peer selfSigned(KeyPair k) {
    return new Peer.Unauthenticated(Optional.of(Ed25519.rawPublicKey(k.getPublic())));
  }

  static void assertStatus(ThrowingCallable call, Status.Code code, String description) {
    assertThatThrownBy(call)
        .isInstanceOfSatisfying(
            StatusRuntimeException.class,
            e -> {
              assertThat(e.getStatus().getCode()).as(e.getStatus().toString()).isEqualTo(code);
              assertThat(e.getStatus().getDescription()).contains(description);
            });
  }

  static Node stored(String id) throws Exception {
    return leader.nodes().get(id).orElseThrow().node();
  }

  private static RegisterNodeRequest.Builder registration() {
    return RegisterNodeRequest.newBuilder()
        .setRegisterTicket(ticket)
        .setJoinKey(ByteString.copyFrom(Ed25519.rawPublicKey(JOIN.getPublic())));
  }

  private static final CommitNodeRequest COMMIT =
      CommitNodeRequest.newBuilder()
          .setStorageSecurity(NodeStorageSecurity.NODE_STORAGE_SECURITY_INSECURE)
          .build();

  private static ApproveNodeRequest approval(KeyPair k) {
    return ApproveNodeRequest.newBuilder()
        .setPubkey(ByteString.copyFrom(Ed25519.rawPublicKey(k.getPublic())))
        .build();
  }

  @Test
  @Order(1)
  void registerNeedsTheTicketAProofOfKeyAndAValidJoinKey() throws Exception {
    assertStatus(
        () ->
            call(
                selfSigned(NODE),
                curator::registerNode,
                registration().setRegisterTicket(ByteString.copyFromUtf8("wrong")).build()),
        Status.Code.PERMISSION_DENIED,
        "register_ticket");
    assertStatus(
        () -> call(Peer.Unauthenticated.ANONYMOUS, curator::registerNode, registration().build()),
        Status.Code.UNAUTHENTICATED,
        "self-signed");
    assertStatus(
        () ->
            call(
                selfSigned(NODE),
                curator::registerNode,
                registration().setJoinKey(ByteString.copyFrom(new byte[5])).build()),
        Status.Code.INVALID_ARGUMENT,
        "join_key");
    assertThat(leader.nodes().get(NODE_ID)).isEmpty();
  }

  @Test
  @Order(2)
  void registerCreatesANewNodeAndIsRetrySafe() throws Exception {
    var req =
        registration()
            .setLabels(
                NodeLabels.newBuilder()
                    .addPairs(NodeLabels.Pair.newBuilder().setKey("good").setValue("1"))
                    .addPairs(NodeLabels.Pair.newBuilder().setKey("-bad").setValue("1")))
            .build();
    RegisterNodeResponse r = call(selfSigned(NODE), curator::registerNode, req);
    assertThat(r.getTpmUsage()).isEqualTo(NodeTPMUsage.NODE_TPM_USAGE_NOT_PRESENT);
    assertThat(r.getRecommendedNodeStorageSecurity())
        .isEqualTo(NodeStorageSecurity.NODE_STORAGE_SECURITY_INSECURE);
    assertThat(call(selfSigned(NODE), curator::registerNode, req)).isEqualTo(r);
    Node n = stored(NODE_ID);
    assertThat(n.getFsmState()).isEqualTo(NodeState.NODE_STATE_NEW);
    assertThat(n.getLabels().getPairsList())
        .extracting(NodeLabels.Pair::getKey)
        .containsExactly("good");
    // The join key cannot be taken by another node.
    assertStatus(
        () -> call(selfSigned(Ed25519.generate()), curator::registerNode, req),
        Status.Code.FAILED_PRECONDITION,
        "join_key");
  }

  @Test
  @Order(3)
  void commitWaitsForApprovalThenIssuesTheCertificateAndIsRetrySafe() throws Exception {
    assertStatus(
        () -> call(selfSigned(NODE), curator::commitNode, COMMIT),
        Status.Code.PERMISSION_DENIED,
        "node is NEW, wait for attestation/approval");
    assertStatus(
        () -> call(selfSigned(Ed25519.generate()), curator::commitNode, COMMIT),
        Status.Code.NOT_FOUND,
        "RegisterNode");
    assertStatus(
        () -> call(OWNER, management::approveNode, approval(Ed25519.generate())),
        Status.Code.NOT_FOUND,
        "not found");
    assertStatus(
        () ->
            call(
                OWNER,
                management::approveNode,
                ApproveNodeRequest.newBuilder()
                    .setPubkey(ByteString.copyFrom(new byte[3]))
                    .build()),
        Status.Code.INVALID_ARGUMENT,
        "pubkey");
    call(OWNER, management::approveNode, approval(NODE));
    call(OWNER, management::approveNode, approval(NODE));
    assertThat(stored(NODE_ID).getFsmState()).isEqualTo(NodeState.NODE_STATE_STANDBY);

    assertStatus(
        () ->
            call(
                selfSigned(NODE),
                curator::commitNode,
                COMMIT.toBuilder()
                    .setStorageSecurity(
                        NodeStorageSecurity.NODE_STORAGE_SECURITY_AUTHENTICATED_ENCRYPTED)
                    .setClusterUnlockKey(ByteString.copyFrom(new byte[32]))
                    .build()),
        Status.Code.INVALID_ARGUMENT,
        "storage_security");
    assertStatus(
        () ->
            call(
                selfSigned(NODE),
                curator::commitNode,
                COMMIT.toBuilder().setClusterUnlockKey(ByteString.copyFrom(new byte[32])).build()),
        Status.Code.INVALID_ARGUMENT,
        "cluster_unlock_key");

    CommitNodeResponse first = call(selfSigned(NODE), curator::commitNode, COMMIT);
    var cert = Pem.parseCertificate(first.getNodeCertificate().toByteArray());
    assertThat(Certificates.isSignedBy(cert, ca.certificate())).isTrue();
    assertThat(NodeId.matches(NODE_ID, Certificates.ed25519PublicKey(cert))).isTrue();
    assertThat(stored(NODE_ID).getFsmState()).isEqualTo(NodeState.NODE_STATE_UP);
    // The answer was lost: committing again returns the same certificate.
    assertThat(call(selfSigned(NODE), curator::commitNode, COMMIT)).isEqualTo(first);
    // ... and registering again (a restarted enrolment) does not fail either.
    call(selfSigned(NODE), curator::registerNode, registration().build());
    call(OWNER, management::approveNode, approval(NODE));
    assertThat(stored(NODE_ID).getFsmState()).isEqualTo(NodeState.NODE_STATE_UP);
  }

  @Test
  @Order(4)
  void joinFindsTheNodeByItsJoinKeyAndAppliesTheTpmRules() throws Exception {
    JoinNodeResponse r =
        call(selfSigned(JOIN), curator::joinNode, JoinNodeRequest.getDefaultInstance());
    assertThat(r.getClusterUnlockKey()).isEmpty();
    assertStatus(
        () ->
            call(
                selfSigned(JOIN),
                curator::joinNode,
                JoinNodeRequest.newBuilder().setUsingSealedConfiguration(true).build()),
        Status.Code.PERMISSION_DENIED,
        "using_sealed_configuration");
    assertStatus(
        () -> call(selfSigned(NODE), curator::joinNode, JoinNodeRequest.getDefaultInstance()),
        Status.Code.NOT_FOUND,
        "join key");
  }

  @Test
  @Order(5)
  void clusterInfoListsUpNodesWithAddresses() throws Exception {
    GetClusterInfoResponse info =
        call(OWNER, management::getClusterInfo, GetClusterInfoRequest.getDefaultInstance());
    // The new node has not reported an address yet.
    assertThat(info.getClusterDirectory().getNodesList()).hasSize(1);
    setAddress(NODE_ID, "127.0.0.2");
    info = call(OWNER, management::getClusterInfo, GetClusterInfoRequest.getDefaultInstance());
    assertThat(info.getClusterDirectory().getNodesList()).hasSize(2);
  }

  static UpdateNodeRolesRequest.Builder roles(String id) {
    return UpdateNodeRolesRequest.newBuilder().setId(id);
  }

  static List<GetConsensusStatusResponse.EtcdMember> consensus() throws Exception {
    return call(OWNER, curator::getConsensusStatus, GetConsensusStatusRequest.getDefaultInstance())
        .getEtcdMemberList();
  }

  @Test
  @Order(6)
  void rolesFollowTheirDependenciesAndConsensusMemberIsAnEtcdLearnerFirst() throws Exception {
    assertStatus(
        () -> call(OWNER, management::updateNodeRoles, UpdateNodeRolesRequest.getDefaultInstance()),
        Status.Code.INVALID_ARGUMENT,
        "node");
    assertStatus(
        () -> call(OWNER, management::updateNodeRoles, roles("nope").build()),
        Status.Code.INVALID_ARGUMENT,
        "id");
    assertStatus(
        () ->
            call(
                OWNER,
                management::updateNodeRoles,
                roles(NodeId.of(Ed25519.generate().getPublic())).setKubernetesWorker(true).build()),
        Status.Code.NOT_FOUND,
        "not found");
    assertStatus(
        () ->
            call(
                OWNER,
                management::updateNodeRoles,
                roles(NODE_ID).setKubernetesController(true).build()),
        Status.Code.FAILED_PRECONDITION,
        "kubernetes_controller: requires consensus_member");

    call(OWNER, management::updateNodeRoles, roles(NODE_ID).setKubernetesWorker(true).build());
    assertThat(stored(NODE_ID).getRoles().hasKubernetesWorker()).isTrue();

    call(OWNER, management::updateNodeRoles, roles(NODE_ID).setConsensusMember(true).build());
    var cm = stored(NODE_ID).getRoles().getConsensusMember();
    assertThat(stored(NODE_ID).getRoles().hasKubernetesWorker()).isTrue();
    assertThat(cm.getCaCertificate().toByteArray()).isEqualTo(ca.certificate().getEncoded());
    var peer = Pem.parseCertificate(cm.getPeerCertificate().toByteArray());
    assertThat(Certificates.dnsNames(peer)).contains(NODE_ID);
    assertThat(Certificates.ipAddresses(peer)).contains("127.0.0.2");
    assertThat(cm.getPeersList())
        .extracting(NodeRoles.ConsensusMember.Peer::getName)
        .containsExactlyInAnyOrder(FOUNDER_ID, NODE_ID);
    assertThat(consensus())
        .extracting(m -> m.getId() + "=" + m.getStatus())
        .containsExactlyInAnyOrder(FOUNDER_ID + "=STATUS_FULL", NODE_ID + "=STATUS_LEARNER");
    // Granting it again changes nothing (no second member, same payload).
    call(OWNER, management::updateNodeRoles, roles(NODE_ID).setConsensusMember(true).build());
    assertThat(consensus()).hasSize(2);
    assertThat(stored(NODE_ID).getRoles().getConsensusMember()).isEqualTo(cm);

    call(OWNER, management::updateNodeRoles, roles(NODE_ID).setKubernetesController(true).build());
    assertStatus(
        () ->
            call(
                OWNER,
                management::updateNodeRoles,
                roles(NODE_ID).setConsensusMember(false).build()),
        Status.Code.FAILED_PRECONDITION,
        "consensus_member: cannot be removed while the node has kubernetes_controller");
    assertThat(consensus()).hasSize(2);

    call(
        OWNER,
        management::updateNodeRoles,
        roles(NODE_ID).setConsensusMember(false).setKubernetesController(false).build());
    assertThat(stored(NODE_ID).getRoles())
        .isEqualTo(
            NodeRoles.newBuilder()
                .setKubernetesWorker(NodeRoles.KubernetesWorker.getDefaultInstance())
                .build());
    assertThat(consensus())
        .extracting(GetConsensusStatusResponse.EtcdMember::getId)
        .containsExactly(FOUNDER_ID);

    assertStatus(
        () ->
            call(
                OWNER,
                management::updateNodeRoles,
                roles(FOUNDER_ID).setConsensusMember(false).setKubernetesController(false).build()),
        Status.Code.FAILED_PRECONDITION,
        "last voting etcd member");
    assertThat(stored(FOUNDER_ID).getRoles().hasConsensusMember()).isTrue();
  }

  @Test
  @Order(7)
  void consensusMemberNeedsAnAddress() throws Exception {
    KeyPair k = Ed25519.generate();
    KeyPair j = Ed25519.generate();
    call(
        selfSigned(k),
        curator::registerNode,
        registration()
            .setJoinKey(ByteString.copyFrom(Ed25519.rawPublicKey(j.getPublic())))
            .build());
    String id = NodeId.of(k.getPublic());
    assertStatus(
        () -> call(OWNER, management::updateNodeRoles, roles(id).setConsensusMember(true).build()),
        Status.Code.FAILED_PRECONDITION,
        "not UP");
    call(OWNER, management::approveNode, approval(k));
    call(selfSigned(k), curator::commitNode, COMMIT);
    assertStatus(
        () -> call(OWNER, management::updateNodeRoles, roles(id).setConsensusMember(true).build()),
        Status.Code.FAILED_PRECONDITION,
        "external address");
  }

  @Test
  @Order(8)
  void labelsAreValidatedAndBounded() throws Exception {
    var pair = NodeLabels.Pair.newBuilder();
    assertStatus(
        () ->
            call(
                OWNER,
                management::updateNodeLabels,
                UpdateNodeLabelsRequest.newBuilder()
                    .setId(NODE_ID)
                    .addUpsert(pair.setKey("bad key").setValue("v"))
                    .build()),
        Status.Code.INVALID_ARGUMENT,
        "upsert[0].key");
    assertStatus(
        () ->
            call(
                OWNER,
                management::updateNodeLabels,
                UpdateNodeLabelsRequest.newBuilder()
                    .setId(NODE_ID)
                    .addUpsert(pair.setKey("k").setValue("v"))
                    .addDelete("k")
                    .build()),
        Status.Code.INVALID_ARGUMENT,
        "delete[0]");
    var many = UpdateNodeLabelsRequest.newBuilder().setId(NODE_ID);
    for (int i = 0; i < 128; i++) {
      many.addUpsert(NodeLabels.Pair.newBuilder().setKey("k" + i).setValue("v"));
    }
    // "good" is there already: 129 in total.
    assertStatus(
        () -> call(OWNER, management::updateNodeLabels, many.build()),
        Status.Code.OUT_OF_RANGE,
        "128");
    call(
        OWNER,
        management::updateNodeLabels,
        UpdateNodeLabelsRequest.newBuilder()
            .setPubkey(ByteString.copyFrom(Ed25519.rawPublicKey(NODE.getPublic())))
            .addUpsert(NodeLabels.Pair.newBuilder().setKey("example.com/zone").setValue("a"))
            .addDelete("good")
            .build());
    assertThat(stored(NODE_ID).getLabels().getPairsList())
        .containsExactly(
            NodeLabels.Pair.newBuilder().setKey("example.com/zone").setValue("a").build());
  }

  @Test
  @Order(9)
  void configureClusterUsesOptimisticConcurrency() throws Exception {
    var rule =
        ClusterConfiguration.Kubernetes.NodeLabelsToSynchronize.newBuilder().setRegexp("^zone$");
    var wanted =
        ClusterConfiguration.newBuilder()
            .setKubernetes(
                ClusterConfiguration.Kubernetes.newBuilder().addNodeLabelsToSynchronize(rule))
            .build();
    var mask = FieldMask.newBuilder().addPaths(ManagementService.LABELS_TO_SYNC).build();
    assertStatus(
        () ->
            call(OWNER, management::configureCluster, ConfigureClusterRequest.getDefaultInstance()),
        Status.Code.INVALID_ARGUMENT,
        "update_mask");
    assertStatus(
        () ->
            call(
                OWNER,
                management::configureCluster,
                ConfigureClusterRequest.newBuilder()
                    .setNewConfig(wanted)
                    .setUpdateMask(FieldMask.newBuilder().addPaths("cluster_domain"))
                    .build()),
        Status.Code.INVALID_ARGUMENT,
        "cluster_domain");
    assertStatus(
        () ->
            call(
                OWNER,
                management::configureCluster,
                ConfigureClusterRequest.newBuilder()
                    .setNewConfig(
                        ClusterConfiguration.newBuilder()
                            .setKubernetes(
                                ClusterConfiguration.Kubernetes.newBuilder()
                                    .addNodeLabelsToSynchronize(rule.clone().setRegexp("(("))))
                    .setUpdateMask(mask)
                    .build()),
        Status.Code.INVALID_ARGUMENT,
        "node_labels_to_synchronize");
    ConfigureClusterResponse r =
        call(
            OWNER,
            management::configureCluster,
            ConfigureClusterRequest.newBuilder().setNewConfig(wanted).setUpdateMask(mask).build());
    assertThat(r.getResultingConfig().getKubernetes()).isEqualTo(wanted.getKubernetes());
    assertThat(r.getResultingConfig().getTpmMode())
        .isEqualTo(ClusterConfiguration.TPMMode.TPM_MODE_DISABLED);
    // Same base again: it no longer matches what is stored.
    assertStatus(
        () ->
            call(
                OWNER,
                management::configureCluster,
                ConfigureClusterRequest.newBuilder()
                    .setNewConfig(wanted)
                    .setUpdateMask(mask)
                    .build()),
        Status.Code.FAILED_PRECONDITION,
        "base_config");
  }

  @Test
  @Order(10)
  void deleteFollowsTheSafetyRulesAndRemovesTheJoinKey() throws Exception {
    assertStatus(
        () ->
            call(
                OWNER,
                management::decommissionNode,
                DecommissionNodeRequest.newBuilder().setId(NODE_ID).build()),
        Status.Code.UNIMPLEMENTED,
        "DeleteNode");
    assertStatus(
        () -> call(OWNER, management::deleteNode, DeleteNodeRequest.getDefaultInstance()),
        Status.Code.INVALID_ARGUMENT,
        "node");
    assertStatus(
        () ->
            call(
                OWNER,
                management::deleteNode,
                DeleteNodeRequest.newBuilder().setId(NODE_ID).build()),
        Status.Code.FAILED_PRECONDITION,
        "still has KubernetesWorker role");
    var bypassRoles =
        DeleteNodeRequest.newBuilder()
            .setId(NODE_ID)
            .setSafetyBypassHasRoles(DeleteNodeRequest.SafetyBypassHasRoles.getDefaultInstance());
    assertStatus(
        () -> call(OWNER, management::deleteNode, bypassRoles.build()),
        Status.Code.FAILED_PRECONDITION,
        "node must be decommissioned first");
    call(
        OWNER,
        management::deleteNode,
        bypassRoles
            .setSafetyBypassNotDecommissioned(
                DeleteNodeRequest.SafetyBypassNotDecommissioned.getDefaultInstance())
            .build());
    assertThat(leader.nodes().get(NODE_ID)).isEmpty();
    assertStatus(
        () -> call(selfSigned(JOIN), curator::joinNode, JoinNodeRequest.getDefaultInstance()),
        Status.Code.NOT_FOUND,
        "join key");
    assertStatus(
        () ->
            call(
                OWNER,
                management::deleteNode,
                DeleteNodeRequest.newBuilder().setId(NODE_ID).build()),
        Status.Code.NOT_FOUND,
        "not found");

    // A NEW node can be deleted without any bypass.
    KeyPair k = Ed25519.generate();
    call(
        selfSigned(k),
        curator::registerNode,
        registration()
            .setJoinKey(ByteString.copyFrom(Ed25519.rawPublicKey(Ed25519.generate().getPublic())))
            .build());
    call(
        OWNER,
        management::deleteNode,
        DeleteNodeRequest.newBuilder().setId(NodeId.of(k.getPublic())).build());
  }

  @Test
  @Order(12)
  void registrationWithANewJoinKeyReplacesItWhileNew() throws Exception {
    KeyPair k = Ed25519.generate();
    KeyPair j1 = Ed25519.generate();
    KeyPair j2 = Ed25519.generate();
    String id = NodeId.of(k.getPublic());
    call(
        selfSigned(k),
        curator::registerNode,
        registration()
            .setJoinKey(ByteString.copyFrom(Ed25519.rawPublicKey(j1.getPublic())))
            .build());
    // The node lost its enrolment state before it was approved and comes back with a new join key.
    call(
        selfSigned(k),
        curator::registerNode,
        registration()
            .setJoinKey(ByteString.copyFrom(Ed25519.rawPublicKey(j2.getPublic())))
            .build());
    assertThat(stored(id).getJoinKey().toByteArray())
        .isEqualTo(Ed25519.rawPublicKey(j2.getPublic()));
    call(OWNER, management::approveNode, approval(k));
    call(selfSigned(k), curator::commitNode, COMMIT);
    assertStatus(
        () -> call(selfSigned(j1), curator::joinNode, JoinNodeRequest.getDefaultInstance()),
        Status.Code.NOT_FOUND,
        "join key");
    call(selfSigned(j2), curator::joinNode, JoinNodeRequest.getDefaultInstance());
    // Once approved, another join key is refused.
    assertStatus(
        () ->
            call(
                selfSigned(k),
                curator::registerNode,
                registration()
                    .setJoinKey(ByteString.copyFrom(Ed25519.rawPublicKey(j1.getPublic())))
                    .build()),
        Status.Code.FAILED_PRECONDITION,
        "another join key");
  }

  @Test
  @Order(13)
  void decommissionedNodesCannotBeApprovedCommittedOrJoinedButCanBeDeleted() throws Exception {
    KeyPair k = Ed25519.generate();
    KeyPair j = Ed25519.generate();
    String id = NodeId.of(k.getPublic());
    call(
        selfSigned(k),
        curator::registerNode,
        registration()
            .setJoinKey(ByteString.copyFrom(Ed25519.rawPublicKey(j.getPublic())))
            .build());
    // No RPC decommissions yet (as in the reference): put the record in that state directly.
    leader
        .nodes()
        .update(
            leader.leadership(),
            id,
            n -> n.toBuilder().setFsmState(NodeState.NODE_STATE_DECOMMISSIONED).build());
    assertStatus(
        () -> call(OWNER, management::approveNode, approval(k)),
        Status.Code.FAILED_PRECONDITION,
        "only NEW nodes can be approved");
    assertStatus(
        () -> call(selfSigned(k), curator::commitNode, COMMIT),
        Status.Code.FAILED_PRECONDITION,
        "cannot commit");
    assertStatus(
        () ->
            call(
                selfSigned(k),
                curator::registerNode,
                registration()
                    .setJoinKey(ByteString.copyFrom(Ed25519.rawPublicKey(j.getPublic())))
                    .build()),
        Status.Code.FAILED_PRECONDITION,
        "cannot register again");
    assertStatus(
        () -> call(selfSigned(j), curator::joinNode, JoinNodeRequest.getDefaultInstance()),
        Status.Code.FAILED_PRECONDITION,
        "not UP");
    call(OWNER, management::deleteNode, DeleteNodeRequest.newBuilder().setId(id).build());
    assertThat(leader.nodes().get(id)).isEmpty();
  }

  /** Node {@code id}'s etcd member as the leader lists it. */
  static ConsensusMembers.Member memberOf(String id) throws Exception {
    return ConsensusMembers.memberOf(leader.members().list(), FOUNDER_ID, stored(id)).orElseThrow();
  }

  /** Drops the ConsensusMember role from the record only, as a partly failed change leaves it. */
  static void dropRoleOnly(String id) throws Exception {
    leader
        .nodes()
        .update(
            leader.leadership(),
            id,
            n -> n.toBuilder().setRoles(n.getRoles().toBuilder().clearConsensusMember()).build());
  }

  @Test
  @Order(14)
  void grantingConsensusMemberAgainConvergesWithTheMemberEtcdStillHas() throws Exception {
    KeyPair k = Ed25519.generate();
    String id = NodeId.of(k.getPublic());
    call(
        selfSigned(k),
        curator::registerNode,
        registration()
            .setJoinKey(ByteString.copyFrom(Ed25519.rawPublicKey(Ed25519.generate().getPublic())))
            .build());
    call(OWNER, management::approveNode, approval(k));
    call(selfSigned(k), curator::commitNode, COMMIT);
    setAddress(id, "127.0.0.3");
    var grant = roles(id).setConsensusMember(true).build();

    // UpdateNodeRoles added the learner but did not store the role (say, it lost its tenure in
    // between). Granting again keeps that learner instead of adding a second member.
    call(OWNER, management::updateNodeRoles, grant);
    long learner = memberOf(id).id();
    dropRoleOnly(id);
    call(OWNER, management::updateNodeRoles, grant);
    assertThat(memberOf(id).id()).isEqualTo(learner);
    assertThat(consensus())
        .extracting(m -> m.getId() + "=" + m.getStatus())
        .containsExactlyInAnyOrder(FOUNDER_ID + "=STATUS_FULL", id + "=STATUS_LEARNER");

    // The node starts its etcd from the stored role; the background loop promotes it.
    java.util.Map<String, String> initial = new java.util.HashMap<>();
    for (var p : stored(id).getRoles().getConsensusMember().getPeersList()) {
      initial.put(p.getName(), p.getUrl());
    }
    var background =
        new Background(
            leader,
            new dev.metropolis.osbase.logtree.LogTree()
                .logger(dev.metropolis.osbase.logtree.DN.of("background")));
    TestEtcd member = TestEtcd.join(id, "127.0.0.3", etcd.peerPort(), initial);
    try {
      java.time.Instant deadline = java.time.Instant.now().plusSeconds(60);
      while (memberOf(id).learner()) {
        assertThat(java.time.Instant.now()).as("learner promoted").isBefore(deadline);
        background.pass();
        Thread.sleep(200);
      }
      assertThat(memberOf(id).id()).isEqualTo(learner);

      // Now a voter whose record lost the role. Its node drops its etcd data on seeing the role
      // gone, so granting again must not hand it back the voter's identity: the voter is replaced
      // by a fresh learner.
      dropRoleOnly(id);
      // etcd refuses to remove a voter until every remaining voter has been connected for 5 s.
      while (true) {
        try {
          call(OWNER, management::updateNodeRoles, grant);
          break;
        } catch (StatusRuntimeException e) {
          assertThat(e.getStatus().getDescription()).contains("unhealthy cluster");
          assertThat(java.time.Instant.now()).as("voter removable").isBefore(deadline);
          Thread.sleep(500);
        }
      }
      var fresh = memberOf(id);
      assertThat(fresh.id()).isNotEqualTo(learner);
      assertThat(fresh.learner()).isTrue();
      assertThat(leader.members().list()).hasSize(2);
      assertThat(stored(id).getRoles().hasConsensusMember()).isTrue();
    } finally {
      member.close();
    }
    call(OWNER, management::updateNodeRoles, roles(id).setConsensusMember(false).build());
    assertThat(consensus())
        .extracting(GetConsensusStatusResponse.EtcdMember::getId)
        .containsExactly(FOUNDER_ID);
  }

  @Test
  @Order(20)
  void aDeposedLeaderWritesNothing() throws Exception {
    List<String> before = new ArrayList<>();
    for (var n : leader.nodes().list()) {
      before.add(n.getId());
    }
    // The lease goes behind the leader's back (as after a partition longer than the TTL).
    client.getKVClient().delete(leader.leadership().key()).get(10, TimeUnit.SECONDS);
    KeyPair k = Ed25519.generate();
    assertStatus(
        () -> {
          try {
            leader
                .nodes()
                .update(leader.leadership(), FOUNDER_ID, n -> n.toBuilder().clearLabels().build());
          } catch (Exception e) {
            throw Rpc.toStatus(e);
          }
        },
        Status.Code.UNAVAILABLE,
        "lost leadership");
    assertThatThrownBy(() ->
            call(
                selfSigned(k),
                curator::registerNode,
                registration()
                    .setJoinKey(
                        ByteString.copyFrom(Ed25519.rawPublicKey(Ed25519.generate().getPublic())))
                    .build()))
        .isInstanceOfSatisfying(
            StatusRuntimeException.class,
            e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE));
    List<String> after = new ArrayList<>();
    for (var n : leader.nodes().list()) {
      after.add(n.getId());
    }
    assertThat(after).isEqualTo(before);
  }
}
