package dev.metropolis.metroctl;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.metropolis.api.management.UpdateNodeRolesRequest;
import org.junit.jupiter.api.Test;

class RoleTest {
  @Test
  void fullNamesAndAliasesInAnyCase() {
    assertThat(Role.parse("ConsensusMember")).isEqualTo(Role.CONSENSUS_MEMBER);
    assertThat(Role.parse("consensusmember")).isEqualTo(Role.CONSENSUS_MEMBER);
    assertThat(Role.parse("CM")).isEqualTo(Role.CONSENSUS_MEMBER);
    assertThat(Role.parse("KubernetesController")).isEqualTo(Role.KUBERNETES_CONTROLLER);
    assertThat(Role.parse("kc")).isEqualTo(Role.KUBERNETES_CONTROLLER);
    assertThat(Role.parse("KUBERNETESWORKER")).isEqualTo(Role.KUBERNETES_WORKER);
    assertThat(Role.parse("Kw")).isEqualTo(Role.KUBERNETES_WORKER);
  }

  @Test
  void unknownRoleNamesTheChoices() {
    assertThatThrownBy(() -> Role.parse("worker"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("\"worker\"")
        .hasMessageContaining("KubernetesWorker (kw)");
    assertThatThrownBy(() -> Role.parse("")).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void setsOnlyItsOwnField() {
    var grant = Role.KUBERNETES_WORKER.set(UpdateNodeRolesRequest.newBuilder(), true).build();
    assertThat(grant.hasKubernetesWorker()).isTrue();
    assertThat(grant.getKubernetesWorker()).isTrue();
    assertThat(grant.hasConsensusMember()).isFalse();
    assertThat(grant.hasKubernetesController()).isFalse();

    var revoke = Role.CONSENSUS_MEMBER.set(UpdateNodeRolesRequest.newBuilder(), false).build();
    assertThat(revoke.hasConsensusMember()).isTrue();
    assertThat(revoke.getConsensusMember()).isFalse();
    assertThat(revoke.hasKubernetesWorker()).isFalse();
  }
}
