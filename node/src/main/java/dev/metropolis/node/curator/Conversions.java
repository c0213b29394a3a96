package dev.metropolis.node.curator;

import dev.metropolis.api.common.NodeLabels;
import dev.metropolis.api.common.NodeRoles;
import dev.metropolis.api.management.Node;
import java.time.Duration;
import java.util.Comparator;

/** Conversions from the curator's stored records to API messages. */
final class Conversions {
  private Conversions() {}

  /** Roles without their payloads: presence only (payloads hold certificates). */
  static NodeRoles rolesWithoutPayloads(NodeRoles r) {
    var b = NodeRoles.newBuilder();
    if (r.hasConsensusMember()) {
      b.setConsensusMember(NodeRoles.ConsensusMember.getDefaultInstance());
    }
    if (r.hasKubernetesController()) {
      b.setKubernetesController(NodeRoles.KubernetesController.getDefaultInstance());
    }
    if (r.hasKubernetesWorker()) {
      b.setKubernetesWorker(NodeRoles.KubernetesWorker.getDefaultInstance());
    }
    return b.build();
  }

  static NodeLabels sortedLabels(NodeLabels l) {
    return NodeLabels.newBuilder()
        .addAllPairs(
            l.getPairsList().stream()
                .sorted(Comparator.comparing(NodeLabels.Pair::getKey))
                .toList())
        .build();
  }

  /** The operator's view of a node, with health as this leader sees it. */
  static Node toManagement(dev.metropolis.api.storage.Node n, CuratorLeader leader) {
    var since = leader.sinceHeartbeat(n.getId());
    // Never seen in this tenure: at least the whole tenure has passed without a heartbeat.
    Duration shown = since.orElse(leader.tenure());
    return Node.newBuilder()
        .setPubkey(n.getPublicKey())
        .setId(n.getId())
        .setState(n.getFsmState())
        .setStatus(n.getStatus())
        .setRoles(rolesWithoutPayloads(n.getRoles()))
        .setHealth(NodeHealth.compute(n.getFsmState(), since, leader.tenure()))
        .setTimeSinceHeartbeat(
            com.google.protobuf.Duration.newBuilder()
                .setSeconds(shown.getSeconds())
                .setNanos(shown.getNano()))
        .setTpmUsage(n.getTpmUsage())
        .setLabels(sortedLabels(n.getLabels()))
        .build();
  }
}
