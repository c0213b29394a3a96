package dev.metropolis.osbase.pki;

import java.security.GeneralSecurityException;
import java.security.Key;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.MessageDigest;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.SecureRandomSpi;
import java.security.interfaces.EdECKey;
import java.security.interfaces.EdECPrivateKey;
import java.security.spec.EdECPrivateKeySpec;
import java.security.spec.NamedParameterSpec;
import java.security.spec.PKCS8EncodedKeySpec;
import java.security.spec.X509EncodedKeySpec;
import java.util.Arrays;
import org.bouncycastle.crypto.params.Ed25519PrivateKeyParameters;

/**
 * Ed25519 keys, the only key type in a Metropolis cluster.
 *
 * <p>Keys are plain JDK {@link PublicKey}/{@link PrivateKey} objects (provider SunEC), so they work
 * with JSSE and {@code java.security.Signature} directly. This class converts them to and from the
 * raw forms that Go uses: a 32-byte public key, a 32-byte private seed, and the 64-byte {@code seed
 * || public} private key of Go's {@code ed25519.PrivateKey}.
 */
public final class Ed25519 {
  /** Length of a raw public key and of a private seed. */
  public static final int KEY_SIZE = 32;

  /** Length of a Go-style private key: seed followed by the public key. */
  public static final int GO_PRIVATE_KEY_SIZE = 64;

  /** DER prefix of an Ed25519 SubjectPublicKeyInfo (RFC 8410), followed by the raw key. */
  private static final byte[] SPKI_PREFIX = {
    0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00
  };

  private Ed25519() {}

  /** Generates a fresh key pair from the system's strong random source. */
  public static KeyPair generate() {
    try {
      return KeyPairGenerator.getInstance("Ed25519").generateKeyPair();
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("the JDK does not support Ed25519", e);
    }
  }

  /** Whether {@code key} is an Ed25519 key (public or private). */
  public static boolean isEd25519(Key key) {
    return key instanceof EdECKey ed
        && NamedParameterSpec.ED25519.getName().equalsIgnoreCase(ed.getParams().getName());
  }

  /**
   * Returns the raw 32-byte form of an Ed25519 public key.
   *
   * @throws IllegalArgumentException if the key is not Ed25519
   */
  public static byte[] rawPublicKey(PublicKey key) {
    if (!isEd25519(key)) {
      throw new IllegalArgumentException("not an Ed25519 public key: " + key.getAlgorithm());
    }
    byte[] spki = key.getEncoded();
    if (spki.length != SPKI_PREFIX.length + KEY_SIZE
        || !Arrays.equals(spki, 0, SPKI_PREFIX.length, SPKI_PREFIX, 0, SPKI_PREFIX.length)) {
      throw new IllegalArgumentException("unexpected Ed25519 public key encoding");
    }
    return Arrays.copyOfRange(spki, SPKI_PREFIX.length, spki.length);
  }

  /**
   * Builds a public key from its raw 32-byte form.
   *
   * @throws IllegalArgumentException if {@code raw} is not 32 bytes or not a valid point
   */
  public static PublicKey publicKey(byte[] raw) {
    if (raw.length != KEY_SIZE) {
      throw new IllegalArgumentException(
          "Ed25519 public key must be " + KEY_SIZE + " bytes, got " + raw.length);
    }
    byte[] spki = Arrays.copyOf(SPKI_PREFIX, SPKI_PREFIX.length + KEY_SIZE);
    System.arraycopy(raw, 0, spki, SPKI_PREFIX.length, KEY_SIZE);
    try {
      return KeyFactory.getInstance("Ed25519").generatePublic(new X509EncodedKeySpec(spki));
    } catch (GeneralSecurityException e) {
      throw new IllegalArgumentException("invalid Ed25519 public key", e);
    }
  }

  /**
   * Builds a private key from its 32-byte seed.
   *
   * @throws IllegalArgumentException if {@code seed} is not 32 bytes
   */
  public static PrivateKey privateKeyFromSeed(byte[] seed) {
    if (seed.length != KEY_SIZE) {
      throw new IllegalArgumentException(
          "Ed25519 seed must be " + KEY_SIZE + " bytes, got " + seed.length);
    }
    try {
      return KeyFactory.getInstance("Ed25519")
          .generatePrivate(new EdECPrivateKeySpec(NamedParameterSpec.ED25519, seed.clone()));
    } catch (GeneralSecurityException e) {
      throw new IllegalArgumentException("invalid Ed25519 seed", e);
    }
  }

  /** Builds the whole key pair (the public key is derived) from a 32-byte seed. */
  public static KeyPair keyPairFromSeed(byte[] seed) {
    PrivateKey priv = privateKeyFromSeed(seed);
    return new KeyPair(publicKey(derivePublicKey(seed)), priv);
  }

