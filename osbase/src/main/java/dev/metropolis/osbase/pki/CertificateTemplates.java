package dev.metropolis.osbase.pki;

import java.math.BigInteger;
import java.net.InetAddress;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x500.X500NameBuilder;
import org.bouncycastle.asn1.x500.style.BCStyle;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.CertIOException;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509ExtensionUtils;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/**
 * Issues the certificates of a Metropolis cluster. All keys are Ed25519 and every certificate is
 * valid until {@link #NOT_AFTER}: nothing is ever renewed.
 *
 * <p>BouncyCastle only assembles and signs the TBS structure; keys, signatures and the resulting
 * {@link X509Certificate} objects are the JDK's own (no provider is registered).
 */
public final class CertificateTemplates {
  /** NotAfter of every certificate: "no well-defined expiry" (RFC 5280 §4.1.2.5). */
  public static final Instant NOT_AFTER = Instant.parse("9999-12-31T23:59:59Z");

  /** Common name of the cluster CA. */
  public static final String CA_COMMON_NAME = "Metropolis Cluster CA";

  /** Common name of ephemeral self-signed certificates. */
  public static final String EPHEMERAL_COMMON_NAME = "Metropolis Ephemeral Credentials";

  private static final SecureRandom RANDOM = new SecureRandom();

  private CertificateTemplates() {}

