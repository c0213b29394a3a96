package dev.metropolis.kubernetes.apiserver.auth;

import dev.metropolis.osbase.pki.Certificates;
import dev.metropolis.osbase.pki.NodeId;
import java.security.cert.Certificate;
import java.security.cert.CertificateParsingException;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import javax.naming.InvalidNameException;
import javax.naming.ldap.LdapName;
import javax.naming.ldap.Rdn;
import javax.net.ssl.SSLPeerUnverifiedException;
import javax.net.ssl.SSLSession;

/**
 * Authenticates a TLS session by its client certificate, which must be signed directly by the
 * cluster CA or by the server's own loopback CA:
 *
 * <ul>
 *   <li>a cluster user certificate (clientAuth): user = subject CN, groups = its O values
 *       (upstream's convention; the owner is {@code owner});
 *   <li>a cluster node certificate (serverAuth, CN = DNS SAN = the ID of its key): user {@code
 *       system:node:<id>} in {@code system:nodes}, as a kubelet's credential would be;
 *   <li>a loopback certificate (in-process clients of this server, e.g. the controllers): user =
 *       subject CN in {@code system:masters}. Its key never leaves the process.
 * </ul>
 */
public final class Authenticator {
  private final X509Certificate ca;
  private final X509Certificate loopbackCa;

  public Authenticator(X509Certificate ca, X509Certificate loopbackCa) {
    this.ca = ca;
    this.loopbackCa = loopbackCa;
  }

  /** The user of {@code session}, or empty for an anonymous (certificate-less) caller. */
  public Optional<User> authenticate(SSLSession session) {
    Certificate[] chain;
    try {
      chain = session.getPeerCertificates();
    } catch (SSLPeerUnverifiedException e) {
      return Optional.empty();
    }
    if (chain.length == 0 || !(chain[0] instanceof X509Certificate leaf)) {
      return Optional.empty();
    }
    Optional<String> cn = Certificates.commonName(leaf);
    if (cn.isEmpty() || cn.get().isEmpty()) {
      return Optional.empty();
    }
    if (Certificates.isSignedBy(leaf, loopbackCa)) {
      return Optional.of(new User(cn.get(), List.of(Authorizer.MASTERS)));
    }
    if (!Certificates.isSignedBy(leaf, ca)) {
      return Optional.empty();
    }
    if (hasClientAuth(leaf)) {
      return Optional.of(new User(cn.get(), organizations(leaf)));
    }
    if (isNode(leaf, cn.get())) {
      return Optional.of(new User(Authorizer.NODE_PREFIX + cn.get(), List.of(Authorizer.NODES)));
    }
    return Optional.empty();
  }

  /** A node certificate names exactly the ID derived from its own key (CN and DNS SAN). */
  private static boolean isNode(X509Certificate cert, String cn) {
    return Certificates.hasOnlyExtendedKeyUsage(cert, Certificates.EKU_SERVER_AUTH)
        && Certificates.isEd25519(cert)
        && NodeId.of(cert.getPublicKey()).equals(cn)
        && Certificates.dnsNames(cert).equals(List.of(cn));
  }

  private static boolean hasClientAuth(X509Certificate cert) {
    try {
      List<String> eku = cert.getExtendedKeyUsage();
      return eku != null && eku.contains(Certificates.EKU_CLIENT_AUTH);
    } catch (CertificateParsingException e) {
      return false;
    }
  }

  private static List<String> organizations(X509Certificate cert) {
    List<String> out = new ArrayList<>();
    try {
      for (Rdn rdn : new LdapName(cert.getSubjectX500Principal().getName()).getRdns()) {
        if (rdn.getType().equalsIgnoreCase("O")) {
          out.add(rdn.getValue().toString());
        }
      }
    } catch (InvalidNameException e) {
      return List.of();
    }
    return out;
  }
}
