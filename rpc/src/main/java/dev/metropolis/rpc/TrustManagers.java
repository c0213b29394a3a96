package dev.metropolis.rpc;

import dev.metropolis.osbase.pki.NodeId;
import dev.metropolis.osbase.pki.OneSidedTrustManager;
import java.net.Socket;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.util.Optional;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.X509ExtendedTrustManager;

/**
 * The trust policies of the RPC layer. Both are {@link X509ExtendedTrustManager}s so that JSSE uses
 * them as they are, without adding its own hostname or path checks: node certificates name node
 * IDs, not the addresses they are dialled at, and there is no chain to build.
 */
final class TrustManagers {
  private TrustManagers() {}

  private static final X509Certificate[] NO_ISSUERS = new X509Certificate[0];

  /**
   * Accepts any certificate, or none. Used by servers for client certificates (they are classified
   * later, per method, by {@link AuthorizationInterceptor}) and by insecure clients.
   */
  static final class AcceptAny extends X509ExtendedTrustManager {
    static final AcceptAny INSTANCE = new AcceptAny();

    private AcceptAny() {}

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType) {}

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType) {}

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket) {}

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket) {}

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine) {}

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine) {}

    @Override
    public X509Certificate[] getAcceptedIssuers() {
      return NO_ISSUERS;
    }
  }

  /**
   * Client-side server verification: the server must present exactly one certificate, a node
   * certificate issued by the expected CA, and, if one is expected, for the expected node ID.
   */
  static final class NodeServer extends OneSidedTrustManager {
    private final X509Certificate ca;
    private final Optional<String> nodeId;

    NodeServer(X509Certificate ca, Optional<String> nodeId) {
      super(true);
      this.ca = ca;
      this.nodeId = nodeId.map(NodeId::requireValid);
    }

    @Override
    protected void verify(X509Certificate[] chain) throws CertificateException {
      if (chain == null || chain.length != 1) {
        throw new CertificateException(
            "server must present exactly one certificate, presented "
                + (chain == null ? 0 : chain.length));
      }
      Peer.Node node =
          PeerClassifier.verifyNode(chain[0], ca)
              .orElseThrow(() ->
                  new CertificateException(
                      "server certificate "
                          + chain[0].getSubjectX500Principal()
                          + " is not a node certificate of the expected cluster CA"));
      if (nodeId.isPresent() && !nodeId.get().equals(node.nodeId())) {
        throw new CertificateException(
            "server is node " + node.nodeId() + ", expected " + nodeId.get());
      }
    }

    @Override
    public X509Certificate[] getAcceptedIssuers() {
      return NO_ISSUERS;
    }
  }

  /**
   * Server-side client verification in TLS, for endpoints without per-method policies (HTTPS):
   * exactly one certificate, a node or user certificate of the cluster CA.
   */
  static final class ClusterClients extends OneSidedTrustManager {
    private final X509Certificate ca;

    ClusterClients(X509Certificate ca) {
      super(false);
      this.ca = ca;
    }

    @Override
    protected void verify(X509Certificate[] chain) throws CertificateException {
      if (chain == null || chain.length != 1) {
        throw new CertificateException(
            "client must present exactly one certificate, presented "
                + (chain == null ? 0 : chain.length));
      }
      Peer peer = PeerClassifier.classify(chain[0], ca);
      if (!(peer instanceof Peer.Node || peer instanceof Peer.User)) {
        throw new CertificateException(
            "client certificate "
                + chain[0].getSubjectX500Principal()
                + " is not issued by the cluster CA");
      }
    }

    @Override
    public X509Certificate[] getAcceptedIssuers() {
      return new X509Certificate[] {ca};
    }
  }
}
