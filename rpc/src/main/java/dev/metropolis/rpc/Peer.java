package dev.metropolis.rpc;

import java.util.Arrays;
import java.util.HexFormat;
import java.util.Objects;
import java.util.Optional;

/**
 * Who is calling an RPC, as established from the caller's TLS client certificate (see {@link
 * PeerClassifier}). Handlers get it from {@link RpcPeer#current()}.
 */
public sealed interface Peer {
  /**
   * A cluster node: presented a node certificate issued by the cluster CA.
   *
   * @param nodeId the node's ID, derived from {@code publicKey}
   * @param publicKey the node's raw 32-byte Ed25519 public key
   */
  @SuppressWarnings("ArrayRecordComponent") // copied in and out; equals/hashCode by content
  record Node(String nodeId, byte[] publicKey) implements Peer {
    public Node {
      Objects.requireNonNull(nodeId);
      publicKey = publicKey.clone();
    }

    @Override
    public byte[] publicKey() {
      return publicKey.clone();
    }

    @Override
    public boolean equals(Object o) {
      return o instanceof Node n
          && nodeId.equals(n.nodeId)
          && Arrays.equals(publicKey, n.publicKey);
    }

    @Override
    public int hashCode() {
      return 31 * nodeId.hashCode() + Arrays.hashCode(publicKey);
    }

    @Override
    public String toString() {
      return "Node[" + nodeId + "]";
    }
  }

  /**
   * A user (operator): presented a user certificate issued by the cluster CA.
   *
   * @param identity the certificate's common name; the initial owner is {@code "owner"}
   */
  record User(String identity) implements Peer {
    public User {
      Objects.requireNonNull(identity);
    }
  }

  /**
   * Anyone else: no certificate, a certificate not issued by the cluster CA, or one of the wrong
   * shape.
   *
   * @param selfSignedPublicKey the raw Ed25519 public key of the presented certificate if, and only
   *     if, it was a single validly self-signed Ed25519 certificate: TLS has then proved that the
   *     caller holds the matching private key
   */
  @SuppressWarnings("ArrayRecordComponent") // copied in and out; equals/hashCode by content
  record Unauthenticated(Optional<byte[]> selfSignedPublicKey) implements Peer {
    /** An unauthenticated peer that proved nothing. */
    public static final Unauthenticated ANONYMOUS = new Unauthenticated(Optional.empty());

    public Unauthenticated {
      selfSignedPublicKey = selfSignedPublicKey.map(byte[]::clone);
    }

    @Override
    public Optional<byte[]> selfSignedPublicKey() {
      return selfSignedPublicKey.map(byte[]::clone);
    }

    @Override
    public boolean equals(Object o) {
      if (!(o instanceof Unauthenticated u)) {
        return false;
      }
      if (selfSignedPublicKey.isEmpty() || u.selfSignedPublicKey.isEmpty()) {
        return selfSignedPublicKey.isEmpty() && u.selfSignedPublicKey.isEmpty();
      }
      return Arrays.equals(selfSignedPublicKey.get(), u.selfSignedPublicKey.get());
    }

    @Override
    public int hashCode() {
      return selfSignedPublicKey.map(Arrays::hashCode).orElse(0);
    }

    @Override
    public String toString() {
      return selfSignedPublicKey
          .map(k -> "Unauthenticated[selfSigned=" + HexFormat.of().formatHex(k) + "]")
          .orElse("Unauthenticated[]");
    }
  }
}
