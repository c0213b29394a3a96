package dev.metropolis.node.platform;

import java.nio.file.Path;

/**
 * The few things that differ between running as the OS of a machine and running hosted as a process
 * on a development machine. Everything above this seam (enrolment, roles, curator, consensus) is
 * the same code in both modes.
 */
public interface Platform {
  /** Stands in for the EFI system partition: parameters, sealed configuration, directory. */
  Path espDir();

  /** The (encrypted, in machine mode) data partition: credentials, roles, etcd data. */
  Path dataDir();

  /** Volatile state, empty at every boot: sockets, credential files for child processes. */
  Path ephemeralDir();

  /** Where a helper binary (etcd, ...) is. */
  Path helper(String name);

  /** Whether a TPM is available to seal secrets and attest the node. */
  boolean hasTpm();

  /** 16 bytes that change at every boot: a changed value tells the cluster the node rebooted. */
  byte[] bootId();

  /** A short name for logs: "hosted" or "machine". */
  String name();
}
