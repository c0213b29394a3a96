package dev.metropolis.e2e;

import static dev.metropolis.launch.Eventually.testEventual;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.metropolis.api.common.NodeState;
import dev.metropolis.api.common.NodeStatus;
import dev.metropolis.api.curator.CuratorGrpc;
import dev.metropolis.api.curator.UpdateNodeStatusRequest;
import dev.metropolis.api.curator.WatchRequest;
import dev.metropolis.api.management.GetClusterInfoRequest;
import dev.metropolis.api.management.GetNodesRequest;
import dev.metropolis.api.management.ManagementGrpc;
import dev.metropolis.api.management.Node;
import dev.metropolis.launch.InsecureOwnerKey;
import dev.metropolis.launch.LocalCluster;
import dev.metropolis.osbase.pki.Certificates;
import dev.metropolis.osbase.pki.Ed25519;
import dev.metropolis.osbase.pki.NodeId;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * One bootstrapped node on real etcd: ownership, the node's own view, bad input, and surviving a
 * hard restart and the death of its etcd.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class OneNodeIT {
  private static LocalCluster cluster;

  @BeforeAll
  static void start() throws Exception {
    cluster = Harness.oneNode();
  }

  @AfterAll
  static void stop() {
    if (cluster != null) {
      cluster.close();
    }
  }

  static List<Node> nodes(String filter) throws Exception {
    ManagedChannel ch = cluster.ownerChannel(0);
    try {
      List<Node> out = new ArrayList<>();
      ManagementGrpc.newBlockingStub(ch)
          .withDeadlineAfter(10, TimeUnit.SECONDS)
          .getNodes(GetNodesRequest.newBuilder().setFilter(filter).build())
          .forEachRemaining(out::add);
      return out;
    } finally {
      ch.shutdownNow();
    }
  }

  @Test
  @Order(1)
  void bootstrapNodeIsUpHealthyWithControlPlaneRoles() throws Exception {
    testEventual(
        "Node is UP and HEALTHY",
        Duration.ofSeconds(30),
        () -> {
          List<Node> n = nodes("");
          assertThat(n).hasSize(1);
          Node node = n.getFirst();
          assertThat(node.getState()).isEqualTo(NodeState.NODE_STATE_UP);
          assertThat(node.getHealth()).isEqualTo(Node.Health.HEALTH_HEALTHY);
          assertThat(node.getStatus().getExternalAddress()).isEqualTo(cluster.address(0));
          assertThat(node.getRoles().hasConsensusMember()).isTrue();
          assertThat(node.getRoles().hasKubernetesController()).isTrue();
          assertThat(node.getRoles().hasKubernetesWorker()).isFalse();
          assertThat(node.getId()).isEqualTo(NodeId.of(node.getPubkey().toByteArray()));
          assertThat(node.getStatus().getRunningCurator().getPort()).isEqualTo(7835);
          assertThat(node.getStatus().getVersion().getRelease().getMinor()).isEqualTo(1);
        });
    var ch = cluster.ownerChannel(0);
    try {
      var info =
          ManagementGrpc.newBlockingStub(ch)
              .getClusterInfo(GetClusterInfoRequest.getDefaultInstance());
      assertThat(info.getClusterDirectory().getNodesList()).hasSize(1);
      assertThat(info.getClusterDirectory().getNodes(0).getAddresses(0).getHost())
          .isEqualTo(cluster.address(0));
      assertThat(info.getCaCertificate().toByteArray()).isEqualTo(cluster.ca().getEncoded());
      assertThat(info.getClusterConfiguration().getClusterDomain()).isEqualTo("cluster.test");
    } finally {
      ch.shutdownNow();
    }
  }

  @Test
  @Order(2)
  void escrowIsIdempotentAndRefusesOtherKeys() throws Exception {
    var first = cluster.ownerCertificate();
    var again = cluster.escrow(0, InsecureOwnerKey.keyPair());
    assertThat(again.getEncoded()).isEqualTo(first.getEncoded());
    assertThat(Certificates.commonName(first)).hasValue("owner");
    assertThat(Certificates.isSignedBy(first, cluster.ca())).isTrue();

    assertThatThrownBy(() -> cluster.escrow(0, Ed25519.generate()))
        .isInstanceOfSatisfying(
            StatusRuntimeException.class,
            e -> {
              assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.PERMISSION_DENIED);
              assertThat(e.getStatus().getDescription()).contains("initial owner");
            });
  }

  @Test
  @Order(3)
  void malformedRequestsAreRejectedNamingTheFieldAndTheServerStaysUp() throws Exception {
    assertThatThrownBy(() -> nodes("node.state =="))
        .isInstanceOfSatisfying(
            StatusRuntimeException.class,
            e -> {
              assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
              assertThat(e.getStatus().getDescription()).contains("filter");
            });
    assertThatThrownBy(() -> nodes("node.id"))
        .isInstanceOfSatisfying(
            StatusRuntimeException.class,
            e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT));
    assertThat(nodes("node.state == NODE_STATE_UP")).hasSize(1);
    assertThat(nodes("node.state == NODE_STATE_NEW")).isEmpty();

    ManagedChannel ch = Harness.nodeChannel(cluster, 0);
    try {
      var curator = CuratorGrpc.newBlockingStub(ch).withDeadlineAfter(10, TimeUnit.SECONDS);
      String id = NodeId.of(Harness.nodeCredentials(cluster, 0).key().getPublic());
      assertThatThrownBy(() ->
              curator.updateNodeStatus(
                  UpdateNodeStatusRequest.newBuilder()
                      .setNodeId(id)
                      .setStatus(NodeStatus.newBuilder().setExternalAddress("not-an-ip"))
                      .build()))
          .isInstanceOfSatisfying(
              StatusRuntimeException.class,
              e -> {
                assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
                assertThat(e.getStatus().getDescription()).contains("external_address");
              });
      assertThatThrownBy(() ->
              curator.updateNodeStatus(
                  UpdateNodeStatusRequest.newBuilder()
                      .setNodeId("metropolis-00000000000000000000000000000000")
                      .setStatus(NodeStatus.newBuilder().setExternalAddress("10.0.0.1"))
                      .build()))
          .isInstanceOfSatisfying(
              StatusRuntimeException.class,
              e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.PERMISSION_DENIED));
      assertThatThrownBy(() ->
              curator
                  .watch(
                      WatchRequest.newBuilder()
                          .setNodeInCluster(
                              WatchRequest.NodeInCluster.newBuilder().setNodeId("bogus"))
                          .build())
                  .next())
          .isInstanceOfSatisfying(
              StatusRuntimeException.class,
              e -> {
                assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
                assertThat(e.getStatus().getDescription()).contains("node_id");
              });
      // The bad status was not applied.
      assertThat(nodes("").getFirst().getStatus().getExternalAddress())
          .isEqualTo(cluster.address(0));
    } finally {
      ch.shutdownNow();
    }
    assertThatThrownBy(() -> cluster.escrow(0, Ed25519.generate()))
        .isInstanceOf(StatusRuntimeException.class);
  }

  @Test
  @Order(4)
  void survivesTheDeathOfItsEtcd() throws Exception {
    ProcessHandle etcd = etcdOf(cluster);
    long before = etcd.pid();
    etcd.destroyForcibly();
    testEventual(
        "etcd restarted by the supervisor and the curator serving again",
        Duration.ofSeconds(60),
        () -> {
          assertThat(etcdOf(cluster).pid()).isNotEqualTo(before);
          assertThat(nodes("")).hasSize(1);
        });
    testEventual(
        "Node HEALTHY again",
        Duration.ofSeconds(30),
        () -> assertThat(nodes("").getFirst().getHealth()).isEqualTo(Node.Health.HEALTH_HEALTHY));
  }

  @Test
  @Order(5)
  void hardRestartKeepsIdentityCaAndOwnerAccess() throws Exception {
    Node before = nodes("").getFirst();
    var ca = cluster.ca();
    Instant restart = Instant.now();
    cluster.restartNode(0);
    assertThat(cluster.awaitCurator(0, Duration.ofSeconds(60)).getEncoded())
        .isEqualTo(ca.getEncoded());
    testEventual(
        "Node rejoined, HEALTHY, heartbeat newer than the restart",
        Duration.ofSeconds(60),
        () -> {
          Node after = nodes("").getFirst();
          assertThat(after.getId()).isEqualTo(before.getId());
          assertThat(after.getHealth()).isEqualTo(Node.Health.HEALTH_HEALTHY);
          Duration since = Duration.ofSeconds(after.getTimeSinceHeartbeat().getSeconds());
          assertThat(Instant.now().minus(since)).isAfter(restart);
          assertThat(after.getStatus().getBootId()).isNotEqualTo(before.getStatus().getBootId());
        });
    assertThat(cluster.node(0).log()).contains("Joined the cluster.");
    assertThat(cluster.node(0).log().split("Bootstrapping a new cluster", -1)).hasSize(2);
  }

  static ProcessHandle etcdOf(LocalCluster c) {
    long pid = c.node(0).pid().orElseThrow();
    return ProcessHandle.of(pid)
        .orElseThrow()
        .descendants()
        .filter(p -> p.info().command().map(s -> s.endsWith("/etcd")).orElse(false))
        .filter(ProcessHandle::isAlive)
        .findFirst()
        .orElseThrow(() -> new AssertionError("no etcd child of node " + pid));
  }
}
