package dev.metropolis.rpc;

import dev.metropolis.osbase.pki.Certificates;
import dev.metropolis.osbase.pki.NodeId;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.Optional;

/**
 * Tells nodes, users and everyone else apart by the certificate they present, relative to one
 * cluster CA.
 *
 * <ul>
 *   <li>The peer must present exactly one certificate, for an Ed25519 key.
 *   <li>Issued by the CA, EKU serverAuth only, CN = only DNS SAN = node ID of its key: {@link
 *       Peer.Node}.
 *   <li>Issued by the CA, EKU clientAuth only, non-empty CN: {@link Peer.User}.
 *   <li>Otherwise {@link Peer.Unauthenticated}, carrying the key only if the certificate is validly
 *       self-signed (proof of possession for register/join/escrow).
 * </ul>
 *
 * <p>The EKU alone separates nodes from users; node certificates are still used as client
 * certificates between nodes.
 */
public final class PeerClassifier {
  private PeerClassifier() {}

  /**
   * Classifies the certificates a TLS peer presented.
   *
   * @param presented the peer's certificate chain as TLS reports it, or null/empty if it sent none
   * @param ca the cluster CA
   */
  public static Peer classify(Certificate[] presented, X509Certificate ca) {
    if (presented == null || presented.length != 1) {
      return Peer.Unauthenticated.ANONYMOUS;
    }
    return classify(presented[0], ca);
  }

  /** Classifies a single presented certificate. */
  public static Peer classify(Certificate presented, X509Certificate ca) {
    if (!(presented instanceof X509Certificate cert) || !Certificates.isEd25519(cert)) {
      return Peer.Unauthenticated.ANONYMOUS;
    }
    Optional<Peer.Node> node = verifyNode(cert, ca);
    if (node.isPresent()) {
      return node.get();
    }
    Optional<Peer.User> user = verifyUser(cert, ca);
    if (user.isPresent()) {
      return user.get();
    }
    if (Certificates.isSelfSigned(cert)) {
      return new Peer.Unauthenticated(Optional.of(Certificates.ed25519PublicKey(cert)));
    }
    return Peer.Unauthenticated.ANONYMOUS;
  }

  /**
   * Checks that {@code cert} is a node certificate of the cluster: Ed25519, issued by {@code ca},
   * EKU serverAuth only, CN and the only DNS SAN both equal to the node ID of its key.
   */
  public static Optional<Peer.Node> verifyNode(X509Certificate cert, X509Certificate ca) {
    if (!Certificates.isEd25519(cert)) {
      return Optional.empty();
    }
    byte[] key = Certificates.ed25519PublicKey(cert);
    String id = NodeId.of(key);
    if (!Certificates.hasOnlyExtendedKeyUsage(cert, Certificates.EKU_SERVER_AUTH)
        || !Certificates.commonName(cert).equals(Optional.of(id))
        || !Certificates.dnsNames(cert).equals(List.of(id))
        || !Certificates.isSignedBy(cert, ca)) {
      return Optional.empty();
    }
    return Optional.of(new Peer.Node(id, key));
  }

  /**
   * Checks that {@code cert} is a user certificate of the cluster: Ed25519, issued by {@code ca},
   * EKU clientAuth only, non-empty CN (the identity).
   */
  public static Optional<Peer.User> verifyUser(X509Certificate cert, X509Certificate ca) {
    if (!Certificates.isEd25519(cert)
        || !Certificates.hasOnlyExtendedKeyUsage(cert, Certificates.EKU_CLIENT_AUTH)) {
      return Optional.empty();
    }
    Optional<String> cn = Certificates.commonName(cert).filter(s -> !s.isEmpty());
    if (cn.isEmpty() || !Certificates.isSignedBy(cert, ca)) {
      return Optional.empty();
    }
    return Optional.of(new Peer.User(cn.get()));
  }
}
