package dev.metropolis.metroctl;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.metropolis.api.common.ClusterConfiguration;
import dev.metropolis.api.common.ClusterConfiguration.StorageSecurityPolicy;
import dev.metropolis.api.common.ClusterConfiguration.TPMMode;
import java.util.List;
import org.junit.jupiter.api.Test;

public class ConfigKeyTest {
  public static final ClusterConfiguration CONFIG =
      ClusterConfiguration.newBuilder()
          .setClusterDomain("cluster.test")
          .setTpmMode(TPMMode.TPM_MODE_BEST_EFFORT)
          .setStorageSecurityPolicy(StorageSecurityPolicy.STORAGE_SECURITY_POLICY_NEEDS_ENCRYPTION)
          .setKubernetes(
              ClusterConfiguration.Kubernetes.newBuilder()
                  .addNodeLabelsToSynchronize(
                      ClusterConfiguration.Kubernetes.NodeLabelsToSynchronize.newBuilder()
                          .setRegexp("foo"))
                  .addNodeLabelsToSynchronize(
                      ClusterConfiguration.Kubernetes.NodeLabelsToSynchronize.newBuilder()
                          .setRegexp("example\\.com/.*")))
          .build();

  @Test
  void theHelpTextListsEveryKey() {
    for (ConfigKey k : ConfigKey.values()) {
      assertThat(ConfigKey.HELP).contains("%n  " + k.path() + "  ");
    }
  }

  @Test
  void keysAreFieldMaskPathsOfTheProto() {
    for (ConfigKey k : ConfigKey.values()) {
      var d = ClusterConfiguration.getDescriptor();
      for (String part : k.path().split("\\.", -1)) {
        var f = d.findFieldByName(part);
        assertThat(f).as(k.path()).isNotNull();
        d =
            f.getJavaType() == com.google.protobuf.Descriptors.FieldDescriptor.JavaType.MESSAGE
                ? f.getMessageType()
                : null;
      }
    }
    // Every top-level field is covered (kubernetes through its only field).
    assertThat(ClusterConfiguration.getDescriptor().getFields()).hasSize(4);
  }

  @Test
  void showQuotesEachValueAsTheReferenceDoes() {
    assertThat(ConfigKey.NODE_LABELS_TO_SYNCHRONIZE.show(CONFIG))
        .isEqualTo("\"foo\", \"example\\\\.com/.*\"");
    assertThat(ConfigKey.TPM_MODE.show(CONFIG)).isEqualTo("\"best-effort\"");
    assertThat(ConfigKey.STORAGE_SECURITY_POLICY.show(CONFIG)).isEqualTo("\"needs-encryption\"");
    assertThat(ConfigKey.CLUSTER_DOMAIN.show(CONFIG)).isEqualTo("\"cluster.test\"");
    assertThat(ConfigKey.NODE_LABELS_TO_SYNCHRONIZE.show(ClusterConfiguration.getDefaultInstance()))
        .isEmpty();
  }

  @Test
  void setReplacesOneFieldOnly() {
    var next = ConfigKey.NODE_LABELS_TO_SYNCHRONIZE.with(CONFIG, List.of("a", "b"));
    assertThat(ConfigKey.NODE_LABELS_TO_SYNCHRONIZE.values(next)).containsExactly("a", "b");
    assertThat(next.getTpmMode()).isEqualTo(TPMMode.TPM_MODE_BEST_EFFORT);
    assertThat(next.getClusterDomain()).isEqualTo("cluster.test");
    // No values clears a list.
    assertThat(
            ConfigKey.NODE_LABELS_TO_SYNCHRONIZE.values(
                ConfigKey.NODE_LABELS_TO_SYNCHRONIZE.with(CONFIG, List.of())))
        .isEmpty();
  }

  @Test
  void enumValuesAcceptTheInstallSpellingsAndTheProtoNames() {
    for (var v : List.of("required", "REQUIRE", "tpm_mode_required")) {
      assertThat(ConfigKey.TPM_MODE.with(CONFIG, List.of(v)).getTpmMode())
          .as(v)
          .isEqualTo(TPMMode.TPM_MODE_REQUIRED);
    }
    assertThat(ConfigKey.TPM_MODE.with(CONFIG, List.of("besteffort")).getTpmMode())
        .isEqualTo(TPMMode.TPM_MODE_BEST_EFFORT);
    assertThat(ConfigKey.TPM_MODE.with(CONFIG, List.of("disable")).getTpmMode())
        .isEqualTo(TPMMode.TPM_MODE_DISABLED);
    assertThat(
            ConfigKey.STORAGE_SECURITY_POLICY
                .with(CONFIG, List.of("STORAGE_SECURITY_POLICY_NEEDS_INSECURE"))
                .getStorageSecurityPolicy())
        .isEqualTo(StorageSecurityPolicy.STORAGE_SECURITY_POLICY_NEEDS_INSECURE);
    assertThat(
            ConfigKey.STORAGE_SECURITY_POLICY
                .with(CONFIG, List.of("needs-encryption-and-authentication"))
                .getStorageSecurityPolicy())
        .isEqualTo(
            StorageSecurityPolicy.STORAGE_SECURITY_POLICY_NEEDS_ENCRYPTION_AND_AUTHENTICATION);
  }

  @Test
  void badValuesSayWhatIsAccepted() {
    assertThatThrownBy(() -> ConfigKey.TPM_MODE.with(CONFIG, List.of("sometimes")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("\"sometimes\"")
        .hasMessageContaining("best-effort");
    assertThatThrownBy(() -> ConfigKey.TPM_MODE.with(CONFIG, List.of("required", "disabled")))
        .hasMessageContaining("exactly one value, got 2");
    assertThatThrownBy(() -> ConfigKey.CLUSTER_DOMAIN.with(CONFIG, List.of()))
        .hasMessageContaining("exactly one value, got 0");
    assertThatThrownBy(() -> ConfigKey.NODE_LABELS_TO_SYNCHRONIZE.with(CONFIG, List.of("ok", "(")))
        .hasMessageContaining("\"(\" is not a valid regular expression");
  }

  @Test
  void unknownKeyListsTheKnownOnes() {
    assertThat(ConfigKey.parse("tpm_mode")).isEqualTo(ConfigKey.TPM_MODE);
    assertThatThrownBy(() -> ConfigKey.parse("kubernetes.labels"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("unknown configuration key \"kubernetes.labels\"")
        .hasMessageContaining("kubernetes.node_labels_to_synchronize");
  }
}
