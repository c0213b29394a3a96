package dev.metropolis.node.curator;

import dev.metropolis.api.common.ClusterConfiguration;
import dev.metropolis.api.common.ClusterConfiguration.StorageSecurityPolicy;
import dev.metropolis.api.common.ClusterConfiguration.TPMMode;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/** Defaults and validation rules of the cluster configuration. */
public final class ClusterConfigs {
  public static final String DEFAULT_DOMAIN = "cluster.internal";
  private static final Pattern LABEL = Pattern.compile("[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?");

  private ClusterConfigs() {}

  /**
   * The stored configuration with defaults filled in, read from a member of the cluster's etcd (the
   * curator's key; the Kubernetes controllers beside a curator read it too).
   */
  public static ClusterConfiguration read(io.etcd.jetcd.Client etcd) throws Exception {
    var kvs =
        etcd.getKVClient()
            .get(Keys.bs(Keys.CLUSTER_CONFIGURATION))
            .get(10, java.util.concurrent.TimeUnit.SECONDS)
            .getKvs();
    ClusterConfiguration c =
        kvs.isEmpty()
            ? ClusterConfiguration.getDefaultInstance()
            : ClusterConfiguration.parseFrom(kvs.getFirst().getValue().getBytes());
    return withDefaults(c);
  }

  /** The configuration with unset fields filled with their defaults. */
  public static ClusterConfiguration withDefaults(ClusterConfiguration c) {
    var b = c.toBuilder();
    if (c.getClusterDomain().isEmpty()) {
      b.setClusterDomain(DEFAULT_DOMAIN);
    }
    if (c.getTpmMode() == TPMMode.TPM_MODE_INVALID) {
      b.setTpmMode(TPMMode.TPM_MODE_REQUIRED);
    }
    if (c.getStorageSecurityPolicy() == StorageSecurityPolicy.STORAGE_SECURITY_POLICY_INVALID) {
      b.setStorageSecurityPolicy(
          StorageSecurityPolicy.STORAGE_SECURITY_POLICY_NEEDS_ENCRYPTION_AND_AUTHENTICATION);
    }
    return b.build();
  }

  /**
   * Checks a configuration (with defaults applied).
   *
   * @throws IllegalArgumentException naming the field and the rule broken
   */
  public static void validate(ClusterConfiguration c) {
    validateDomain(c.getClusterDomain());
    if (c.getTpmModeValue() < 1 || c.getTpmModeValue() > 3) {
      throw new IllegalArgumentException("cluster_domain: invalid tpm_mode " + c.getTpmModeValue());
    }
    if (c.getStorageSecurityPolicyValue() < 1 || c.getStorageSecurityPolicyValue() > 4) {
      throw new IllegalArgumentException(
          "storage_security_policy: invalid value " + c.getStorageSecurityPolicyValue());
    }
    for (var rule : c.getKubernetes().getNodeLabelsToSynchronizeList()) {
      try {
        Pattern.compile(rule.getRegexp());
      } catch (PatternSyntaxException e) {
        throw new IllegalArgumentException(
            "kubernetes.node_labels_to_synchronize: invalid regexp \""
                + rule.getRegexp()
                + "\": "
                + e.getDescription(),
            e);
      }
    }
  }

  /** Cluster domain: at most 80 characters of lowercase DNS labels, not ending in a digit. */
  public static void validateDomain(String domain) {
    if (domain.isEmpty() || domain.length() > 80) {
      throw new IllegalArgumentException(
          "cluster_domain: must be 1-80 characters, got " + domain.length());
    }
    for (String label : domain.split("\\.", -1)) {
      if (!LABEL.matcher(label).matches()) {
        throw new IllegalArgumentException(
            "cluster_domain: \""
                + domain
                + "\" is not made of lowercase DNS labels (a-z, 0-9, '-', 1-63 characters each)");
      }
    }
    if (Character.isDigit(domain.charAt(domain.length() - 1))) {
      throw new IllegalArgumentException(
          "cluster_domain: \"" + domain + "\" must not end in a number");
    }
  }
}
