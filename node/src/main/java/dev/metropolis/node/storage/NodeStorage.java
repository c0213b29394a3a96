package dev.metropolis.node.storage;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Message;
import com.google.protobuf.Parser;
import dev.metropolis.api.common.ClusterDirectory;
import dev.metropolis.api.common.NodeRoles;
import dev.metropolis.api.configuration.NodeParameters;
import dev.metropolis.api.storage.SealedConfiguration;
import dev.metropolis.node.platform.Platform;
import dev.metropolis.osbase.pki.Pem;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.KeyPair;
import java.security.cert.X509Certificate;
import java.util.Optional;

/**
 * The node's persistent state, laid out as on a machine: ESP files (parameters, sealed
 * configuration, cluster directory) and data-partition files (credentials, last known roles, etcd).
 * Every write is atomic (write a temporary file, fsync, rename), so a crash never leaves a
 * half-written file behind.
 */
public final class NodeStorage {
  private final Platform platform;

  public NodeStorage(Platform platform) {
    this.platform = platform;
  }

  public Platform platform() {
    return platform;
  }

  // --- ESP ---------------------------------------------------------------------------------

  public Path parametersFile() {
    return platform.espDir().resolve("metropolis/parameters.pb");
  }

  public Optional<NodeParameters> parameters() throws IOException {
    return read(parametersFile(), NodeParameters.parser());
  }

  public Path sealedConfigurationFile() {
    return platform.espDir().resolve("metropolis/sealed_configuration.pb");
  }

  public Optional<SealedConfiguration> sealedConfiguration() throws IOException {
    return read(sealedConfigurationFile(), SealedConfiguration.parser());
  }

  public void writeSealedConfiguration(SealedConfiguration c) throws IOException {
    writeAtomic(sealedConfigurationFile(), c.toByteArray(), true);
  }

  public Path clusterDirectoryFile() {
    return platform.espDir().resolve("metropolis/cluster_directory.pb");
  }

  public Optional<ClusterDirectory> clusterDirectory() throws IOException {
    return read(clusterDirectoryFile(), ClusterDirectory.parser());
  }

  public void writeClusterDirectory(ClusterDirectory d) throws IOException {
    writeAtomic(clusterDirectoryFile(), d.toByteArray(), false);
  }

  // --- data partition ------------------------------------------------------------------------

  public Path credentialsDir() {
    return platform.dataDir().resolve("node/credentials");
  }

  /** The node key, created before enrolment so a retried bootstrap reuses the same identity. */
  public Path nodeKeyFile() {
    return credentialsDir().resolve("cert-key.pem");
  }

  public Optional<KeyPair> nodeKey() throws IOException {
    if (!Files.exists(nodeKeyFile())) {
      return Optional.empty();
    }
    var priv = Pem.decodePrivateKey(Files.readString(nodeKeyFile()));
    return Optional.of(new KeyPair(dev.metropolis.osbase.pki.Ed25519.publicKeyOf(priv), priv));
  }

  public void writeNodeKey(KeyPair key) throws IOException {
    writeAtomic(
        nodeKeyFile(),
        Pem.encodePrivateKey(key.getPrivate()).getBytes(StandardCharsets.US_ASCII),
        true);
  }

  /** Node credentials: the cluster CA and this node's certificate. */
  public record Credentials(X509Certificate ca, X509Certificate certificate, KeyPair key) {}

  public Optional<Credentials> credentials() throws IOException {
    Path ca = credentialsDir().resolve("ca.pem");
    Path cert = credentialsDir().resolve("cert.pem");
    Optional<KeyPair> key = nodeKey();
    if (!Files.exists(ca) || !Files.exists(cert) || key.isEmpty()) {
      return Optional.empty();
    }
    return Optional.of(
        new Credentials(
            Pem.decodeCertificate(Files.readString(ca)),
            Pem.decodeCertificate(Files.readString(cert)),
            key.get()));
  }

  public void writeCredentials(X509Certificate ca, X509Certificate cert) throws IOException {
    writeAtomic(
        credentialsDir().resolve("ca.pem"),
        Pem.encodeCertificate(ca).getBytes(StandardCharsets.US_ASCII),
        false);
    writeAtomic(
        credentialsDir().resolve("cert.pem"),
        Pem.encodeCertificate(cert).getBytes(StandardCharsets.US_ASCII),
        false);
  }

  /** Temporary state of an unfinished enrolment (e.g. the join key before it is sealed). */
  public Path enrolmentDir() {
    return platform.dataDir().resolve("node/enrolment");
  }

  public Path rolesFile() {
    return platform.dataDir().resolve("node/roles.pb");
  }

  /** Roles last seen from the cluster, so a consensus member can start etcd at cold start. */
  public Optional<NodeRoles> lastKnownRoles() throws IOException {
    return read(rolesFile(), NodeRoles.parser());
  }

  public void writeLastKnownRoles(NodeRoles roles) throws IOException {
    writeAtomic(rolesFile(), roles.toByteArray(), true);
  }

  public Path etcdDataDir() {
    return platform.dataDir().resolve("etcd/data");
  }

  // --- helpers -------------------------------------------------------------------------------

  static <T extends Message> Optional<T> read(Path p, Parser<T> parser) throws IOException {
    if (!Files.exists(p)) {
      return Optional.empty();
    }
    try {
      return Optional.of(parser.parseFrom(Files.readAllBytes(p)));
    } catch (InvalidProtocolBufferException e) {
      throw new IOException("corrupt " + p + ": " + e.getMessage(), e);
    }
  }

  /** Writes a file atomically; {@code secret} files are created readable by the owner only. */
  public static void writeAtomic(Path p, byte[] data, boolean secret) throws IOException {
    Files.createDirectories(p.getParent());
    Path tmp = p.resolveSibling(p.getFileName() + ".tmp");
    Files.deleteIfExists(tmp);
    if (secret) {
      Files.createFile(
          tmp, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
    }
    try (var ch =
        java.nio.channels.FileChannel.open(
            tmp,
            java.nio.file.StandardOpenOption.CREATE,
            java.nio.file.StandardOpenOption.WRITE,
            java.nio.file.StandardOpenOption.TRUNCATE_EXISTING)) {
      ch.write(java.nio.ByteBuffer.wrap(data));
      ch.force(true);
    }
    try {
      Files.move(tmp, p, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    } catch (AtomicMoveNotSupportedException e) {
      Files.move(tmp, p, StandardCopyOption.REPLACE_EXISTING);
    }
  }
}