  /**
   * Returns the 32-byte seed of an Ed25519 private key.
   *
   * @throws IllegalArgumentException if the key is not Ed25519 or hides its seed
   */
  public static byte[] seed(PrivateKey key) {
    if (!isEd25519(key) || !(key instanceof EdECPrivateKey ed)) {
      throw new IllegalArgumentException("not an Ed25519 private key: " + key.getAlgorithm());
    }
    return ed.getBytes()
        .orElseThrow(() -> new IllegalArgumentException("Ed25519 private key is not extractable"));
  }

  /** Derives the public key that belongs to a private key. */
  public static PublicKey publicKeyOf(PrivateKey key) {
    return publicKey(derivePublicKey(seed(key)));
  }

  /** Whether {@code pub} is the public half of {@code priv}. */
  public static boolean matches(PublicKey pub, PrivateKey priv) {
    return isEd25519(pub) && MessageDigest.isEqual(rawPublicKey(pub), derivePublicKey(seed(priv)));
  }

  /**
   * Returns the Go {@code ed25519.PrivateKey} form of a private key: 64 bytes, the seed followed by
   * the raw public key.
   */
  public static byte[] goPrivateKey(PrivateKey key) {
    byte[] seed = seed(key);
    byte[] out = Arrays.copyOf(seed, GO_PRIVATE_KEY_SIZE);
    System.arraycopy(derivePublicKey(seed), 0, out, KEY_SIZE, KEY_SIZE);
    return out;
  }

  /**
   * Parses a Go {@code ed25519.PrivateKey} (64 bytes: seed || public key).
   *
   * @throws IllegalArgumentException if the length is wrong or the public half does not belong to
   *     the seed
   */
  public static KeyPair fromGoPrivateKey(byte[] raw) {
    if (raw.length != GO_PRIVATE_KEY_SIZE) {
      throw new IllegalArgumentException(
          "Go Ed25519 private key must be " + GO_PRIVATE_KEY_SIZE + " bytes, got " + raw.length);
    }
    byte[] seed = Arrays.copyOf(raw, KEY_SIZE);
    byte[] pub = Arrays.copyOfRange(raw, KEY_SIZE, GO_PRIVATE_KEY_SIZE);
    if (!MessageDigest.isEqual(pub, derivePublicKey(seed))) {
      throw new IllegalArgumentException("Go Ed25519 private key: public half does not match seed");
    }
    return new KeyPair(publicKey(pub), privateKeyFromSeed(seed));
  }

  /** Encodes a private key as PKCS#8 DER. */
  public static byte[] pkcs8(PrivateKey key) {
    if (!isEd25519(key)) {
      throw new IllegalArgumentException("not an Ed25519 private key: " + key.getAlgorithm());
    }
    return key.getEncoded();
  }

  /**
   * Parses a PKCS#8 DER private key, which must be Ed25519.
   *
   * @throws IllegalArgumentException on malformed input or another key type
   */
  public static PrivateKey fromPkcs8(byte[] der) {
    try {
      return KeyFactory.getInstance("Ed25519").generatePrivate(new PKCS8EncodedKeySpec(der));
    } catch (GeneralSecurityException e) {
      throw new IllegalArgumentException("not an Ed25519 PKCS#8 private key", e);
    }
  }

  /**
   * Derives the raw public key of a seed. The JDK has no API for this, but its key pair generator
   * draws exactly the seed from its random source: feed it the seed and check that it took it.
   * BouncyCastle's implementation is the fallback; it is correct but costs a cold CLI well over 100
   * ms of class loading and table set-up.
   */
  private static byte[] derivePublicKey(byte[] seed) {
    try {
      KeyPairGenerator g = KeyPairGenerator.getInstance("Ed25519");
      g.initialize(NamedParameterSpec.ED25519, new FixedSeed(seed));
      KeyPair kp = g.generateKeyPair();
      if (kp.getPrivate() instanceof EdECPrivateKey p
          && p.getBytes().map(b -> MessageDigest.isEqual(b, seed)).orElse(false)) {
        return rawPublicKey(kp.getPublic());
      }
    } catch (GeneralSecurityException | IllegalStateException e) {
      // Fall back below.
    }
    return new Ed25519PrivateKeyParameters(seed, 0).generatePublicKey().getEncoded();
  }

  /** A "random" source that yields one given seed, once. */
  private static final class FixedSeed extends SecureRandom {
    FixedSeed(byte[] seed) {
      super(new FixedSeedSpi(seed), null);
    }
  }

  private static final class FixedSeedSpi extends SecureRandomSpi {
    private byte[] seed;

    FixedSeedSpi(byte[] seed) {
      this.seed = seed.clone();
    }

    @Override
    protected void engineSetSeed(byte[] ignored) {}

    @Override
    protected synchronized void engineNextBytes(byte[] bytes) {
      if (seed == null || bytes.length != seed.length) {
        throw new IllegalStateException("fixed seed source asked for unexpected bytes");
      }
      System.arraycopy(seed, 0, bytes, 0, bytes.length);
      seed = null;
    }

    @Override
    protected byte[] engineGenerateSeed(int numBytes) {
      throw new IllegalStateException("fixed seed source cannot generate seeds");
    }
  }
}
