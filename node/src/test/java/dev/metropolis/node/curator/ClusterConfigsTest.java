package dev.metropolis.node.curator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.metropolis.api.common.ClusterConfiguration;
import org.junit.jupiter.api.Test;

class ClusterConfigsTest {
  @Test
  void defaults() {
    var c = ClusterConfigs.withDefaults(ClusterConfiguration.getDefaultInstance());
    assertThat(c.getClusterDomain()).isEqualTo("cluster.internal");
    assertThat(c.getTpmMode()).isEqualTo(ClusterConfiguration.TPMMode.TPM_MODE_REQUIRED);
    assertThat(c.getStorageSecurityPolicy())
        .isEqualTo(
            ClusterConfiguration.StorageSecurityPolicy
                .STORAGE_SECURITY_POLICY_NEEDS_ENCRYPTION_AND_AUTHENTICATION);
    assertThatCode(() -> ClusterConfigs.validate(c)).doesNotThrowAnyException();
  }

  @Test
  void domainRules() {
    assertThatCode(() -> ClusterConfigs.validateDomain("cluster.test")).doesNotThrowAnyException();
    assertThatCode(() -> ClusterConfigs.validateDomain("a-b.example.com"))
        .doesNotThrowAnyException();
    assertThatThrownBy(() -> ClusterConfigs.validateDomain("Cluster.Test"))
        .hasMessageContaining("cluster_domain");
    assertThatThrownBy(() -> ClusterConfigs.validateDomain("cluster.internal1"))
        .hasMessageContaining("must not end in a number");
    assertThatThrownBy(() -> ClusterConfigs.validateDomain("a..b"))
        .hasMessageContaining("DNS labels");
    assertThatThrownBy(() -> ClusterConfigs.validateDomain("x".repeat(81)))
        .hasMessageContaining("1-80");
    assertThatThrownBy(() -> ClusterConfigs.validateDomain("-a.b"))
        .hasMessageContaining("DNS labels");
  }

  @Test
  void labelSyncRulesMustBeRegexps() {
    var c =
        ClusterConfigs.withDefaults(ClusterConfiguration.getDefaultInstance()).toBuilder()
            .setKubernetes(
                ClusterConfiguration.Kubernetes.newBuilder()
                    .addNodeLabelsToSynchronize(
                        ClusterConfiguration.Kubernetes.NodeLabelsToSynchronize.newBuilder()
                            .setRegexp("(")))
            .build();
    assertThatThrownBy(() -> ClusterConfigs.validate(c))
        .hasMessageContaining("node_labels_to_synchronize");
  }
}
