package dev.metropolis.rpc;

import java.security.GeneralSecurityException;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.util.Optional;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManager;

/**
 * Plain JDK {@link SSLContext}s with the same rules as the gRPC channels, for the node's HTTPS
 * endpoints (metrics) and their clients. The server side, unlike gRPC's, verifies in TLS: there is
 * no per-method policy, so a client without a cluster certificate never gets past the handshake.
 */
public final class JdkTls {
  private JdkTls() {}

  /**
   * Makes this JVM's TLS key exchange X25519 only (unless {@code jdk.tls.namedGroups} is set
   * already). By default a JDK client sends two key shares, X25519 and P-256, and so computes a
   * P-256 key (and, once per JVM, its large precomputed table) that no peer of ours uses: every
   * peer verifies Ed25519 certificates, and every TLS stack that does also does X25519. Measured on
   * a launch: about 0.6 s less CPU over the five JVMs (docs/benchmarks.md). Call it first in main,
   * before any TLS class reads the property.
   */
  public static void offerX25519Only() {
    if (System.getProperty(NAMED_GROUPS) == null) {
      System.setProperty(NAMED_GROUPS, "x25519");
    }
  }

  private static final String NAMED_GROUPS = "jdk.tls.namedGroups";

  /**
   * A TLS 1.3 server context presenting {@code cert} that accepts only clients presenting exactly
   * one certificate of the cluster {@code ca} (node or user). Use it with client authentication
   * required ({@code SSLParameters.setNeedClientAuth(true)}).
   */
  public static SSLContext server(X509Certificate ca, X509Certificate cert, PrivateKey key) {
    return context(new FixedKeyManager(key, cert), new TrustManagers.ClusterClients(ca));
  }

  /**
   * A TLS 1.3 client context presenting {@code cert} that accepts only the node {@code nodeId} of
   * the cluster {@code ca}.
   */
  public static SSLContext client(
      X509Certificate ca, String nodeId, X509Certificate cert, PrivateKey key) {
    return context(
        new FixedKeyManager(key, cert), new TrustManagers.NodeServer(ca, Optional.of(nodeId)));
  }

  private static SSLContext context(FixedKeyManager keys, TrustManager trust) {
    try {
      SSLContext c = SSLContext.getInstance("TLSv1.3");
      c.init(new FixedKeyManager[] {keys}, new TrustManager[] {trust}, null);
      return c;
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("cannot build a TLS 1.3 context", e);
    }
  }
}
