package dev.metropolis.node.curator;

import io.etcd.jetcd.ByteSequence;
import java.nio.charset.StandardCharsets;
import java.util.HexFormat;

/** The curator's etcd key layout. Everything lives under {@code /curator/}. */
final class Keys {
  static final String NODES = "/curator/nodes/";
  static final String JOIN_KEYS = "/curator/join_keys/";
  static final String REGISTER_TICKET = "/curator/global/register_ticket";
  static final String INITIAL_OWNER = "/curator/global/initial_owner";
  static final String CLUSTER_CONFIGURATION = "/curator/cluster/configuration";
  static final String CA_CERTIFICATE = "/curator/pki/ca-cert.der";
  static final String CA_KEY = "/curator/pki/ca-privkey.bin";
  static final String ISSUED = "/curator/pki/issued/";

  private Keys() {}

  static String node(String id) {
    return NODES + id;
  }

  static String joinKey(byte[] publicKey) {
    return JOIN_KEYS + HexFormat.of().formatHex(publicKey);
  }

  static String issued(String name) {
    return ISSUED + name + "-cert.der";
  }

  static ByteSequence bs(String key) {
    return ByteSequence.from(key, StandardCharsets.UTF_8);
  }

  /** The first key after every key with this prefix, for range reads. */
  static ByteSequence prefixEnd(String prefix) {
    byte[] b = prefix.getBytes(StandardCharsets.UTF_8);
    b[b.length - 1]++;
    return ByteSequence.from(b);
  }
}
