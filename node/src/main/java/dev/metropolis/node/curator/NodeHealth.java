package dev.metropolis.node.curator;

import dev.metropolis.api.common.NodeState;
import dev.metropolis.api.management.Node.Health;
import java.time.Duration;
import java.util.Optional;

/**
 * Health of a node as the leader sees it, from heartbeats kept in the leader's memory only. A new
 * leader gives every node one timeout's grace before calling it timed out, because it has not had
 * the chance to hear from anyone yet.
 */
public final class NodeHealth {
  public static final Duration HEARTBEAT_INTERVAL = Duration.ofSeconds(5);
  public static final Duration HEARTBEAT_TIMEOUT = HEARTBEAT_INTERVAL.multipliedBy(2);

  private NodeHealth() {}

  /**
   * Computes a node's health from its heartbeat age.
   *
   * @param sinceHeartbeat time since the node's last heartbeat, empty if never seen by this leader
   * @param tenure how long this curator has been leader
   */
  public static Health compute(
      NodeState state, Optional<Duration> sinceHeartbeat, Duration tenure) {
    if (state != NodeState.NODE_STATE_UP) {
      return Health.HEALTH_UNKNOWN;
    }
    if (sinceHeartbeat.isEmpty()) {
      return tenure.compareTo(HEARTBEAT_TIMEOUT) < 0
          ? Health.HEALTH_UNKNOWN
          : Health.HEALTH_HEARTBEAT_TIMEOUT;
    }
    return sinceHeartbeat.get().compareTo(HEARTBEAT_TIMEOUT) > 0
        ? Health.HEALTH_HEARTBEAT_TIMEOUT
        : Health.HEALTH_HEALTHY;
  }
}
