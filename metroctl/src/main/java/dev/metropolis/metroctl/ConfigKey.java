package dev.metropolis.metroctl;

import dev.metropolis.api.common.ClusterConfiguration;
import dev.metropolis.api.common.ClusterConfiguration.StorageSecurityPolicy;
import dev.metropolis.api.common.ClusterConfiguration.TPMMode;
import dev.metropolis.metroctl.output.Json;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;
import java.util.stream.Collectors;

/**
 * A field of the cluster configuration as {@code cluster configure} names it: its field-mask path,
 * how its value prints and how arguments become a new value.
 *
 * <p>Every field of {@code ClusterConfiguration} is here so that {@code get} shows all of it. Which
 * ones may change after bootstrap is the cluster's decision (today only the label regexes): {@code
 * set} sends any of them and reports the cluster's refusal, instead of metroctl hard-coding a rule
 * that the server may relax.
 */
public enum ConfigKey {
  /** DNS domain of the cluster, e.g. cluster.internal (chosen at bootstrap). */
  CLUSTER_DOMAIN("cluster_domain", false) {
    @Override
    public List<String> values(ClusterConfiguration c) {
      return List.of(c.getClusterDomain());
    }

    @Override
    void set(ClusterConfiguration.Builder b, List<String> values) {
      b.setClusterDomain(single(values));
    }
  },
  /** Whether nodes must use a TPM: required, best-effort or disabled (chosen at bootstrap). */
  TPM_MODE("tpm_mode", false) {
    @Override
    public List<String> values(ClusterConfiguration c) {
      return List.of(enumValue(c.getTpmMode().name(), "TPM_MODE_"));
    }

    @Override
    void set(ClusterConfiguration.Builder b, List<String> values) {
      String v = normalise(single(values));
      b.setTpmMode(
          switch (v) {
            case "required", "require" -> TPMMode.TPM_MODE_REQUIRED;
            case "best-effort", "besteffort" -> TPMMode.TPM_MODE_BEST_EFFORT;
            case "disabled", "disable" -> TPMMode.TPM_MODE_DISABLED;
            default -> throw badValue(values.getFirst(), "required, best-effort, disabled");
          });
    }
  },
  /**
   * Which data partition protection nodes may use: needs-encryption-and-authentication,
   * needs-encryption, permissive or needs-insecure (chosen at bootstrap).
   */
  STORAGE_SECURITY_POLICY("storage_security_policy", false) {
    @Override
    public List<String> values(ClusterConfiguration c) {
      return List.of(enumValue(c.getStorageSecurityPolicy().name(), "STORAGE_SECURITY_POLICY_"));
    }

    @Override
    void set(ClusterConfiguration.Builder b, List<String> values) {
      String v = normalise(single(values));
      b.setStorageSecurityPolicy(
          switch (v) {
            case "permissive" -> StorageSecurityPolicy.STORAGE_SECURITY_POLICY_PERMISSIVE;
            case "needs-encryption" ->
                StorageSecurityPolicy.STORAGE_SECURITY_POLICY_NEEDS_ENCRYPTION;
            case "needs-encryption-and-authentication" ->
                StorageSecurityPolicy.STORAGE_SECURITY_POLICY_NEEDS_ENCRYPTION_AND_AUTHENTICATION;
            case "needs-insecure" -> StorageSecurityPolicy.STORAGE_SECURITY_POLICY_NEEDS_INSECURE;
            default ->
                throw badValue(
                    values.getFirst(),
                    "needs-encryption-and-authentication, needs-encryption, permissive,"
                        + " needs-insecure");
          });
    }
  },
  /**
   * Regular expressions: node labels whose key fully matches one are copied onto the Kubernetes
   * node. Set takes any number of them; none clears the list, as in the reference.
   */
  NODE_LABELS_TO_SYNCHRONIZE("kubernetes.node_labels_to_synchronize", true) {
    @Override
    public List<String> values(ClusterConfiguration c) {
      return c.getKubernetes().getNodeLabelsToSynchronizeList().stream()
          .map(ClusterConfiguration.Kubernetes.NodeLabelsToSynchronize::getRegexp)
          .toList();
    }

    @Override
    void set(ClusterConfiguration.Builder b, List<String> values) {
      var k = b.getKubernetesBuilder().clearNodeLabelsToSynchronize();
      for (String v : values) {
        try {
          Pattern.compile(v);
        } catch (PatternSyntaxException e) {
          throw new IllegalArgumentException(
              Json.quote(v) + " is not a valid regular expression: " + e.getDescription(), e);
        }
        k.addNodeLabelsToSynchronizeBuilder().setRegexp(v);
      }
    }
  };

