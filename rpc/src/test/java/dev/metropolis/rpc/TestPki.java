package dev.metropolis.rpc;

import dev.metropolis.osbase.pki.CertificateTemplates;
import dev.metropolis.osbase.pki.Ed25519;
import dev.metropolis.osbase.pki.NodeId;
import java.security.KeyPair;
import java.security.cert.X509Certificate;

/** A cluster's worth of credentials, plus a foreign cluster's, for the rpc tests. */
final class TestPki {
  final KeyPair caKey = Ed25519.generate();
  final X509Certificate ca = CertificateTemplates.clusterCa(caKey);

  /** The node that serves. */
  final KeyPair serverKey = Ed25519.generate();

  final X509Certificate serverCert = node(serverKey);
  final String serverNodeId = NodeId.of(serverKey.getPublic());

  /** Another node of the same cluster, calling as a client. */
  final KeyPair nodeKey = Ed25519.generate();

  final X509Certificate nodeCert = node(nodeKey);

  final KeyPair ownerKey = Ed25519.generate();
  final X509Certificate ownerCert =
      CertificateTemplates.user(ca, caKey.getPrivate(), ownerKey.getPublic(), "owner");

  /** A different cluster whose CA has the same name. */
  final KeyPair foreignCaKey = Ed25519.generate();

  final X509Certificate foreignCa = CertificateTemplates.clusterCa(foreignCaKey);
  final KeyPair foreignKey = Ed25519.generate();
  final X509Certificate foreignOwnerCert =
      CertificateTemplates.user(
          foreignCa, foreignCaKey.getPrivate(), foreignKey.getPublic(), "owner");
  final X509Certificate foreignNodeCert =
      CertificateTemplates.node(foreignCa, foreignCaKey.getPrivate(), foreignKey.getPublic());

  /** A key that only ever proves itself with a self-signed certificate. */
  final KeyPair ephemeralKey = Ed25519.generate();

  X509Certificate node(KeyPair key) {
    return CertificateTemplates.node(ca, caKey.getPrivate(), key.getPublic());
  }
}