  /**
   * Self-signed cluster CA: CN {@value #CA_COMMON_NAME}, serial 1, CA basic constraint, key usage
   * CertSign|CRLSign|DigitalSignature, EKU serverAuth+clientAuth+OCSPSigning.
   */
  public static X509Certificate clusterCa(KeyPair caKey) {
    X500Name name = commonName(CA_COMMON_NAME);
    X509v3CertificateBuilder b =
        new JcaX509v3CertificateBuilder(
            name, BigInteger.ONE, notBefore(), Date.from(NOT_AFTER), name, caKey.getPublic());
    try {
      JcaX509ExtensionUtils ext = new JcaX509ExtensionUtils();
      b.addExtension(Extension.basicConstraints, true, new BasicConstraints(true));
      b.addExtension(
          Extension.keyUsage,
          true,
          new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign | KeyUsage.digitalSignature));
      b.addExtension(
          Extension.extendedKeyUsage,
          false,
          new ExtendedKeyUsage(
              new KeyPurposeId[] {
                KeyPurposeId.id_kp_clientAuth,
                KeyPurposeId.id_kp_serverAuth,
                KeyPurposeId.id_kp_OCSPSigning
              }));
      b.addExtension(
          Extension.subjectKeyIdentifier, false, ext.createSubjectKeyIdentifier(caKey.getPublic()));
    } catch (CertIOException | GeneralSecurityException e) {
      throw new IllegalStateException("cannot build CA certificate", e);
    }
    return sign(b, caKey.getPrivate());
  }

  /**
   * Node certificate over an external key (the CA never sees the node's private key): CN = DNS SAN
   * = node ID derived from {@code nodeKey}, EKU serverAuth only, key usage
   * DigitalSignature|KeyEncipherment.
   */
  public static X509Certificate node(X509Certificate ca, PrivateKey caKey, PublicKey nodeKey) {
    String id = NodeId.of(nodeKey);
    X509v3CertificateBuilder b = leaf(ca, nodeKey, id);
    try {
      b.addExtension(
          Extension.keyUsage,
          true,
          new KeyUsage(KeyUsage.digitalSignature | KeyUsage.keyEncipherment));
      b.addExtension(
          Extension.extendedKeyUsage, false, new ExtendedKeyUsage(KeyPurposeId.id_kp_serverAuth));
      b.addExtension(
          Extension.subjectAlternativeName,
          false,
          new GeneralNames(new GeneralName(GeneralName.dNSName, id)));
    } catch (CertIOException e) {
      throw new IllegalStateException("cannot build node certificate", e);
    }
    return sign(b, caKey);
  }

  /**
   * User (operator) certificate: CN = {@code identity} (the owner is {@code "owner"}), EKU
   * clientAuth only, key usage DigitalSignature.
   */
  public static X509Certificate user(
      X509Certificate ca, PrivateKey caKey, PublicKey userKey, String identity) {
    if (identity.isEmpty()) {
      throw new IllegalArgumentException("user identity must not be empty");
    }
    X509v3CertificateBuilder b = leaf(ca, userKey, identity);
    try {
      b.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.digitalSignature));
      b.addExtension(
          Extension.extendedKeyUsage, false, new ExtendedKeyUsage(KeyPurposeId.id_kp_clientAuth));
    } catch (CertIOException e) {
      throw new IllegalStateException("cannot build user certificate", e);
    }
    return sign(b, caKey);
  }

  /**
   * Ephemeral self-signed certificate for {@code key}, EKU clientAuth. Presented by a client that
   * has no cluster certificate yet (register, join, escrow) to prove possession of its key.
   */
  public static X509Certificate selfSigned(KeyPair key) {
    X500Name name = commonName(EPHEMERAL_COMMON_NAME);
    X509v3CertificateBuilder b =
        new JcaX509v3CertificateBuilder(
            name, randomSerial(), notBefore(), Date.from(NOT_AFTER), name, key.getPublic());
    try {
      b.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.digitalSignature));
      b.addExtension(
          Extension.extendedKeyUsage, false, new ExtendedKeyUsage(KeyPurposeId.id_kp_clientAuth));
    } catch (CertIOException e) {
      throw new IllegalStateException("cannot build self-signed certificate", e);
    }
    return sign(b, key.getPrivate());
  }

  /**
   * Peer certificate for a service that is both client and server of itself (etcd): CN = DNS SAN =
   * {@code name}, plus {@code ips} as IP SANs, EKU serverAuth+clientAuth.
   */
  public static X509Certificate peer(
      X509Certificate ca, PrivateKey caKey, PublicKey key, String name, List<InetAddress> ips) {
    X509v3CertificateBuilder b = leaf(ca, key, name);
    List<GeneralName> sans = new ArrayList<>();
    sans.add(new GeneralName(GeneralName.dNSName, name));
    for (InetAddress ip : ips) {
      sans.add(new GeneralName(GeneralName.iPAddress, ip.getHostAddress()));
    }
    try {
      b.addExtension(
          Extension.keyUsage,
          true,
          new KeyUsage(KeyUsage.digitalSignature | KeyUsage.keyEncipherment));
      b.addExtension(
          Extension.extendedKeyUsage,
          false,
          new ExtendedKeyUsage(
              new KeyPurposeId[] {KeyPurposeId.id_kp_serverAuth, KeyPurposeId.id_kp_clientAuth}));
      b.addExtension(
          Extension.subjectAlternativeName,
          false,
          new GeneralNames(sans.toArray(GeneralName[]::new)));
    } catch (CertIOException e) {
      throw new IllegalStateException("cannot build peer certificate", e);
    }
    return sign(b, caKey);
  }

  private static X509v3CertificateBuilder leaf(
      X509Certificate ca, PublicKey subjectKey, String cn) {
    if (!Ed25519.isEd25519(subjectKey)) {
      throw new IllegalArgumentException(
          "certificates are only issued for Ed25519 keys, not " + subjectKey.getAlgorithm());
    }
    X509v3CertificateBuilder b =
        new JcaX509v3CertificateBuilder(
            ca, randomSerial(), notBefore(), Date.from(NOT_AFTER), commonName(cn), subjectKey);
    try {
      JcaX509ExtensionUtils ext = new JcaX509ExtensionUtils();
      b.addExtension(Extension.authorityKeyIdentifier, false, ext.createAuthorityKeyIdentifier(ca));
      b.addExtension(
          Extension.subjectKeyIdentifier, false, ext.createSubjectKeyIdentifier(subjectKey));
    } catch (CertIOException | GeneralSecurityException e) {
      throw new IllegalStateException("cannot build certificate", e);
    }
    return b;
  }

  private static X509Certificate sign(X509v3CertificateBuilder b, PrivateKey signer) {
    if (!Ed25519.isEd25519(signer)) {
      throw new IllegalArgumentException(
          "certificates are only signed with Ed25519 keys, not " + signer.getAlgorithm());
    }
    try {
      return new JcaX509CertificateConverter()
          .getCertificate(b.build(new JcaContentSignerBuilder("Ed25519").build(signer)));
    } catch (OperatorCreationException | GeneralSecurityException e) {
      throw new IllegalStateException("cannot sign certificate", e);
    }
  }

  private static X500Name commonName(String cn) {
    return new X500NameBuilder(BCStyle.INSTANCE).addRDN(BCStyle.CN, cn).build();
  }

  private static Date notBefore() {
    return Date.from(Instant.now().truncatedTo(ChronoUnit.SECONDS));
  }

  /** A positive 127-bit serial, as Go's crypto/x509 users draw them. */
  private static BigInteger randomSerial() {
    BigInteger serial;
    do {
      serial = new BigInteger(127, RANDOM);
    } while (serial.signum() == 0);
    return serial;
  }
}
