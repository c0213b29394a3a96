package dev.metropolis.osbase.pki;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.math.BigInteger;
import java.net.InetAddress;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.Signature;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.Base64;
import java.util.Date;
import java.util.HexFormat;
import java.util.List;
import javax.security.auth.x500.X500Principal;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.junit.jupiter.api.Test;

class PkiTest {
  private static final HexFormat HEX = HexFormat.of();

  // RFC 8032 §7.1 test 1.
  private static final byte[] RFC_SEED =
      HEX.parseHex("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60");
  private static final byte[] RFC_PUB =
      HEX.parseHex("d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a");

  private static final KeyPair CA_KEY = Ed25519.generate();
  private static final X509Certificate CA = CertificateTemplates.clusterCa(CA_KEY);

  // ---- keys ----

  @Test
  void rawPublicKeyRoundTrip() {
    KeyPair kp = Ed25519.generate();
    byte[] raw = Ed25519.rawPublicKey(kp.getPublic());
    assertThat(raw).hasSize(32);
    assertThat(Ed25519.publicKey(raw)).isEqualTo(kp.getPublic());
    assertThat(Ed25519.rawPublicKey(Ed25519.publicKey(raw))).isEqualTo(raw);
  }

  @Test
  void seedDerivesRfc8032PublicKey() throws Exception {
    KeyPair kp = Ed25519.keyPairFromSeed(RFC_SEED);
    assertThat(Ed25519.rawPublicKey(kp.getPublic())).isEqualTo(RFC_PUB);
    assertThat(Ed25519.seed(kp.getPrivate())).isEqualTo(RFC_SEED);
    assertThat(Ed25519.matches(kp.getPublic(), kp.getPrivate())).isTrue();
    // RFC 8032 test 1 signs the empty message.
    Signature s = Signature.getInstance("Ed25519");
    s.initSign(Ed25519.privateKeyFromSeed(RFC_SEED));
    assertThat(HEX.formatHex(s.sign()))
        .isEqualTo(
            "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e06522490155"
                + "5fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b");
  }

  @Test
  void generatedKeysAreConsistent() {
    KeyPair kp = Ed25519.generate();
    assertThat(Ed25519.publicKeyOf(kp.getPrivate())).isEqualTo(kp.getPublic());
    assertThat(Ed25519.matches(Ed25519.generate().getPublic(), kp.getPrivate())).isFalse();
  }

  @Test
  void goPrivateKeyIsSeedThenPublic() {
    byte[] go = Ed25519.goPrivateKey(Ed25519.privateKeyFromSeed(RFC_SEED));
    assertThat(go).hasSize(64);
    assertThat(java.util.Arrays.copyOf(go, 32)).isEqualTo(RFC_SEED);
    assertThat(java.util.Arrays.copyOfRange(go, 32, 64)).isEqualTo(RFC_PUB);
    KeyPair back = Ed25519.fromGoPrivateKey(go);
    assertThat(Ed25519.rawPublicKey(back.getPublic())).isEqualTo(RFC_PUB);
  }

