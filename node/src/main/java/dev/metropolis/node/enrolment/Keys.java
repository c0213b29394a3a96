package dev.metropolis.node.enrolment;

import dev.metropolis.node.storage.NodeStorage;
import dev.metropolis.osbase.pki.Ed25519;
import dev.metropolis.osbase.pki.Pem;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.util.Comparator;
import java.util.stream.Stream;

/**
 * The keys an enrolment makes, persisted before anything is sent with them, so a retried enrolment
 * (after a crash or a lost response) presents the same identity.
 */
final class Keys {
  private Keys() {}

  static KeyPair nodeKey(NodeStorage storage) throws IOException {
    var existing = storage.nodeKey();
    if (existing.isPresent()) {
      return existing.get();
    }
    KeyPair k = Ed25519.generate();
    storage.writeNodeKey(k);
    return k;
  }

  static KeyPair joinKey(NodeStorage storage) throws IOException {
    Path p = storage.enrolmentDir().resolve("join-key.pem");
    if (Files.exists(p)) {
      var priv = Pem.decodePrivateKey(Files.readString(p));
      return new KeyPair(Ed25519.publicKeyOf(priv), priv);
    }
    KeyPair k = Ed25519.generate();
    NodeStorage.writeAtomic(
        p, Pem.encodePrivateKey(k.getPrivate()).getBytes(StandardCharsets.US_ASCII), true);
    return k;
  }

  /** Removes the enrolment scratch space once the sealed configuration holds what it must. */
  static void forgetEnrolment(NodeStorage storage) throws IOException {
    Path dir = storage.enrolmentDir();
    if (!Files.exists(dir)) {
      return;
    }
    try (Stream<Path> s = Files.walk(dir)) {
      for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
        Files.delete(p);
      }
    }
  }
}
