package dev.metropolis.kubernetes.apiserver;

import dev.metropolis.osbase.pki.CertificateTemplates;
import dev.metropolis.osbase.pki.Ed25519;
import dev.metropolis.osbase.pki.OneSidedTrustManager;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import javax.net.ssl.KeyManager;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManager;

/**
 * Credentials for in-process clients of one API server (controllers, scheduler), as upstream's
 * loopback client: a CA made when the server starts, trusted by that server only, whose one client
 * certificate ({@value #USER}, cluster-admin) and key exist only in this process's memory. The
 * client trusts exactly the server's own certificate, so no host name is involved.
 *
 * @param url the server's URL
 * @param keyManagers present the loopback client certificate
 * @param trustManagers accept only the server's certificate
 */
@SuppressWarnings("ArrayRecordComponent") // handed to TLS libraries, never compared
public record Loopback(String url, KeyManager[] keyManagers, TrustManager[] trustManagers) {
  public static final String USER = "system:apiserver";

  /** The CA and client credential of one server; {@link #ca} goes into the server's trust. */
  record Issuer(X509Certificate ca, X509Certificate certificate, KeyPair key) {
    static Issuer create() {
      KeyPair caKey = Ed25519.generate();
      X509Certificate ca = CertificateTemplates.clusterCa(caKey);
      KeyPair key = Ed25519.generate();
      X509Certificate cert =
          CertificateTemplates.user(ca, caKey.getPrivate(), key.getPublic(), USER);
      return new Issuer(ca, cert, key);
    }

    Loopback client(String url, X509Certificate server) {
      try {
        KeyStore ks = KeyStore.getInstance("PKCS12");
        ks.load(null, null);
        ks.setKeyEntry("loopback", key.getPrivate(), new char[0], new Certificate[] {certificate});
        KeyManagerFactory kmf =
            KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        kmf.init(ks, new char[0]);
        return new Loopback(
            url, kmf.getKeyManagers(), new TrustManager[] {new PinnedServer(server)});
      } catch (GeneralSecurityException | java.io.IOException e) {
        throw new IllegalStateException("cannot build loopback credentials", e);
      }
    }
  }

  /** A TLS 1.3 context with these credentials, for clients built on the JDK HTTP client. */
  public SSLContext sslContext() {
    try {
      SSLContext c = SSLContext.getInstance("TLSv1.3");
      c.init(keyManagers, trustManagers, null);
      return c;
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("cannot build a TLS 1.3 context", e);
    }
  }

  /** Trusts one server certificate, compared whole. */
  private static final class PinnedServer extends OneSidedTrustManager {
    private final X509Certificate server;

    PinnedServer(X509Certificate server) {
      super(true);
      this.server = server;
    }

    @Override
    protected void verify(X509Certificate[] chain) throws CertificateException {
      if (chain == null || chain.length == 0 || !chain[0].equals(server)) {
        throw new CertificateException("not the loopback API server's certificate");
      }
    }

    @Override
    public X509Certificate[] getAcceptedIssuers() {
      return new X509Certificate[0];
    }
  }
}
