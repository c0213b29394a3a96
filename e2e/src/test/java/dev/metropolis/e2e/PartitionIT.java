package dev.metropolis.e2e;

import static dev.metropolis.launch.Eventually.testEventual;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.metropolis.api.common.NodeLabels;
import dev.metropolis.api.management.Node;
import dev.metropolis.launch.LocalCluster;
import dev.metropolis.launch.NodeParametersFiles;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * The partition suite: three consensus members in their own network namespaces; one node's link is
 * cut while its process keeps running. The leader must report it HEARTBEAT_TIMEOUT, the other two
 * keep taking writes, and once the link is back the node is HEALTHY again, a voter again, and no
 * acknowledged write is missing. Then the same with the leader's node cut off: the other two elect
 * a new leader. Needs the virtual network, so root.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class PartitionIT {
  private static LocalCluster cluster;

  /** Every label write the cluster acknowledged: node index → keys. */
  private static final Map<Integer, List<String>> acknowledged = new java.util.HashMap<>();

  @BeforeAll
  static void start() throws Exception {
    assumeTrue(
        Harness.isolated(), "partitions need the virtual network (network namespaces, root)");
    cluster =
        Harness.launch(
            new LocalCluster.Options(
                3, NodeParametersFiles.testConfiguration("cluster.test"), Set.of(1, 2), Set.of()));
  }

  @AfterAll
  static void stop() {
    if (cluster != null) {
      cluster.close();
    }
  }

  static Node node(int i) throws Exception {
    String id = cluster.nodeId(i);
    return cluster.nodes().stream().filter(n -> n.getId().equals(id)).findFirst().orElseThrow();
  }

  static void write(int target, String key) throws Exception {
    cluster.label(target, key, "acknowledged");
    acknowledged.computeIfAbsent(target, k -> new ArrayList<>()).add(key);
  }

  static void nothingLost() throws Exception {
    for (var e : acknowledged.entrySet()) {
      assertThat(node(e.getKey()).getLabels().getPairsList())
          .extracting(NodeLabels.Pair::getKey)
          .containsAll(e.getValue());
    }
  }

  static void threeVoters() throws Exception {
    Harness.threeVoters(cluster);
  }

  /** Cuts {@code victim} off, writes through the rest, heals, and checks it all came back. */
  static void partitionAndHeal(int victim, String tag) throws Exception {
    int other = (victim + 1) % 3;
    cluster.partitionNode(victim);
    testEventual(
        "Node " + victim + " (" + tag + ") shows HEARTBEAT_TIMEOUT",
        Duration.ofSeconds(90),
        () -> assertThat(node(victim).getHealth()).isEqualTo(Node.Health.HEALTH_HEARTBEAT_TIMEOUT));
    testEventual(
        "Writes accepted while node " + victim + " is cut off",
        Duration.ofSeconds(60),
        () -> write(other, tag + "-during"));
    assertThat(cluster.leaderIndex()).isNotEqualTo(victim);
    Instant healed = Instant.now();
    cluster.healNode(victim);
    cluster.awaitHeartbeatAfter(victim, healed, Duration.ofMinutes(2));
    System.out.println("Test: node " + victim + " is HEALTHY again after the heal");
    testEventual(
        "Writes accepted after node " + victim + " is back",
        Duration.ofSeconds(60),
        () -> write(victim, tag + "-after"));
    testEventual("Three voting etcd members", Duration.ofSeconds(60), PartitionIT::threeVoters);
    nothingLost();
  }

  @Test
  @Order(10)
  void aCutOffFollowerTimesOutAndComesBackWithNothingLost() throws Exception {
    testEventual("Three voting etcd members", Duration.ofSeconds(60), PartitionIT::threeVoters);
    write(0, "before");
    int follower = (cluster.leaderIndex() + 1) % 3;
    partitionAndHeal(follower, "follower");
  }

  @Test
  @Order(20)
  void aCutOffLeaderIsReplacedAndRejoinsWithNothingLost() throws Exception {
    int leader = cluster.leaderIndex();
    partitionAndHeal(leader, "leader");
  }
}
