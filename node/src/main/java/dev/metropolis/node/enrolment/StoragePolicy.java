package dev.metropolis.node.enrolment;

import dev.metropolis.api.common.ClusterConfiguration.StorageSecurityPolicy;
import dev.metropolis.api.common.ClusterConfiguration.TPMMode;
import dev.metropolis.api.common.NodeStorageSecurity;
import dev.metropolis.api.common.NodeTPMUsage;

/** The cluster's TPM and storage policies applied to one node (reference §2.8). */
public final class StoragePolicy {
  private StoragePolicy() {}

  /**
   * Decides whether the node uses its TPM.
   *
   * @throws IllegalStateException when the cluster requires a TPM and the node has none
   */
  public static NodeTPMUsage tpmUsage(TPMMode mode, boolean haveTpm) {
    return switch (mode) {
      case TPM_MODE_REQUIRED -> {
        if (!haveTpm) {
          throw new IllegalStateException(
              "the cluster requires a TPM (tpm_mode REQUIRED) but this node has none");
        }
        yield NodeTPMUsage.NODE_TPM_USAGE_PRESENT_AND_USED;
      }
      case TPM_MODE_BEST_EFFORT ->
          haveTpm
              ? NodeTPMUsage.NODE_TPM_USAGE_PRESENT_AND_USED
              : NodeTPMUsage.NODE_TPM_USAGE_NOT_PRESENT;
      case TPM_MODE_DISABLED ->
          haveTpm
              ? NodeTPMUsage.NODE_TPM_USAGE_PRESENT_BUT_UNUSED
              : NodeTPMUsage.NODE_TPM_USAGE_NOT_PRESENT;
      default -> throw new IllegalArgumentException("invalid tpm_mode " + mode);
    };
  }

  /** What the policy recommends for a node's data partition. */
  public static NodeStorageSecurity recommended(StorageSecurityPolicy p) {
    return switch (p) {
      case STORAGE_SECURITY_POLICY_PERMISSIVE,
          STORAGE_SECURITY_POLICY_NEEDS_ENCRYPTION_AND_AUTHENTICATION ->
          NodeStorageSecurity.NODE_STORAGE_SECURITY_AUTHENTICATED_ENCRYPTED;
      case STORAGE_SECURITY_POLICY_NEEDS_ENCRYPTION ->
          NodeStorageSecurity.NODE_STORAGE_SECURITY_ENCRYPTED;
      case STORAGE_SECURITY_POLICY_NEEDS_INSECURE ->
          NodeStorageSecurity.NODE_STORAGE_SECURITY_INSECURE;
      default -> throw new IllegalArgumentException("invalid storage_security_policy " + p);
    };
  }

  /** Whether a node's chosen storage security satisfies the policy. */
  public static boolean allows(StorageSecurityPolicy p, NodeStorageSecurity s) {
    return switch (p) {
      case STORAGE_SECURITY_POLICY_PERMISSIVE ->
          s != NodeStorageSecurity.NODE_STORAGE_SECURITY_INVALID;
      case STORAGE_SECURITY_POLICY_NEEDS_ENCRYPTION ->
          s == NodeStorageSecurity.NODE_STORAGE_SECURITY_ENCRYPTED
              || s == NodeStorageSecurity.NODE_STORAGE_SECURITY_AUTHENTICATED_ENCRYPTED;
      case STORAGE_SECURITY_POLICY_NEEDS_ENCRYPTION_AND_AUTHENTICATION ->
          s == NodeStorageSecurity.NODE_STORAGE_SECURITY_AUTHENTICATED_ENCRYPTED;
      case STORAGE_SECURITY_POLICY_NEEDS_INSECURE ->
          s == NodeStorageSecurity.NODE_STORAGE_SECURITY_INSECURE;
      default -> false;
    };
  }

  /**
   * The storage security this node uses. A hosted node cannot encrypt its state directory, so it
   * takes INSECURE where the policy allows it and otherwise refuses with a clear reason.
   */
  public static NodeStorageSecurity choose(StorageSecurityPolicy p, boolean canEncrypt) {
    NodeStorageSecurity rec = recommended(p);
    if (canEncrypt || rec == NodeStorageSecurity.NODE_STORAGE_SECURITY_INSECURE) {
      return rec;
    }
    if (allows(p, NodeStorageSecurity.NODE_STORAGE_SECURITY_INSECURE)) {
      return NodeStorageSecurity.NODE_STORAGE_SECURITY_INSECURE;
    }
    throw new IllegalStateException(
        "the cluster's storage policy "
            + p
            + " needs an encrypted data partition, which this platform cannot provide; use"
            + " NEEDS_INSECURE or PERMISSIVE for hosted nodes");
  }
}
