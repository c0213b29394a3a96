package dev.metropolis.kubernetes.apiserver.http;

import dev.metropolis.osbase.pki.Certificates;
import dev.metropolis.osbase.pki.OneSidedTrustManager;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.util.List;

/**
 * The server's check of client certificates: the leaf must be signed directly by one of the trusted
 * CAs. Unlike the JDK's PKIX manager it does not insist on clientAuth: node certificates
 * (serverAuth only) are valid client credentials here, and {@code Authenticator} decides what each
 * kind of certificate stands for.
 */
final class ClientTrust extends OneSidedTrustManager {
  private final List<X509Certificate> cas;

  ClientTrust(List<X509Certificate> cas) {
    super(false);
    this.cas = List.copyOf(cas);
  }

  @Override
  protected void verify(X509Certificate[] chain) throws CertificateException {
    if (chain == null || chain.length == 0) {
      throw new CertificateException("no client certificate");
    }
    // no date check, as everywhere in the cluster's PKI: certificates never expire and a node may
    // run with a wrong clock
    X509Certificate leaf = chain[0];
    for (X509Certificate ca : cas) {
      if (Certificates.isSignedBy(leaf, ca)) {
        return;
      }
    }
    throw new CertificateException(
        "client certificate " + leaf.getSubjectX500Principal() + " is not issued by a trusted CA");
  }

  @Override
  public X509Certificate[] getAcceptedIssuers() {
    return cas.toArray(new X509Certificate[0]);
  }
}