  @Test
  void goPrivateKeyRejectsMismatchAndWrongLength() {
    byte[] go = Ed25519.goPrivateKey(Ed25519.privateKeyFromSeed(RFC_SEED));
    go[40] ^= 1;
    assertThatThrownBy(() -> Ed25519.fromGoPrivateKey(go))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("does not match");
    assertThatThrownBy(() -> Ed25519.fromGoPrivateKey(new byte[32]))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> Ed25519.publicKey(new byte[31]))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> Ed25519.privateKeyFromSeed(new byte[33]))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void rejectsNonEd25519Keys() throws Exception {
    KeyPair ec = KeyPairGenerator.getInstance("EC").generateKeyPair();
    KeyPair ed448 = KeyPairGenerator.getInstance("Ed448").generateKeyPair();
    assertThat(Ed25519.isEd25519(ec.getPublic())).isFalse();
    assertThat(Ed25519.isEd25519(ed448.getPublic())).isFalse();
    assertThatThrownBy(() -> Ed25519.rawPublicKey(ec.getPublic()))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> Ed25519.rawPublicKey(ed448.getPublic()))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> Ed25519.seed(ec.getPrivate()))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> Pem.encodePrivateKey(ec.getPrivate()))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> Ed25519.fromPkcs8(ec.getPrivate().getEncoded()))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> CertificateTemplates.node(CA, CA_KEY.getPrivate(), ec.getPublic()))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(
            () -> CertificateTemplates.user(CA, CA_KEY.getPrivate(), ec.getPublic(), "owner"))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> CertificateTemplates.clusterCa(ec))
        .isInstanceOf(IllegalArgumentException.class);
    X509Certificate ecCert = ecSelfSigned(ec);
    assertThat(Certificates.isEd25519(ecCert)).isFalse();
    assertThatThrownBy(() -> Certificates.ed25519PublicKey(ecCert))
        .isInstanceOf(IllegalArgumentException.class);
  }

  // ---- node IDs ----

  @Test
  void nodeIdIsHexPrefixOfKey() {
    byte[] raw = new byte[32];
    for (int i = 0; i < 32; i++) {
      raw[i] = (byte) (i * 17);
    }
    assertThat(NodeId.of(raw)).isEqualTo("metropolis-00112233445566778899aabbccddeeff");
    assertThat(NodeId.of(Ed25519.publicKey(RFC_PUB)))
        .isEqualTo("metropolis-d75a980182b10ab7d54bfed3c964073a");
    assertThat(NodeId.matches("metropolis-d75a980182b10ab7d54bfed3c964073a", RFC_PUB)).isTrue();
    assertThatThrownBy(() -> NodeId.of(new byte[16])).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void nodeIdValidation() {
    assertThat(NodeId.isValid("metropolis-d75a980182b10ab7d54bfed3c964073a")).isTrue();
    assertThat(NodeId.isValid(NodeId.of(Ed25519.generate().getPublic()))).isTrue();
    for (String bad :
        new String[] {
          "",
          "metropolis-",
          "metropolis-D75A980182B10AB7D54BFED3C964073A",
          "metropolis-d75a980182b10ab7d54bfed3c964073",
          "metropolis-d75a980182b10ab7d54bfed3c964073a0",
          "metropolis-d75a980182b10ab7d54bfed3c96407xz",
          "monogon-d75a980182b10ab7d54bfed3c964073a",
          " metropolis-d75a980182b10ab7d54bfed3c964073a",
          "metropolis-d75a980182b10ab7d54bfed3c964073a\n",
          "../etc/passwd"
        }) {
      assertThat(NodeId.isValid(bad)).as(bad).isFalse();
      assertThatThrownBy(() -> NodeId.requireValid(bad))
          .isInstanceOf(IllegalArgumentException.class);
    }
    assertThat(NodeId.isValid(null)).isFalse();
  }

  // ---- templates ----

  @Test
  void clusterCaFields() {
    assertThat(CA.getSerialNumber()).isEqualTo(BigInteger.ONE);
    assertThat(Certificates.commonName(CA)).contains("Metropolis Cluster CA");
    assertThat(CA.getBasicConstraints()).isGreaterThanOrEqualTo(0);
    assertThat(CA.getKeyUsage()).startsWith(true, false, false, false, false, true, true);
    assertThat(Certificates.extendedKeyUsages(CA))
        .containsExactlyInAnyOrder(
            Certificates.EKU_CLIENT_AUTH,
            Certificates.EKU_SERVER_AUTH,
            Certificates.EKU_OCSP_SIGNING);
    assertThat(CA.getNotAfter()).isEqualTo(Date.from(CertificateTemplates.NOT_AFTER));
    assertThat(CA.getSigAlgName()).isEqualToIgnoringCase("Ed25519");
    assertThat(Certificates.isSelfSigned(CA)).isTrue();
    assertThat(Certificates.isSignedBy(CA, CA)).isTrue();
    assertThat(Certificates.ed25519PublicKey(CA))
        .isEqualTo(Ed25519.rawPublicKey(CA_KEY.getPublic()));
  }

  @Test
  void nodeCertificateFields() {
    KeyPair node = Ed25519.generate();
    String id = NodeId.of(node.getPublic());
    X509Certificate cert = CertificateTemplates.node(CA, CA_KEY.getPrivate(), node.getPublic());
    assertThat(Certificates.commonName(cert)).contains(id);
    assertThat(Certificates.dnsNames(cert)).containsExactly(id);
    assertThat(Certificates.extendedKeyUsages(cert)).containsExactly(Certificates.EKU_SERVER_AUTH);
    assertThat(Certificates.hasOnlyExtendedKeyUsage(cert, Certificates.EKU_SERVER_AUTH)).isTrue();
    // digitalSignature(0), keyEncipherment(2)
    assertThat(cert.getKeyUsage()).startsWith(true, false, true, false, false, false);
    assertThat(cert.getBasicConstraints()).isEqualTo(-1);
    assertThat(cert.getNotAfter()).isEqualTo(Date.from(CertificateTemplates.NOT_AFTER));
    assertThat(cert.getPublicKey()).isEqualTo(node.getPublic());
    assertThat(cert.getIssuerX500Principal()).isEqualTo(CA.getSubjectX500Principal());
    assertThat(cert.getSerialNumber()).isNotEqualTo(BigInteger.ONE);
    assertThat(cert.getSerialNumber().signum()).isPositive();
    assertThat(Certificates.isSignedBy(cert, CA)).isTrue();
    assertThat(Certificates.isSelfSigned(cert)).isFalse();
  }

  @Test
  void userCertificateFields() {
    KeyPair owner = Ed25519.generate();
    X509Certificate cert =
        CertificateTemplates.user(CA, CA_KEY.getPrivate(), owner.getPublic(), "owner");
    assertThat(Certificates.commonName(cert)).contains("owner");
    assertThat(Certificates.dnsNames(cert)).isEmpty();
    assertThat(Certificates.extendedKeyUsages(cert)).containsExactly(Certificates.EKU_CLIENT_AUTH);
    assertThat(cert.getKeyUsage()[0]).isTrue();
    assertThat(cert.getNotAfter()).isEqualTo(Date.from(CertificateTemplates.NOT_AFTER));
    assertThat(Certificates.isSignedBy(cert, CA)).isTrue();
    assertThatThrownBy(
            () -> CertificateTemplates.user(CA, CA_KEY.getPrivate(), owner.getPublic(), ""))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void selfSignedCertificateFields() {
    KeyPair key = Ed25519.generate();
    X509Certificate cert = CertificateTemplates.selfSigned(key);
    assertThat(Certificates.isSelfSigned(cert)).isTrue();
    assertThat(Certificates.extendedKeyUsages(cert)).containsExactly(Certificates.EKU_CLIENT_AUTH);
    assertThat(cert.getNotAfter()).isEqualTo(Date.from(CertificateTemplates.NOT_AFTER));
    assertThat(Certificates.ed25519PublicKey(cert))
        .isEqualTo(Ed25519.rawPublicKey(key.getPublic()));
    // Not a CA, and so it cannot "issue" anything, not even itself.
    assertThat(Certificates.isSignedBy(cert, cert)).isFalse();
    assertThat(Certificates.isSignedBy(cert, CA)).isFalse();
  }

  @Test
  void peerCertificateFields() throws Exception {
    KeyPair key = Ed25519.generate();
    X509Certificate cert =
        CertificateTemplates.peer(
            CA,
            CA_KEY.getPrivate(),
            key.getPublic(),
            "metropolis-00112233445566778899aabbccddeeff",
            List.of(InetAddress.ofLiteral("10.1.2.3"), InetAddress.ofLiteral("::1")));
    assertThat(Certificates.commonName(cert))
        .contains("metropolis-00112233445566778899aabbccddeeff");
    assertThat(Certificates.dnsNames(cert))
        .containsExactly("metropolis-00112233445566778899aabbccddeeff");
    assertThat(Certificates.ipAddresses(cert)).containsExactly("10.1.2.3", "0:0:0:0:0:0:0:1");
    assertThat(Certificates.extendedKeyUsages(cert))
        .containsExactlyInAnyOrder(Certificates.EKU_SERVER_AUTH, Certificates.EKU_CLIENT_AUTH);
    assertThat(cert.getNotAfter()).isEqualTo(Date.from(CertificateTemplates.NOT_AFTER));
    assertThat(Certificates.isSignedBy(cert, CA)).isTrue();
  }

  @Test
  void serialsAreRandom() {
    KeyPair key = Ed25519.generate();
    X509Certificate a = CertificateTemplates.node(CA, CA_KEY.getPrivate(), key.getPublic());
    X509Certificate b = CertificateTemplates.node(CA, CA_KEY.getPrivate(), key.getPublic());
    assertThat(a.getSerialNumber()).isNotEqualTo(b.getSerialNumber());
    assertThat(a.getSerialNumber().bitLength()).isLessThanOrEqualTo(127);
  }

  @Test
  void commonNamesOfEveryStringType() {
    // The JDK encodes printable values as PrintableString, others as UTF8String.
    assertThat(DistinguishedNames.commonName(new X500Principal("CN=abc, O=x"))).contains("abc");
    assertThat(DistinguishedNames.commonName(new X500Principal("O=x, CN=zürich")))
        .contains("zürich");
    assertThat(DistinguishedNames.commonName(new X500Principal("CN=a\\,b+OU=y, O=x")))
        .contains("a,b");
    assertThat(DistinguishedNames.commonName(new X500Principal("O=x"))).isEmpty();
    assertThat(DistinguishedNames.commonName(new X500Principal(""))).isEmpty();
    // BMPString, hand-encoded: SEQUENCE { SET { SEQUENCE { 2.5.4.3, BMPString "hi" } } }
    byte[] bmp = {
      0x30, 0x0f, 0x31, 0x0d, 0x30, 0x0b, 0x06, 0x03, 0x55, 0x04, 0x03, 0x1e, 0x04, 0, 'h', 0, 'i'
    };
    assertThat(DistinguishedNames.commonName(new X500Principal(bmp))).contains("hi");
    // Our own certificates (BouncyCastle encodes UTF8String).
    assertThat(Certificates.commonName(CA)).contains(CertificateTemplates.CA_COMMON_NAME);
  }

  // ---- signature checks ----

  @Test
  void foreignCaDoesNotVerify() {
    KeyPair otherKey = Ed25519.generate();
    X509Certificate other = CertificateTemplates.clusterCa(otherKey);
    // Same subject DN as our CA: only the signature tells them apart.
    assertThat(other.getSubjectX500Principal()).isEqualTo(CA.getSubjectX500Principal());
    X509Certificate foreignNode =
        CertificateTemplates.node(other, otherKey.getPrivate(), Ed25519.generate().getPublic());
    assertThat(Certificates.isSignedBy(foreignNode, other)).isTrue();
    assertThat(Certificates.isSignedBy(foreignNode, CA)).isFalse();
  }

  @Test
  void leafIsNotAnIssuer() {
    KeyPair leafKey = Ed25519.generate();
    X509Certificate leaf =
        CertificateTemplates.user(CA, CA_KEY.getPrivate(), leafKey.getPublic(), "x");
    // A certificate "issued" by a non-CA leaf's key is rejected even though the signature is good.
    X509Certificate byLeaf =
        CertificateTemplates.user(leaf, leafKey.getPrivate(), Ed25519.generate().getPublic(), "y");
    assertThat(Certificates.isSignedBy(byLeaf, leaf)).isFalse();
  }

  @Test
  void tamperedCertificateDoesNotVerify() throws Exception {
    X509Certificate cert =
        CertificateTemplates.node(CA, CA_KEY.getPrivate(), Ed25519.generate().getPublic());
    byte[] der = cert.getEncoded();
    der[der.length - 5] ^= 1; // inside the signature
    X509Certificate tampered = Pem.parseCertificate(der);
    assertThat(Certificates.isSignedBy(tampered, CA)).isFalse();
  }

  // ---- PEM ----

  @Test
  void certificatePemRoundTrip() {
    String pem = Pem.encodeCertificate(CA);
    assertThat(pem)
        .startsWith("-----BEGIN CERTIFICATE-----\n")
        .endsWith("-----END CERTIFICATE-----\n");
    assertThat(pem.lines().filter(l -> !l.startsWith("-----")).allMatch(l -> l.length() <= 64))
        .isTrue();
    assertThat(Pem.decodeCertificate(pem)).isEqualTo(CA);
    X509Certificate node =
        CertificateTemplates.node(CA, CA_KEY.getPrivate(), Ed25519.generate().getPublic());
    assertThat(Pem.decodeCertificates("junk\n" + pem + Pem.encodeCertificate(node)))
        .containsExactly(CA, node);
  }

  @Test
  void pkcs8PemRoundTrip() {
    KeyPair kp = Ed25519.generate();
    String pem = Pem.encodePrivateKey(kp.getPrivate());
    assertThat(pem).startsWith("-----BEGIN PRIVATE KEY-----\n");
    PrivateKey back = Pem.decodePrivateKey(pem);
    assertThat(Ed25519.seed(back)).isEqualTo(Ed25519.seed(kp.getPrivate()));
    assertThat(Ed25519.matches(kp.getPublic(), back)).isTrue();
  }

  @Test
  void pkcs8PemReadsOpenSslOutput() {
    // `openssl genpkey -algorithm ed25519` for the RFC 8032 seed.
    String pem =
        """
        -----BEGIN PRIVATE KEY-----
        MC4CAQAwBQYDK2VwBCIEIJ1hsZ3v/VpguoRK9JLsLMREScVpezJpGXA7rAMcrn9g
        -----END PRIVATE KEY-----
        """;
    assertThat(Ed25519.seed(Pem.decodePrivateKey(pem))).isEqualTo(RFC_SEED);
  }

  @Test
  void ownerKeyPemRoundTrip() {
    KeyPair kp = Ed25519.keyPairFromSeed(RFC_SEED);
    String pem = Pem.encodeOwnerKey(kp.getPrivate());
    assertThat(pem).startsWith("-----BEGIN METROPOLIS INITIAL OWNER PRIVATE KEY-----\n");
    byte[] body = Pem.decode(pem, Pem.OWNER_PRIVATE_KEY);
    assertThat(body).hasSize(64);
    assertThat(Base64.getEncoder().encodeToString(body))
        .isEqualTo(
            Base64.getEncoder()
                .encodeToString(
                    HEX.parseHex(
                        "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60"
                            + "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a")));
    KeyPair back = Pem.decodeOwnerKey(pem);
    assertThat(back.getPublic()).isEqualTo(kp.getPublic());
    assertThat(Ed25519.seed(back.getPrivate())).isEqualTo(RFC_SEED);
  }

  @Test
  void pemRejectsWrongTypeAndGarbage() {
    String cert = Pem.encodeCertificate(CA);
    assertThatThrownBy(() -> Pem.decodeOwnerKey(cert))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("expected METROPOLIS INITIAL OWNER PRIVATE KEY");
    assertThatThrownBy(() -> Pem.decodeCertificate("nothing here"))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(
            () -> Pem.decodeAll("-----BEGIN CERTIFICATE-----\nAAAA\n-----END OTHER-----\n"))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(
            () -> Pem.decodeAll("-----BEGIN CERTIFICATE-----\n!!!!\n-----END CERTIFICATE-----\n"))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> Pem.decodeOwnerKey(Pem.encode(Pem.OWNER_PRIVATE_KEY, new byte[32])))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(
            () -> Pem.decodeCertificate(Pem.encode(Pem.CERTIFICATE, new byte[] {1, 2, 3})))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void pemToleratesCrLf() {
    String pem = Pem.encodeCertificate(CA).replace("\n", "\r\n");
    assertThat(Pem.decodeCertificate(pem)).isEqualTo(CA);
  }

  private static X509Certificate ecSelfSigned(KeyPair ec) throws Exception {
    X500Name name = new X500Name("CN=ec");
    return new JcaX509CertificateConverter()
        .getCertificate(
            new JcaX509v3CertificateBuilder(
                    name,
                    BigInteger.TWO,
                    Date.from(Instant.now()),
                    Date.from(CertificateTemplates.NOT_AFTER),
                    name,
                    ec.getPublic())
                .build(new JcaContentSignerBuilder("SHA256withECDSA").build(ec.getPrivate())));
  }
}
