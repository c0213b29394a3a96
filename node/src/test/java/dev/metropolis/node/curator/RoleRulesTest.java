package dev.metropolis.node.curator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.metropolis.api.common.NodeRoles;
import dev.metropolis.api.management.UpdateNodeRolesRequest;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class RoleRulesTest {
  private static final NodeRoles.ConsensusMember PAYLOAD =
      NodeRoles.ConsensusMember.newBuilder()
          .addPeers(NodeRoles.ConsensusMember.Peer.newBuilder().setName("x").setUrl("https://x"))
          .build();
  private static final NodeRoles CONTROL_PLANE =
      NodeRoles.newBuilder()
          .setConsensusMember(PAYLOAD)
          .setKubernetesController(NodeRoles.KubernetesController.getDefaultInstance())
          .build();

  @Test
  void unsetFieldsLeaveRolesUnchanged() {
    var w =
        RoleRules.wanted(
            CONTROL_PLANE, UpdateNodeRolesRequest.newBuilder().setKubernetesWorker(true).build());
    assertThat(w).isEqualTo(new RoleRules.Wanted(true, true, true));
    var roles = RoleRules.apply(CONTROL_PLANE, w, Optional.empty());
    assertThat(roles.getConsensusMember()).isEqualTo(PAYLOAD);
    assertThat(roles.hasKubernetesWorker()).isTrue();
  }

  @Test
  void controllerNeedsConsensusMember() {
    var none = NodeRoles.getDefaultInstance();
    var w =
        RoleRules.wanted(
            none, UpdateNodeRolesRequest.newBuilder().setKubernetesController(true).build());
    assertThat(RoleRules.problem(none, w))
        .hasValueSatisfying(
            p -> assertThat(p).startsWith("kubernetes_controller: requires consensus_member"));
  }

  @Test
  void consensusMemberCannotGoWhileControllerStays() {
    var w =
        RoleRules.wanted(
            CONTROL_PLANE, UpdateNodeRolesRequest.newBuilder().setConsensusMember(false).build());
    assertThat(RoleRules.problem(CONTROL_PLANE, w))
        .hasValueSatisfying(
            p -> assertThat(p).startsWith("consensus_member: cannot be removed while"));
    var both =
        RoleRules.wanted(
            CONTROL_PLANE,
            UpdateNodeRolesRequest.newBuilder()
                .setConsensusMember(false)
                .setKubernetesController(false)
                .build());
    assertThat(RoleRules.problem(CONTROL_PLANE, both)).isEmpty();
    assertThat(RoleRules.apply(CONTROL_PLANE, both, Optional.empty()))
        .isEqualTo(NodeRoles.getDefaultInstance());
  }

  @Test
  void grantingConsensusMemberTakesTheNewPayload() {
    var none = NodeRoles.getDefaultInstance();
    var w =
        RoleRules.wanted(
            none, UpdateNodeRolesRequest.newBuilder().setConsensusMember(true).build());
    assertThat(RoleRules.apply(none, w, Optional.of(PAYLOAD)).getConsensusMember())
        .isEqualTo(PAYLOAD);
    assertThatThrownBy(() -> RoleRules.apply(none, w, Optional.empty()))
        .isInstanceOf(IllegalStateException.class);
  }
}
