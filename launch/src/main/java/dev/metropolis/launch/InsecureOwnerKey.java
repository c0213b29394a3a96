package dev.metropolis.launch;

import dev.metropolis.osbase.pki.Ed25519;
import java.security.KeyPair;

/**
 * The owner key of test and development clusters. INSECURE: it is fixed and public, in this source
 * file; anyone can take ownership of a cluster bootstrapped with it. Only launch-cluster and tests
 * use it.
 */
public final class InsecureOwnerKey {
  private static final byte[] SEED = new byte[32];

  static {
    byte[] text =
        "metropolis-insecure-test-owner!!".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
    System.arraycopy(text, 0, SEED, 0, 32);
  }

  private InsecureOwnerKey() {}

  public static KeyPair keyPair() {
    return Ed25519.keyPairFromSeed(SEED.clone());
  }
}
