package dev.metropolis.node.enrolment;

import com.google.protobuf.ByteString;
import dev.metropolis.api.common.ClusterDirectory;
import dev.metropolis.api.common.NodeRoles;
import dev.metropolis.api.storage.SealedConfiguration;
import dev.metropolis.node.curator.Bootstrap;
import dev.metropolis.node.storage.NodeStorage;
import dev.metropolis.osbase.pki.Ed25519;
import io.etcd.jetcd.KV;

/**
 * The last steps of a bootstrap, run by the control plane once its new etcd is up: the founding
 * records (idempotent), then the node's credentials, roles and directory, and finally the sealed
 * configuration, which marks the node as enrolled. Only then is the temporary bootstrap state
 * (including the CA's private key) removed from the node's disk.
 */
public final class BootstrapFinish {
  private BootstrapFinish() {}

  public static NodeStorage.Credentials run(
      KV kv, BootstrapData data, NodeRoles roles, String address, NodeStorage storage)
      throws Exception {
    var result =
        Bootstrap.finish(
            kv,
            data.ca(),
            new Bootstrap.Founder(
                data.nodeKey().getPublic(),
                ByteString.copyFrom(Ed25519.rawPublicKey(data.joinKey().getPublic())),
                data.ownerKey(),
                data.configuration(),
                data.labels(),
                data.tpmUsage(),
                roles));
    storage.writeCredentials(result.ca().certificate(), result.nodeCertificate());
    storage.writeLastKnownRoles(roles);
    storage.writeClusterDirectory(
        ClusterDirectory.newBuilder()
            .addNodes(
                ClusterDirectory.Node.newBuilder()
                    .setPublicKey(
                        ByteString.copyFrom(Ed25519.rawPublicKey(data.nodeKey().getPublic())))
                    .addAddresses(ClusterDirectory.Node.Address.newBuilder().setHost(address)))
            .build());
    storage.writeSealedConfiguration(
        SealedConfiguration.newBuilder()
            .setJoinKey(ByteString.copyFrom(Ed25519.seed(data.joinKey().getPrivate())))
            .setClusterCa(ByteString.copyFrom(result.ca().certificate().getEncoded()))
            .setStorageSecurity(data.storageSecurity())
            .build());
    Keys.forgetEnrolment(storage);
    return new NodeStorage.Credentials(
        result.ca().certificate(), result.nodeCertificate(), data.nodeKey());
  }
}
