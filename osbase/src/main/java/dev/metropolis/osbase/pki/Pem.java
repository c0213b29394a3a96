package dev.metropolis.osbase.pki;

import java.io.ByteArrayInputStream;
import java.security.KeyPair;
import java.security.PrivateKey;
import java.security.cert.CertificateEncodingException;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;

/**
 * PEM (RFC 7468) encoding of certificates and Ed25519 keys, in the formats Metropolis writes to
 * disk: {@code CERTIFICATE}, PKCS#8 {@code PRIVATE KEY}, and the raw 64-byte {@code METROPOLIS
 * INITIAL OWNER PRIVATE KEY} of metroctl's {@code owner-key.pem}.
 *
 * <p>Plain JDK code (no BouncyCastle), so that the CLI can load its credentials cheaply.
 */
public final class Pem {
  /** PEM type of an X.509 certificate. */
  public static final String CERTIFICATE = "CERTIFICATE";

  /** PEM type of a PKCS#8 private key. */
  public static final String PRIVATE_KEY = "PRIVATE KEY";

  /** PEM type of the owner key: a raw Go {@code ed25519.PrivateKey} (seed || public key). */
  public static final String OWNER_PRIVATE_KEY = "METROPOLIS INITIAL OWNER PRIVATE KEY";

  private static final String BEGIN = "-----BEGIN ";
  private static final String END = "-----END ";
  private static final String DASHES = "-----";

  /** One PEM block: its type (the word between BEGIN and the dashes) and its decoded body. */
  public static final class Block {
    private final String type;
    private final byte[] der;

    public Block(String type, byte[] der) {
      this.type = type;
      this.der = der.clone();
    }

    public String type() {
      return type;
    }

    public byte[] der() {
      return der.clone();
    }
  }

  private Pem() {}

  /** Encodes one block: header, base64 in 64-character lines, footer, trailing newline. */
  public static String encode(String type, byte[] der) {
    StringBuilder sb = new StringBuilder();
    sb.append(BEGIN).append(type).append(DASHES).append('\n');
    sb.append(Base64.getMimeEncoder(64, new byte[] {'\n'}).encodeToString(der));
    if (der.length > 0) {
      sb.append('\n');
    }
    sb.append(END).append(type).append(DASHES).append('\n');
    return sb.toString();
  }

  /**
   * Decodes every block in {@code text}; text outside blocks is ignored.
   *
   * @throws IllegalArgumentException on an unterminated block, a mismatched footer or bad base64
   */
  public static List<Block> decodeAll(String text) {
    List<Block> blocks = new ArrayList<>();
    int pos = 0;
    while (true) {
      int begin = text.indexOf(BEGIN, pos);
      if (begin < 0) {
        return blocks;
      }
      int typeEnd = text.indexOf(DASHES, begin + BEGIN.length());
      if (typeEnd < 0) {
        throw new IllegalArgumentException("PEM: unterminated BEGIN line");
      }
      String type = text.substring(begin + BEGIN.length(), typeEnd);
      if (type.indexOf('\n') >= 0) {
        throw new IllegalArgumentException("PEM: malformed BEGIN line");
      }
      int bodyStart = typeEnd + DASHES.length();
      String footer = END + type + DASHES;
      int end = text.indexOf(footer, bodyStart);
      if (end < 0) {
        throw new IllegalArgumentException("PEM: no END line for " + type);
      }
      String body = text.substring(bodyStart, end).replaceAll("\\s", "");
      byte[] der;
      try {
        der = Base64.getDecoder().decode(body);
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException("PEM: bad base64 in " + type + " block", e);
      }
      blocks.add(new Block(type, der));
      pos = end + footer.length();
    }
  }

  /**
   * Decodes the first block in {@code text}, which must have type {@code expectedType}.
   *
   * @throws IllegalArgumentException if there is no block or the first block has another type
   */
  public static byte[] decode(String text, String expectedType) {
    List<Block> blocks = decodeAll(text);
    if (blocks.isEmpty()) {
      throw new IllegalArgumentException("PEM: no " + expectedType + " block found");
    }
    Block first = blocks.getFirst();
    if (!first.type().equals(expectedType)) {
      throw new IllegalArgumentException(
          "PEM: expected " + expectedType + " block, found " + first.type());
    }
    return first.der();
  }

  /** Encodes a certificate as a {@code CERTIFICATE} block. */
  public static String encodeCertificate(X509Certificate cert) {
    try {
      return encode(CERTIFICATE, cert.getEncoded());
    } catch (CertificateEncodingException e) {
      throw new IllegalArgumentException("cannot encode certificate", e);
    }
  }

  /** Decodes the first {@code CERTIFICATE} block. */
  public static X509Certificate decodeCertificate(String text) {
    return parseCertificate(decode(text, CERTIFICATE));
  }

  /** Decodes every {@code CERTIFICATE} block (other block types are skipped). */
  public static List<X509Certificate> decodeCertificates(String text) {
    List<X509Certificate> certs = new ArrayList<>();
    for (Block b : decodeAll(text)) {
      if (b.type().equals(CERTIFICATE)) {
        certs.add(parseCertificate(b.der()));
      }
    }
    return certs;
  }

  /**
   * Parses a DER certificate.
   *
   * @throws IllegalArgumentException on malformed input
   */
  public static X509Certificate parseCertificate(byte[] der) {
    try {
      return (X509Certificate)
          CertificateFactory.getInstance("X.509")
              .generateCertificate(new ByteArrayInputStream(der));
    } catch (CertificateException e) {
      throw new IllegalArgumentException("malformed certificate", e);
    }
  }

  /** Encodes an Ed25519 private key as a PKCS#8 {@code PRIVATE KEY} block. */
  public static String encodePrivateKey(PrivateKey key) {
    return encode(PRIVATE_KEY, Ed25519.pkcs8(key));
  }

  /** Decodes the first PKCS#8 {@code PRIVATE KEY} block, which must hold an Ed25519 key. */
  public static PrivateKey decodePrivateKey(String text) {
    return Ed25519.fromPkcs8(decode(text, PRIVATE_KEY));
  }

  /** Encodes the owner key in metroctl's {@code owner-key.pem} format. */
  public static String encodeOwnerKey(PrivateKey key) {
    return encode(OWNER_PRIVATE_KEY, Ed25519.goPrivateKey(key));
  }

  /**
   * Decodes metroctl's {@code owner-key.pem}.
   *
   * @throws IllegalArgumentException on another block type, a wrong length or an inconsistent key
   */
  public static KeyPair decodeOwnerKey(String text) {
    return Ed25519.fromGoPrivateKey(decode(text, OWNER_PRIVATE_KEY));
  }
}
