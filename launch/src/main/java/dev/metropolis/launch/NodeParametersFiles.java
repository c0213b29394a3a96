package dev.metropolis.launch;

import com.google.protobuf.ByteString;
import dev.metropolis.api.common.ClusterConfiguration;
import dev.metropolis.api.common.NodeLabels;
import dev.metropolis.api.configuration.NodeParameters;
import dev.metropolis.osbase.pki.Ed25519;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.PublicKey;

/** Writes node parameters where a hosted node looks for them (its ESP). */
public final class NodeParametersFiles {
  private NodeParametersFiles() {}

  public static Path file(Path stateDir) {
    return stateDir.resolve("esp/metropolis/parameters.pb");
  }

  public static void write(Path stateDir, NodeParameters params) throws IOException {
    Path f = file(stateDir);
    Files.createDirectories(f.getParent());
    // Atomically: a node may already be running and waiting for the file.
    Path tmp = f.resolveSibling(f.getFileName() + ".tmp");
    Files.write(tmp, params.toByteArray());
    Files.move(
        tmp,
        f,
        java.nio.file.StandardCopyOption.ATOMIC_MOVE,
        java.nio.file.StandardCopyOption.REPLACE_EXISTING);
  }

  public static NodeParameters bootstrap(
      PublicKey owner, ClusterConfiguration config, NodeLabels labels) {
    return NodeParameters.newBuilder()
        .setClusterBootstrap(
            NodeParameters.ClusterBootstrap.newBuilder()
                .setOwnerPublicKey(ByteString.copyFrom(Ed25519.rawPublicKey(owner)))
                .setInitialClusterConfiguration(config)
                .setLabels(labels))
        .build();
  }

  /** Parameters of a node registering with an existing cluster (ticket, directory and CA). */
  public static NodeParameters register(
      ByteString ticket,
      dev.metropolis.api.common.ClusterDirectory directory,
      ByteString caCertificate,
      NodeLabels labels) {
    return NodeParameters.newBuilder()
        .setClusterRegister(
            NodeParameters.ClusterRegister.newBuilder()
                .setRegisterTicket(ticket)
                .setClusterDirectory(directory)
                .setCaCertificate(caCertificate)
                .setLabels(labels))
        .build();
  }

  /** The configuration test clusters use: no TPM, insecure storage (hosted nodes have neither). */
  public static ClusterConfiguration testConfiguration(String domain) {
    return ClusterConfiguration.newBuilder()
        .setClusterDomain(domain)
        .setTpmMode(ClusterConfiguration.TPMMode.TPM_MODE_DISABLED)
        .setStorageSecurityPolicy(
            ClusterConfiguration.StorageSecurityPolicy.STORAGE_SECURITY_POLICY_NEEDS_INSECURE)
        .build();
  }
}
