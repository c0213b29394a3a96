package dev.metropolis.rpc;

import static org.assertj.core.api.Assertions.assertThat;

import dev.metropolis.osbase.pki.CertificateTemplates;
import dev.metropolis.osbase.pki.Ed25519;
import dev.metropolis.osbase.pki.NodeId;
import java.math.BigInteger;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.Date;
import java.util.List;
import java.util.Optional;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x500.X500NameBuilder;
import org.bouncycastle.asn1.x500.style.BCStyle;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.junit.jupiter.api.Test;

/** Classification of presented certificates, including the odd shapes TLS tests do not reach. */
class PeerClassifierTest {
  private final TestPki pki = new TestPki();

  @Test
  void nodeUserAndSelfSigned() {
    Peer node = classify(pki.nodeCert);
    assertThat(node)
        .isEqualTo(
            new Peer.Node(
                NodeId.of(pki.nodeKey.getPublic()), Ed25519.rawPublicKey(pki.nodeKey.getPublic())));
    assertThat(classify(pki.ownerCert)).isEqualTo(new Peer.User("owner"));
    X509Certificate self = CertificateTemplates.selfSigned(pki.ephemeralKey);
    assertThat(classify(self))
        .isEqualTo(
            new Peer.Unauthenticated(
                Optional.of(Ed25519.rawPublicKey(pki.ephemeralKey.getPublic()))));
  }

  @Test
  void nothingOrSeveralCertificatesIsAnonymous() {
    assertThat(PeerClassifier.classify((Certificate[]) null, pki.ca))
        .isEqualTo(Peer.Unauthenticated.ANONYMOUS);
    assertThat(PeerClassifier.classify(new Certificate[0], pki.ca))
        .isEqualTo(Peer.Unauthenticated.ANONYMOUS);
    assertThat(PeerClassifier.classify(new Certificate[] {pki.ownerCert, pki.ca}, pki.ca))
        .isEqualTo(Peer.Unauthenticated.ANONYMOUS);
  }

  @Test
  void foreignClusterIsAnonymous() {
    assertThat(classify(pki.foreignNodeCert)).isEqualTo(Peer.Unauthenticated.ANONYMOUS);
    assertThat(classify(pki.foreignOwnerCert)).isEqualTo(Peer.Unauthenticated.ANONYMOUS);
  }

  @Test
  void theCaItselfIsOnlySelfSigned() {
    assertThat(classify(pki.ca))
        .isEqualTo(
            new Peer.Unauthenticated(Optional.of(Ed25519.rawPublicKey(pki.caKey.getPublic()))));
  }

  @Test
  void nonEd25519IsAnonymousEvenIfSelfSigned() throws Exception {
    KeyPair ec = KeyPairGenerator.getInstance("EC").generateKeyPair();
    X500Name name = new X500Name("CN=ec");
    X509Certificate cert =
        new JcaX509CertificateConverter()
            .getCertificate(
                new JcaX509v3CertificateBuilder(
                        name,
                        BigInteger.TEN,
                        Date.from(Instant.now()),
                        Date.from(CertificateTemplates.NOT_AFTER),
                        name,
                        ec.getPublic())
                    .build(new JcaContentSignerBuilder("SHA256withECDSA").build(ec.getPrivate())));
    assertThat(classify(cert)).isEqualTo(Peer.Unauthenticated.ANONYMOUS);
  }

  @Test
  void nodeCertificateShapeIsStrict() throws Exception {
    KeyPair key = Ed25519.generate();
    String id = NodeId.of(key.getPublic());
    String otherId = NodeId.of(Ed25519.generate().getPublic());
    KeyPurposeId server = KeyPurposeId.id_kp_serverAuth;
    KeyPurposeId client = KeyPurposeId.id_kp_clientAuth;
    // Correct shape, to prove the helper itself makes acceptable certificates.
    assertThat(classify(leaf(key, id, List.of(id), server))).isInstanceOf(Peer.Node.class);
    // CN of another node.
    assertThat(classify(leaf(key, otherId, List.of(id), server))).isEqualTo(anon());
    // SAN of another node.
    assertThat(classify(leaf(key, id, List.of(otherId), server))).isEqualTo(anon());
    // Two SANs.
    assertThat(classify(leaf(key, id, List.of(id, otherId), server))).isEqualTo(anon());
    // No SAN.
    assertThat(classify(leaf(key, id, List.of(), server))).isEqualTo(anon());
    // Both EKUs (the etcd peer shape).
    assertThat(classify(leaf(key, id, List.of(id), server, client))).isEqualTo(anon());
    assertThat(
            classify(
                CertificateTemplates.peer(
                    pki.ca, pki.caKey.getPrivate(), key.getPublic(), id, List.of())))
        .isEqualTo(anon());
    // No EKU at all.
    assertThat(classify(leaf(key, id, List.of(id)))).isEqualTo(anon());
  }

