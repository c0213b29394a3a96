package dev.metropolis.rpc;

import dev.metropolis.osbase.pki.NodeId;
import java.net.Socket;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.util.Optional;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.X509ExtendedTrustManager;

/**
 * The two trust policies of the RPC layer. Both are {@link X509ExtendedTrustManager}s so that JSSE
 * uses them as they are, without adding its own hostname or path checks: node certificates name
 * node IDs, not the addresses they are dialled at, and there is no chain to build.
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
  static final class NodeServer extends X509ExtendedTrustManager {
    private final X509Certificate ca;
    private final Optional<String> nodeId;

    NodeServer(X509Certificate ca, Optional<String> nodeId) {
      this.ca = ca;
      this.nodeId = nodeId.map(NodeId::requireValid);
    }

    void verify(X509Certificate[] chain) throws CertificateException {
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
    public void checkServerTrusted(X509Certificate[] chain, String authType)
        throws CertificateException {
      verify(chain);
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket)
        throws CertificateException {
      verify(chain);
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
        throws CertificateException {
      verify(chain);
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType)
        throws CertificateException {
      throw new CertificateException("client-side trust manager cannot verify clients");
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket)
        throws CertificateException {
      throw new CertificateException("client-side trust manager cannot verify clients");
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
        throws CertificateException {
      throw new CertificateException("client-side trust manager cannot verify clients");
    }

    @Override
    public X509Certificate[] getAcceptedIssuers() {
      return NO_ISSUERS;
    }
  }
}
