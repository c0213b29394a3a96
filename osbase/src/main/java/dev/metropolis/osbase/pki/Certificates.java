package dev.metropolis.osbase.pki;

import java.security.GeneralSecurityException;
import java.security.cert.CertificateParsingException;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Checks on X.509 certificates: signatures, key type, names and extended key usages.
 *
 * <p>Plain JDK code: a CLI that only verifies certificates never loads BouncyCastle.
 *
 * <p>None of these look at validity dates: every Metropolis certificate is valid until 9999 and
 * nodes may boot with a wrong clock, so dates carry no information.
 */
public final class Certificates {
  /** Extended key usage id-kp-serverAuth. */
  public static final String EKU_SERVER_AUTH = "1.3.6.1.5.5.7.3.1";

  /** Extended key usage id-kp-clientAuth. */
  public static final String EKU_CLIENT_AUTH = "1.3.6.1.5.5.7.3.2";

  /** Extended key usage id-kp-OCSPSigning. */
  public static final String EKU_OCSP_SIGNING = "1.3.6.1.5.5.7.3.9";

  private static final int KEY_USAGE_CERT_SIGN = 5;
  private static final int SAN_DNS_NAME = 2;
  private static final int SAN_IP_ADDRESS = 7;

  private Certificates() {}

  /**
   * Whether {@code cert} was issued by {@code ca}: the CA must be a CA (basic constraints), may
   * sign certificates (key usage, if present), its subject must be the issuer of {@code cert}, and
   * the signature must verify under its key. This is Go's {@code CheckSignatureFrom}.
   */
  public static boolean isSignedBy(X509Certificate cert, X509Certificate ca) {
    if (ca.getBasicConstraints() < 0) {
      return false;
    }
    boolean[] usage = ca.getKeyUsage();
    if (usage != null && (usage.length <= KEY_USAGE_CERT_SIGN || !usage[KEY_USAGE_CERT_SIGN])) {
      return false;
    }
    if (!cert.getIssuerX500Principal().equals(ca.getSubjectX500Principal())) {
      return false;
    }
    return verifies(cert, ca);
  }

  /**
   * Whether {@code cert} is signed by its own key. Unlike {@link #isSignedBy}, the certificate does
   * not need to be a CA: ephemeral proof-of-possession certificates are plain leaves.
   */
  public static boolean isSelfSigned(X509Certificate cert) {
    return cert.getIssuerX500Principal().equals(cert.getSubjectX500Principal())
        && verifies(cert, cert);
  }

  private static boolean verifies(X509Certificate cert, X509Certificate signer) {
    try {
      cert.verify(signer.getPublicKey());
      return true;
    } catch (GeneralSecurityException | RuntimeException e) {
      return false;
    }
  }

  /** Whether the certificate's subject key is Ed25519. */
  public static boolean isEd25519(X509Certificate cert) {
    return Ed25519.isEd25519(cert.getPublicKey());
  }

  /**
   * Returns the raw 32-byte Ed25519 public key of {@code cert}.
   *
   * @throws IllegalArgumentException if the certificate is for another key type
   */
  public static byte[] ed25519PublicKey(X509Certificate cert) {
    if (!isEd25519(cert)) {
      throw new IllegalArgumentException(
          "certificate is not for an Ed25519 key: " + cert.getPublicKey().getAlgorithm());
    }
    return Ed25519.rawPublicKey(cert.getPublicKey());
  }

  /** Returns the (first) common name of the subject, if any. */
  public static Optional<String> commonName(X509Certificate cert) {
    return DistinguishedNames.commonName(cert.getSubjectX500Principal());
  }

  /** Returns the DNS names of the subject alternative name extension, in order. */
  public static List<String> dnsNames(X509Certificate cert) {
    return subjectAltNames(cert, SAN_DNS_NAME);
  }

  /** Returns the IP addresses of the subject alternative name extension, as strings. */
  public static List<String> ipAddresses(X509Certificate cert) {
    return subjectAltNames(cert, SAN_IP_ADDRESS);
  }

  private static List<String> subjectAltNames(X509Certificate cert, int type) {
    List<String> out = new ArrayList<>();
    try {
      var sans = cert.getSubjectAlternativeNames();
      if (sans == null) {
        return out;
      }
      for (List<?> san : sans) {
        if (san.size() >= 2 && san.get(0) instanceof Integer t && t == type) {
          out.add(String.valueOf(san.get(1)));
        }
      }
    } catch (CertificateParsingException e) {
      // A malformed extension names nothing.
      return List.of();
    }
    return out;
  }

  /** Returns the extended key usage OIDs, or an empty list if the extension is absent. */
  public static List<String> extendedKeyUsages(X509Certificate cert) {
    try {
      List<String> eku = cert.getExtendedKeyUsage();
      return eku == null ? List.of() : List.copyOf(eku);
    } catch (CertificateParsingException e) {
      return List.of();
    }
  }

  /** Whether the extended key usage extension lists exactly {@code oid} and nothing else. */
  public static boolean hasOnlyExtendedKeyUsage(X509Certificate cert, String oid) {
    return extendedKeyUsages(cert).equals(List.of(oid));
  }
}