  /**
   * Every key with its values, for help texts (annotations need a constant); a test keeps it
   * complete. {@code %n} is picocli's line break.
   */
  public static final String HELP =
      "Keys:%n"
          + "  cluster_domain  DNS domain of the cluster%n"
          + "  tpm_mode  required, best-effort or disabled%n"
          + "  storage_security_policy  needs-encryption-and-authentication, needs-encryption,"
          + " permissive or needs-insecure%n"
          + "  kubernetes.node_labels_to_synchronize  regular expressions: node labels whose key"
          + " fully matches one are copied onto the Kubernetes node";

  private final String path;
  private final boolean list;

  ConfigKey(String path, boolean list) {
    this.path = path;
    this.list = list;
  }

  /** The field-mask path, which is also the name operators type. */
  public String path() {
    return path;
  }

  /** Whether the value is a list (any number of values) rather than exactly one. */
  public boolean isList() {
    return list;
  }

  /** The field's value(s) in {@code c}, as operators type them. */
  public abstract List<String> values(ClusterConfiguration c);

  /** Sets the field in {@code b} from arguments; IllegalArgumentException for bad ones. */
  abstract void set(ClusterConfiguration.Builder b, List<String> values);

  /** The field's values in {@code c}, each quoted, comma-separated: {@code "a", "b"}. */
  public String show(ClusterConfiguration c) {
    return values(c).stream().map(Json::quote).collect(Collectors.joining(", "));
  }

  /**
   * {@code base} with this field set from {@code values}.
   *
   * @throws IllegalArgumentException if the values do not make a value of this field
   */
  public ClusterConfiguration with(ClusterConfiguration base, List<String> values) {
    ClusterConfiguration.Builder b = base.toBuilder();
    set(b, values);
    return b.build();
  }

  /**
   * The key named {@code name} (exact field-mask path).
   *
   * @throws IllegalArgumentException listing the known keys
   */
  public static ConfigKey parse(String name) {
    for (ConfigKey k : values()) {
      if (k.path.equals(name)) {
        return k;
      }
    }
    throw new IllegalArgumentException(
        "unknown configuration key \"" + name + "\" (keys: " + known() + ")");
  }

  /** Every key, comma-separated, for messages and help. */
  public static String known() {
    return Arrays.stream(values()).map(ConfigKey::path).collect(Collectors.joining(", "));
  }

  private static String single(List<String> values) {
    if (values.size() != 1) {
      throw new IllegalArgumentException("expected exactly one value, got " + values.size());
    }
    return values.getFirst();
  }

  /** Lower case, accepting the protobuf enum name too: TPM_MODE_BEST_EFFORT → best-effort. */
  private static String normalise(String v) {
    String s = v.strip().toLowerCase(Locale.ROOT).replace('_', '-');
    for (String prefix : List.of("tpm-mode-", "storage-security-policy-")) {
      if (s.startsWith(prefix)) {
        s = s.substring(prefix.length());
      }
    }
    return s;
  }

  /** An enum value as operators type it: TPM_MODE_BEST_EFFORT → best-effort. */
  private static String enumValue(String enumName, String prefix) {
    String n = enumName.startsWith(prefix) ? enumName.substring(prefix.length()) : enumName;
    return n.toLowerCase(Locale.ROOT).replace('_', '-');
  }

  private static IllegalArgumentException badValue(String v, String allowed) {
    return new IllegalArgumentException(
        "invalid value " + Json.quote(v) + " (values: " + allowed + ")");
  }
}
