package dev.metropolis.node.curator;

import static dev.metropolis.node.curator.NodeHealth.compute;
import static org.assertj.core.api.Assertions.assertThat;

import dev.metropolis.api.common.NodeState;
import dev.metropolis.api.management.Node.Health;
import java.time.Duration;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class NodeHealthTest {
  private static final NodeState UP = NodeState.NODE_STATE_UP;

  @Test
  void nodesNotUpHaveUnknownHealth() {
    assertThat(compute(NodeState.NODE_STATE_NEW, Optional.of(Duration.ZERO), Duration.ofHours(1)))
        .isEqualTo(Health.HEALTH_UNKNOWN);
    assertThat(compute(NodeState.NODE_STATE_STANDBY, Optional.empty(), Duration.ofHours(1)))
        .isEqualTo(Health.HEALTH_UNKNOWN);
  }

  @Test
  void recentHeartbeatIsHealthyUpToTheTimeout() {
    assertThat(compute(UP, Optional.of(Duration.ofSeconds(1)), Duration.ofHours(1)))
        .isEqualTo(Health.HEALTH_HEALTHY);
    assertThat(compute(UP, Optional.of(Duration.ofSeconds(10)), Duration.ofHours(1)))
        .isEqualTo(Health.HEALTH_HEALTHY);
    assertThat(compute(UP, Optional.of(Duration.ofMillis(10_001)), Duration.ofHours(1)))
        .isEqualTo(Health.HEALTH_HEARTBEAT_TIMEOUT);
  }

  @Test
  void aNewLeaderGivesUnseenNodesOneTimeoutOfGrace() {
    assertThat(compute(UP, Optional.empty(), Duration.ofSeconds(9)))
        .isEqualTo(Health.HEALTH_UNKNOWN);
    assertThat(compute(UP, Optional.empty(), Duration.ofSeconds(10)))
        .isEqualTo(Health.HEALTH_HEARTBEAT_TIMEOUT);
  }
}
