package dev.metropolis.node.consensus;

import dev.metropolis.osbase.pki.Pem;
import io.etcd.jetcd.Client;
import io.grpc.netty.GrpcSslContexts;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslProvider;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;
import javax.net.ssl.SSLException;

/**
 * Running etcd as a child process: its command line, its credential files, and clients to it.
 * Private keys reach etcd only through 0600 files in the node's runtime directory, never on a
 * command line. Client and peer traffic are mutual TLS under the cluster CA.
 */
public final class Etcd {
  public static final String BINARY = "/usr/bin/etcd";

  private Etcd() {}

  /** Writes the CA, certificate and key files etcd reads; returns their paths (ca, cert, key). */
  public static List<Path> writeCredentials(EtcdConfig c) throws IOException {
    Files.createDirectories(c.runtimeDir());
    Files.setPosixFilePermissions(c.runtimeDir(), PosixFilePermissions.fromString("rwx------"));
    Path ca = c.runtimeDir().resolve("etcd-ca.pem");
    Path cert = c.runtimeDir().resolve("etcd-cert.pem");
    Path key = c.runtimeDir().resolve("etcd-key.pem");
    writePrivate(ca, Pem.encodeCertificate(c.ca()));
    writePrivate(cert, Pem.encodeCertificate(c.certificate()));
    writePrivate(key, Pem.encodePrivateKey(c.key()));
    return List.of(ca, cert, key);
  }

  /** Writes a file that only the owner can read, created with that mode (no window). */
  public static void writePrivate(Path path, String content) throws IOException {
    Files.deleteIfExists(path);
    Files.createFile(
        path, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
    Files.writeString(path, content, StandardCharsets.UTF_8, StandardOpenOption.TRUNCATE_EXISTING);
  }

  /** etcd's argv. Credentials must have been written with {@link #writeCredentials}. */
  public static List<String> command(EtcdConfig c, List<Path> credentials) {
    Path ca = credentials.get(0);
    Path cert = credentials.get(1);
    Path key = credentials.get(2);
    List<String> cmd = new ArrayList<>();
    cmd.add(BINARY);
    cmd.add("--name=" + c.name());
    cmd.add("--data-dir=" + c.dataDir());
    cmd.add("--listen-client-urls=" + c.clientUrl());
    cmd.add("--advertise-client-urls=" + c.clientUrl());
    cmd.add("--listen-metrics-urls=" + c.metricsUrl());
    cmd.add("--listen-peer-urls=" + c.peerUrl());
    cmd.add("--initial-advertise-peer-urls=" + c.peerUrl());
    cmd.add(
        "--initial-cluster="
            + c.initialCluster().entrySet().stream()
                .map(e -> e.getKey() + "=" + e.getValue())
                .sorted()
                .collect(Collectors.joining(",")));
    cmd.add("--initial-cluster-state=" + (c.newCluster() ? "new" : "existing"));
    cmd.add("--client-cert-auth");
    cmd.add("--trusted-ca-file=" + ca);
    cmd.add("--cert-file=" + cert);
    cmd.add("--key-file=" + key);
    cmd.add("--peer-client-cert-auth");
    cmd.add("--peer-trusted-ca-file=" + ca);
    cmd.add("--peer-cert-file=" + cert);
    cmd.add("--peer-key-file=" + key);
    if (isLoopback(c.peerHost())) {
      // Hosted members sharing one host's loopback: every peer connection comes from 127.0.0.1,
      // whatever address the member listens on, so etcd's check of the connecting address against
      // the client certificate's IP SANs cannot pass. Peers are still authenticated by the CA.
      cmd.add("--experimental-peer-skip-client-san-verification");
    }
    // A member cut off from the others keeps starting elections and raising its term; without
    // pre-vote (off by default in etcd 3.4), its return forces the healthy leader to step down,
    // and the curator leader with it. With pre-vote it first asks whether it could win.
    cmd.add("--pre-vote=true");
    // Keep history bounded: the curator only needs recent revisions for its watches.
    cmd.add("--auto-compaction-mode=periodic");
    cmd.add("--auto-compaction-retention=1h");
    cmd.add("--quota-backend-bytes=" + (2L << 30));
    cmd.add("--logger=zap");
    cmd.add("--log-outputs=stderr");
    return cmd;
  }

  static boolean isLoopback(String host) {
    return host.startsWith("127.") || host.equals("::1");
  }

  /**
   * A client of the local member, authenticated with the member's own credentials. The server
   * certificate is checked against the CA and the member's name (its DNS SAN).
   */
  public static Client client(EtcdConfig c) throws SSLException {
    SslContext ssl =
        GrpcSslContexts.configure(SslContextBuilder.forClient(), SslProvider.JDK)
            .keyManager(c.key(), c.certificate())
            .trustManager(c.ca())
            .build();
    return Client.builder()
        .endpoints(c.clientUrl())
        .authority(c.name())
        .sslContext(ssl)
        .connectTimeout(java.time.Duration.ofSeconds(5))
        .build();
  }
}
