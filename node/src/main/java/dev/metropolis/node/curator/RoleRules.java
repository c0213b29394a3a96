package dev.metropolis.node.curator;

import dev.metropolis.api.common.NodeRoles;
import dev.metropolis.api.management.UpdateNodeRolesRequest;
import java.util.Optional;

/**
 * Which roles a node ends up with after an UpdateNodeRoles request, and whether that is allowed.
 * Pure: the membership side effects (etcd member add/remove) are decided from its result.
 */
final class RoleRules {
  private RoleRules() {}

  /** Role presence, without payloads. */
  record Wanted(boolean consensusMember, boolean kubernetesController, boolean kubernetesWorker) {
    static Wanted of(NodeRoles r) {
      return new Wanted(
          r.hasConsensusMember(), r.hasKubernetesController(), r.hasKubernetesWorker());
    }
  }

  /** Unset request fields leave the role as it is. */
  static Wanted wanted(NodeRoles current, UpdateNodeRolesRequest req) {
    Wanted now = Wanted.of(current);
    return new Wanted(
        req.hasConsensusMember() ? req.getConsensusMember() : now.consensusMember(),
        req.hasKubernetesController() ? req.getKubernetesController() : now.kubernetesController(),
        req.hasKubernetesWorker() ? req.getKubernetesWorker() : now.kubernetesWorker());
  }

  /**
   * Why the change from {@code current} to {@code want} breaks a role dependency, naming the rule;
   * empty when it does not.
   */
  static Optional<String> problem(NodeRoles current, Wanted want) {
    if (want.kubernetesController() && !want.consensusMember()) {
      if (current.hasConsensusMember() && current.hasKubernetesController()) {
        return Optional.of(
            "consensus_member: cannot be removed while the node has kubernetes_controller"
                + " (KubernetesController requires ConsensusMember); remove"
                + " kubernetes_controller first");
      }
      return Optional.of(
          "kubernetes_controller: requires consensus_member (KubernetesController runs against"
              + " the local etcd member)");
    }
    return Optional.empty();
  }

  /**
   * The roles to store: presence as wanted, the ConsensusMember payload kept when the role stays
   * and {@code newConsensus} when it is granted now.
   */
  static NodeRoles apply(
      NodeRoles current, Wanted want, Optional<NodeRoles.ConsensusMember> newConsensus) {
    var b = NodeRoles.newBuilder();
    if (want.consensusMember()) {
      b.setConsensusMember(
          current.hasConsensusMember()
              ? current.getConsensusMember()
              : newConsensus.orElseThrow(
                  () -> new IllegalStateException("granting ConsensusMember needs its payload")));
    }
    if (want.kubernetesController()) {
      b.setKubernetesController(NodeRoles.KubernetesController.getDefaultInstance());
    }
    if (want.kubernetesWorker()) {
      b.setKubernetesWorker(NodeRoles.KubernetesWorker.getDefaultInstance());
    }
    return b.build();
  }
}
