package dev.metropolis.node.curator;

import com.google.protobuf.ByteString;
import dev.metropolis.osbase.pki.Ed25519;
import dev.metropolis.osbase.pki.NodeId;
import io.grpc.Status;
import java.util.Optional;

/**
 * A node named in a management request, by its public key or by its ID. A key names one node
 * exactly; an ID (a prefix of the key) is checked against the stored key, so a record found by ID
 * but holding another key is "not found".
 */
record NodeRef(String id, Optional<ByteString> publicKey) {
  static NodeRef ofPubkey(String field, ByteString pubkey) {
    if (pubkey.size() != Ed25519.KEY_SIZE) {
      throw Status.INVALID_ARGUMENT
          .withDescription(
              field + ": must be a 32-byte Ed25519 public key, got " + pubkey.size() + " bytes")
          .asRuntimeException();
    }
    return new NodeRef(NodeId.of(pubkey.toByteArray()), Optional.of(pubkey));
  }

  static NodeRef ofId(String field, String id) {
    if (!NodeId.isValid(id)) {
      throw Status.INVALID_ARGUMENT
          .withDescription(field + ": \"" + id + "\" is not a node ID (metropolis-<32 hex>)")
          .asRuntimeException();
    }
    return new NodeRef(id, Optional.empty());
  }

  /** From the {@code oneof node {pubkey, id}} every management request uses. */
  static NodeRef of(boolean hasPubkey, ByteString pubkey, boolean hasId, String id) {
    if (hasPubkey) {
      return ofPubkey("pubkey", pubkey);
    }
    if (hasId) {
      return ofId("id", id);
    }
    throw Status.INVALID_ARGUMENT
        .withDescription("node: set either pubkey or id")
        .asRuntimeException();
  }

  /** The stored record, or NOT_FOUND naming the node. */
  NodeStore.Versioned find(NodeStore store) throws Exception {
    var v = store.get(id);
    if (v.isEmpty()
        || (publicKey.isPresent() && !v.get().node().getPublicKey().equals(publicKey.get()))) {
      throw notFound();
    }
    return v.get();
  }

  io.grpc.StatusRuntimeException notFound() {
    return Status.NOT_FOUND.withDescription("node " + id + " not found").asRuntimeException();
  }

  @Override
  public String toString() {
    return id;
  }
}
