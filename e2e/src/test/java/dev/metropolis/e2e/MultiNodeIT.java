package dev.metropolis.e2e;

import static dev.metropolis.launch.Eventually.testEventual;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.metropolis.api.common.NodeLabels;
import dev.metropolis.api.common.NodeState;
import dev.metropolis.api.curator.GetConsensusStatusResponse.EtcdMember;
import dev.metropolis.api.management.DeleteNodeRequest;
import dev.metropolis.api.management.GetClusterInfoRequest;
import dev.metropolis.api.management.ManagementGrpc;
import dev.metropolis.api.management.Node;
import dev.metropolis.api.management.UpdateNodeRolesRequest;
import dev.metropolis.launch.LocalCluster;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * Three hosted nodes (reference suites ha and ha_cold, with hosted processes instead of VMs): two
 * register and are approved, become consensus members (etcd learners, then voters), the cluster
 * survives the death of its leader's node, comes back after all three stop at once, and the
 * bootstrap node can leave the control plane and be deleted, the other two then surviving a cold
 * start on their own.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class MultiNodeIT {
  private static LocalCluster cluster;

  @BeforeAll
  static void start() throws Exception {
    cluster = Harness.launch(3);
  }

  @AfterAll
  static void stop() {
    if (cluster != null) {
      cluster.close();
    }
  }

  static void allHealthy() throws Exception {
    healthy(3);
  }

  static void healthy(int count) throws Exception {
    List<Node> nodes = cluster.nodes();
    assertThat(nodes).hasSize(count);
    for (Node n : nodes) {
      assertThat(n.getState()).as(n.getId()).isEqualTo(NodeState.NODE_STATE_UP);
      assertThat(n.getHealth()).as(n.getId()).isEqualTo(Node.Health.HEALTH_HEALTHY);
    }
  }

  static Node node(int i) throws Exception {
    String id = cluster.nodeId(i);
    return cluster.nodes().stream().filter(n -> n.getId().equals(id)).findFirst().orElseThrow();
  }

  /** All healthy, and node {@code i} runs a new process that heartbeated after {@code restart}. */
  static void rejoined(int i, Node before, Instant restart) throws Exception {
    allHealthy();
    Node after = node(i);
    assertThat(after.getStatus().getBootId()).isNotEqualTo(before.getStatus().getBootId());
    Duration since =
        Duration.ofSeconds(
            after.getTimeSinceHeartbeat().getSeconds(), after.getTimeSinceHeartbeat().getNanos());
    assertThat(Instant.now().minus(since)).isAfter(restart);
  }

  static void threeVoters() throws Exception {
    Harness.threeVoters(cluster);
  }

  @Test
  @Order(10)
  void registeredNodesAreUpHealthyAndInTheDirectory() throws Exception {
    testEventual("Heartbeat test successful", Duration.ofSeconds(30), MultiNodeIT::allHealthy);
    for (int i = 1; i < 3; i++) {
      assertThat(cluster.node(i).log()).contains("Cluster enrolment done.");
      String id = cluster.nodeId(i);
      Node n = cluster.nodes().stream().filter(x -> x.getId().equals(id)).findFirst().orElseThrow();
      assertThat(n.getRoles().hasConsensusMember()).isFalse();
    }
    testEventual(
        "Retrieving cluster directory successful",
        Duration.ofSeconds(30),
        () -> {
          var ch = cluster.curatorChannel();
          try {
            var info =
                ManagementGrpc.newBlockingStub(ch)
                    .withDeadlineAfter(10, TimeUnit.SECONDS)
                    .getClusterInfo(GetClusterInfoRequest.getDefaultInstance());
            assertThat(info.getClusterDirectory().getNodesList())
                .flatExtracting(d -> d.getAddressesList())
                .extracting(a -> a.getHost())
                .containsExactlyInAnyOrder(
                    cluster.address(0), cluster.address(1), cluster.address(2));
          } finally {
            ch.shutdownNow();
          }
        });
  }

  @Test
  @Order(20)
  void consensusMembersBecomeVoters() throws Exception {
    cluster.makeConsensusMember(1, Duration.ofSeconds(60));
    cluster.makeConsensusMember(2, Duration.ofSeconds(60));
    testEventual("Three voting etcd members", Duration.ofSeconds(30), MultiNodeIT::threeVoters);
    testEventual(
        "Every node runs a curator",
        Duration.ofSeconds(60),
        () ->
            assertThat(cluster.nodes())
                .allSatisfy(n -> {
                  assertThat(n.getRoles().hasConsensusMember()).isTrue();
                  assertThat(n.getStatus().hasRunningCurator()).as(n.getId()).isTrue();
                }));
    testEventual("Heartbeat test successful", Duration.ofSeconds(30), MultiNodeIT::allHealthy);
  }

  @Test
  @Order(30)
  void anotherNodeLeadsWhenTheLeadersNodeDies() throws Exception {
    int old = cluster.leaderIndex();
    Node before = node(old);
    System.out.println("Test: killing node " + old + ", the curator leader");
    cluster.shutdownNode(old);
    testEventual(
        "Another curator leads and serves management writes",
        Duration.ofSeconds(60),
        () -> {
          assertThat(cluster.leaderIndex()).isNotEqualTo(old);
          label(old, "failover", "seen");
        });
    Instant restart = Instant.now();
    cluster.startNode(old);
    testEventual(
        "Node " + old + " rejoin successful",
        Duration.ofSeconds(60),
        () -> rejoined(old, before, restart));
    testEventual("Three voting etcd members", Duration.ofSeconds(30), MultiNodeIT::threeVoters);
  }

  @Test
  @Order(40)
  void removingAMemberIsRefusedWhenTheRestWouldLackAQuorum() throws Exception {
    int leader = cluster.leaderIndex();
    int down = (leader + 1) % 3;
    int victim = (leader + 2) % 3;
    Node before = node(down);
    cluster.shutdownNode(down);
    // Voters: the leader's, the victim's and the stopped one's. Without the victim, only one of
    // the two left is running: etcd must refuse, and the node keeps its role and its member.
    testEventual(
        "Removing a member without a quorum left is refused",
        Duration.ofSeconds(30),
        () ->
            assertThatThrownBy(() ->
                    roles(
                        victim,
                        UpdateNodeRolesRequest.newBuilder()
                            .setConsensusMember(false)
                            .setKubernetesController(false)))
                .isInstanceOfSatisfying(
                    StatusRuntimeException.class,
                    e -> {
                      assertThat(e.getStatus().getCode())
                          .as(e.getStatus().toString())
                          .isEqualTo(Status.Code.FAILED_PRECONDITION);
                      assertThat(e.getStatus().getDescription()).contains("quorum");
                    }));
    assertThat(cluster.consensusStatus()).containsKey(cluster.nodeId(victim)).hasSize(3);
    Instant restart = Instant.now();
    cluster.startNode(down);
    testEventual(
        "Node " + down + " rejoin successful",
        Duration.ofSeconds(60),
        () -> rejoined(down, before, restart));
    testEventual("Three voting etcd members", Duration.ofSeconds(30), MultiNodeIT::threeVoters);
  }

  static void label(int target, String key, String value) throws Exception {
    cluster.label(target, key, value);
  }

  @Test
  @Order(45)
  void rollingHardRebootKeepsServingAndLosesNoWrite() throws Exception {
    for (int i = 0; i < 3; i++) {
      int n = i;
      Node before = node(n);
      Instant restart = Instant.now();
      System.out.println("Test: hard reboot of node " + n);
      cluster.restartNode(n);
      // While it comes back, the other two (a quorum) keep taking writes.
      int other = (n + 1) % 3;
      testEventual(
          "Writes accepted during node " + n + "'s reboot",
          Duration.ofSeconds(60),
          () -> label(other, "rolling-" + n, "written"));
      testEventual(
          "Node " + n + " rejoin successful",
          Duration.ofSeconds(90),
          () -> rejoined(n, before, restart));
      testEventual("Three voting etcd members", Duration.ofSeconds(30), MultiNodeIT::threeVoters);
    }
    // Every acknowledged write survived the three reboots.
    for (int n = 0; n < 3; n++) {
      assertThat(node((n + 1) % 3).getLabels().getPairsList())
          .extracting(NodeLabels.Pair::getKey)
          .contains("rolling-" + n);
    }
  }

  @Test
  @Order(50)
  void clusterComesBackFromAColdStart() throws Exception {
    for (int i = 0; i < 3; i++) {
      cluster.shutdownNode(i);
    }
    for (int i = 0; i < 3; i++) {
      cluster.startNode(i);
    }
    testEventual("Heartbeat test successful", Duration.ofSeconds(90), MultiNodeIT::allHealthy);
    testEventual("Three voting etcd members", Duration.ofSeconds(30), MultiNodeIT::threeVoters);
    assertThat(cluster.nodes())
        .allSatisfy(x -> assertThat(x.getRoles().hasConsensusMember()).as(x.getId()).isTrue());
    // No curator answered before the etcd members formed a quorum again: each node started its
    // etcd from the roles it had persisted.
    for (int i = 0; i < 3; i++) {
      String log = cluster.node(i).log();
      assertThat(log.substring(log.lastIndexOf("starting (platform")))
          .as("node %d after the cold start", i)
          .contains("Starting etcd member");
    }
    String first = cluster.nodeId(0);
    Node n =
        cluster.nodes().stream().filter(x -> x.getId().equals(first)).findFirst().orElseThrow();
    assertThat(n.getLabels().getPairsList())
        .extracting(NodeLabels.Pair::getKey)
        .contains(LocalCluster.NODE_NUMBER_LABEL);
  }

  /** Calls UpdateNodeRoles on the leader (callers retry through testEventual). */
  static void roles(int i, UpdateNodeRolesRequest.Builder req) throws Exception {
    cluster.updateRoles(i, req);
  }

  @Test
  @Order(60)
  void firstNodeLeavesTheControlPlaneAndTheRestSurvivesAColdStart() throws Exception {
    String first = cluster.nodeId(0);
    testEventual(
        "Remove KubernetesController role",
        Duration.ofSeconds(30),
        () -> roles(0, UpdateNodeRolesRequest.newBuilder().setKubernetesController(false)));
    // Node 0 may lead: then removing its own member ends its tenure before the role write, and
    // the retry (or the next leader's reconciliation) finishes the job.
    testEventual(
        "Remove ConsensusMember role",
        Duration.ofSeconds(60),
        () -> {
          roles(0, UpdateNodeRolesRequest.newBuilder().setConsensusMember(false));
          assertThat(cluster.nodes())
              .filteredOn(n -> n.getId().equals(first))
              .singleElement()
              .satisfies(n -> assertThat(n.getRoles().hasConsensusMember()).isFalse());
        });
    testEventual(
        "Get ConsensusStatus",
        Duration.ofSeconds(60),
        () ->
            assertThat(cluster.consensusStatus())
                .containsOnlyKeys(cluster.nodeId(1), cluster.nodeId(2))
                .allSatisfy((id, st) -> assertThat(st).isEqualTo(EtcdMember.Status.STATUS_FULL)));
    testEventual(
        "Delete first node",
        Duration.ofSeconds(30),
        () -> {
          var ch = cluster.curatorChannel();
          try {
            ManagementGrpc.newBlockingStub(ch)
                .withDeadlineAfter(10, TimeUnit.SECONDS)
                .deleteNode(
                    DeleteNodeRequest.newBuilder()
                        .setId(first)
                        .setSafetyBypassNotDecommissioned(
                            DeleteNodeRequest.SafetyBypassNotDecommissioned.getDefaultInstance())
                        .build());
          } finally {
            ch.shutdownNow();
          }
        });
    cluster.shutdownNode(0);
    cluster.shutdownNode(1);
    cluster.shutdownNode(2);
    cluster.startNode(1);
    cluster.startNode(2);
    testEventual("Heartbeat test successful", Duration.ofSeconds(90), () -> healthy(2));
  }
}