  @Test
  void userCertificateShapeIsStrict() throws Exception {
    KeyPair key = Ed25519.generate();
    assertThat(classify(leaf(key, "alice", List.of(), KeyPurposeId.id_kp_clientAuth)))
        .isEqualTo(new Peer.User("alice"));
    assertThat(classify(leaf(key, null, List.of(), KeyPurposeId.id_kp_clientAuth)))
        .isEqualTo(anon());
    assertThat(classify(leaf(key, "", List.of(), KeyPurposeId.id_kp_clientAuth))).isEqualTo(anon());
  }

  @Test
  void verifyHelpersForClients() {
    assertThat(PeerClassifier.verifyNode(pki.serverCert, pki.ca))
        .map(Peer.Node::nodeId)
        .contains(pki.serverNodeId);
    assertThat(PeerClassifier.verifyNode(pki.serverCert, pki.foreignCa)).isEmpty();
    assertThat(PeerClassifier.verifyNode(pki.ownerCert, pki.ca)).isEmpty();
    assertThat(PeerClassifier.verifyUser(pki.ownerCert, pki.ca)).contains(new Peer.User("owner"));
    assertThat(PeerClassifier.verifyUser(pki.nodeCert, pki.ca)).isEmpty();
  }

  @Test
  void peerValueSemantics() {
    byte[] key = new byte[32];
    Peer.Node a = new Peer.Node("metropolis-x", key);
    key[0] = 1; // the record copied it
    assertThat(a).isEqualTo(new Peer.Node("metropolis-x", new byte[32]));
    assertThat(a.hashCode()).isEqualTo(new Peer.Node("metropolis-x", new byte[32]).hashCode());
    a.publicKey()[0] = 7; // and hands out copies
    assertThat(a.publicKey()[0]).isZero();
    assertThat(new Peer.Unauthenticated(Optional.of(new byte[] {1})))
        .isEqualTo(new Peer.Unauthenticated(Optional.of(new byte[] {1})))
        .isNotEqualTo(Peer.Unauthenticated.ANONYMOUS);
  }

  private static Peer anon() {
    return Peer.Unauthenticated.ANONYMOUS;
  }

  private Peer classify(X509Certificate cert) {
    return PeerClassifier.classify(new Certificate[] {cert}, pki.ca);
  }

  /** A leaf issued by the test CA with an O, the given CN (null: none), SANs and EKUs. */
  private X509Certificate leaf(KeyPair key, String cn, List<String> dnsNames, KeyPurposeId... eku)
      throws Exception {
    X500NameBuilder name = new X500NameBuilder(BCStyle.INSTANCE).addRDN(BCStyle.O, "metropolis");
    if (cn != null) {
      name.addRDN(BCStyle.CN, cn);
    }
    X500Name subject = name.build();
    X509v3CertificateBuilder b =
        new JcaX509v3CertificateBuilder(
            pki.ca,
            BigInteger.valueOf(42),
            Date.from(Instant.now()),
            Date.from(CertificateTemplates.NOT_AFTER),
            subject,
            key.getPublic());
    if (eku.length > 0) {
      b.addExtension(Extension.extendedKeyUsage, false, new ExtendedKeyUsage(eku));
    }
    if (!dnsNames.isEmpty()) {
      b.addExtension(
          Extension.subjectAlternativeName,
          false,
          new GeneralNames(
              dnsNames.stream()
                  .map(n -> new GeneralName(GeneralName.dNSName, n))
                  .toArray(GeneralName[]::new)));
    }
    PrivateKey caKey = pki.caKey.getPrivate();
    return new JcaX509CertificateConverter()
        .getCertificate(b.build(new JcaContentSignerBuilder("Ed25519").build(caKey)));
  }
}
