package dev.metropolis.osbase.pki;

import java.security.PublicKey;
import java.util.HexFormat;
import java.util.regex.Pattern;

/**
 * Node identifiers: {@code "metropolis-"} followed by the lowercase hex of the first 16 bytes of
 * the node's raw Ed25519 public key.
 *
 * <p>The ID is a prefix of the key, not a hash of it, so anyone holding the key can check the ID
 * without any other data.
 */
public final class NodeId {
  /** Prefix of every node ID. */
  public static final String PREFIX = "metropolis-";

  /** Number of public key bytes in a node ID. */
  public static final int KEY_PREFIX_BYTES = 16;

  private static final Pattern VALID = Pattern.compile("metropolis-[0-9a-f]{32}");

  private NodeId() {}

  /**
   * Derives the node ID from a raw 32-byte Ed25519 public key.
   *
   * @throws IllegalArgumentException if the key is not 32 bytes
   */
  public static String of(byte[] rawPublicKey) {
    if (rawPublicKey.length != Ed25519.KEY_SIZE) {
      throw new IllegalArgumentException(
          "node public key must be " + Ed25519.KEY_SIZE + " bytes, got " + rawPublicKey.length);
    }
    return PREFIX + HexFormat.of().formatHex(rawPublicKey, 0, KEY_PREFIX_BYTES);
  }

  /** Derives the node ID from an Ed25519 public key. */
  public static String of(PublicKey publicKey) {
    return of(Ed25519.rawPublicKey(publicKey));
  }

  /**
   * Whether {@code id} is a well-formed node ID (it says nothing about whether the node exists).
   */
  public static boolean isValid(String id) {
    return id != null && VALID.matcher(id).matches();
  }

  /**
   * Returns {@code id} if it is well-formed.
   *
   * @throws IllegalArgumentException otherwise
   */
  public static String requireValid(String id) {
    if (!isValid(id)) {
      throw new IllegalArgumentException("malformed node ID: " + id);
    }
    return id;
  }

  /** Whether {@code id} is the ID that belongs to {@code rawPublicKey}. */
  public static boolean matches(String id, byte[] rawPublicKey) {
    return rawPublicKey.length == Ed25519.KEY_SIZE && of(rawPublicKey).equals(id);
  }
}
