package dev.metropolis.kubernetes.apiserver.auth;

import dev.metropolis.osbase.pki.Certificates;
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
 * Authenticates a TLS session by its client certificate. TLS already checked the chain against the
 * cluster CA; here the leaf must be signed by that CA directly and carry clientAuth, and its
 * subject CN is the user name and its O values the groups (upstream's convention).
 */
public final class Authenticator {
  private final X509Certificate ca;

  public Authenticator(X509Certificate ca) {
    this.ca = ca;
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
    if (!Certificates.isSignedBy(leaf, ca) || !hasClientAuth(leaf)) {
      return Optional.empty();
    }
    Optional<String> cn = Certificates.commonName(leaf);
    if (cn.isEmpty() || cn.get().isEmpty()) {
      return Optional.empty();
    }
    return Optional.of(new User(cn.get(), organizations(leaf)));
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
