package dev.metropolis.osbase.pki;

import java.net.Socket;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.X509ExtendedTrustManager;

/**
 * A trust manager for one side of a connection: all six JSSE entry points for that side run {@link
 * #verify}; the other side's are refused. Being an {@link X509ExtendedTrustManager}, JSSE uses it
 * as it is, without adding its own hostname or PKIX path checks: Metropolis certificates name node
 * IDs, not the addresses they are dialled at, and node certificates carry no clientAuth.
 */
public abstract class OneSidedTrustManager extends X509ExtendedTrustManager {
  private final boolean verifiesServers;

  protected OneSidedTrustManager(boolean verifiesServers) {
    this.verifiesServers = verifiesServers;
  }

  /** Throws when the peer's chain is not trusted. */
  protected abstract void verify(X509Certificate[] chain) throws CertificateException;

  private void check(boolean server, X509Certificate[] chain) throws CertificateException {
    if (server != verifiesServers) {
      throw new CertificateException(
          (verifiesServers ? "client" : "server")
              + "-side trust manager cannot verify "
              + (server ? "servers" : "clients"));
    }
    verify(chain);
  }

  @Override
  public void checkServerTrusted(X509Certificate[] chain, String authType)
      throws CertificateException {
    check(true, chain);
  }

  @Override
  public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket)
      throws CertificateException {
    check(true, chain);
  }

  @Override
  public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
      throws CertificateException {
    check(true, chain);
  }

  @Override
  public void checkClientTrusted(X509Certificate[] chain, String authType)
      throws CertificateException {
    check(false, chain);
  }

  @Override
  public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket)
      throws CertificateException {
    check(false, chain);
  }

  @Override
  public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
      throws CertificateException {
    check(false, chain);
  }
}
