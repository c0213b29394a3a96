package dev.metropolis.node.curator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.Duration;
import dev.metropolis.api.common.NodeRoles;
import dev.metropolis.api.common.NodeState;
import dev.metropolis.api.common.NodeStatus;
import dev.metropolis.api.management.Node;
import org.junit.jupiter.api.Test;

class NodeFilterTest {
  private static final Node UP_WORKER =
      Node.newBuilder()
          .setId("metropolis-00112233445566778899aabbccddeeff")
          .setState(NodeState.NODE_STATE_UP)
          .setHealth(Node.Health.HEALTH_HEALTHY)
          .setStatus(NodeStatus.newBuilder().setExternalAddress("10.1.0.3"))
          .setRoles(
              NodeRoles.newBuilder()
                  .setKubernetesWorker(NodeRoles.KubernetesWorker.getDefaultInstance()))
          .setTimeSinceHeartbeat(Duration.newBuilder().setSeconds(3))
          .build();
  private static final Node NEW_NODE =
      Node.newBuilder()
          .setId("metropolis-ffeeddccbbaa99887766554433221100")
          .setState(NodeState.NODE_STATE_NEW)
          .build();

  @Test
  void matchesTheReferenceExamples() throws Exception {
    assertThat(NodeFilter.compile("node.state == NODE_STATE_UP").matches(UP_WORKER)).isTrue();
    assertThat(NodeFilter.compile("node.state == NODE_STATE_UP").matches(NEW_NODE)).isFalse();
    assertThat(NodeFilter.compile("has(node.roles.kubernetes_worker)").matches(UP_WORKER)).isTrue();
    assertThat(NodeFilter.compile("has(node.roles.kubernetes_worker)").matches(NEW_NODE)).isFalse();
    assertThat(NodeFilter.compile("node.time_since_heartbeat < duration('6s')").matches(UP_WORKER))
        .isTrue();
    assertThat(
            NodeFilter.compile("node.status.external_address == \"10.1.0.3\"").matches(UP_WORKER))
        .isTrue();
    assertThat(NodeFilter.compile("node.health == HEALTH_HEALTHY").matches(UP_WORKER)).isTrue();
    assertThat(NodeFilter.compile("node.id == \"" + NEW_NODE.getId() + "\"").matches(NEW_NODE))
        .isTrue();
  }

  @Test
  void rejectsSyntaxErrors() {
    assertThatThrownBy(() -> NodeFilter.compile("node.state =="))
        .isInstanceOf(NodeFilter.InvalidFilterException.class)
        .hasMessageStartingWith("invalid filter:");
  }

  @Test
  void rejectsUnknownFieldsAndVariables() {
    assertThatThrownBy(() -> NodeFilter.compile("node.no_such_field == 1"))
        .isInstanceOf(NodeFilter.InvalidFilterException.class);
    assertThatThrownBy(() -> NodeFilter.compile("nodes.state == 1"))
        .isInstanceOf(NodeFilter.InvalidFilterException.class);
  }

  @Test
  void rejectsNonBooleanFilters() {
    assertThatThrownBy(() -> NodeFilter.compile("node.id"))
        .isInstanceOf(NodeFilter.InvalidFilterException.class)
        .hasMessageContaining("invalid filter");
  }
}
