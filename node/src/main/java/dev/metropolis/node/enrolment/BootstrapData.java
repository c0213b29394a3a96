package dev.metropolis.node.enrolment;

import com.google.protobuf.ByteString;
import dev.metropolis.api.common.ClusterConfiguration;
import dev.metropolis.api.common.NodeLabels;
import dev.metropolis.api.common.NodeStorageSecurity;
import dev.metropolis.api.common.NodeTPMUsage;
import dev.metropolis.node.curator.ClusterPki;
import java.security.KeyPair;

/**
 * What the first node of a new cluster hands to its control plane, which starts etcd as a new
 * cluster and writes the cluster's founding records.
 *
 * @param nodeKey this node's key pair
 * @param joinKey the key pair this node will rejoin with after a reboot
 * @param ownerKey raw public key of the initial owner
 * @param ca the cluster CA, made before etcd runs because etcd's own certificates need it
 */
public record BootstrapData(
    KeyPair nodeKey,
    KeyPair joinKey,
    ByteString ownerKey,
    ClusterConfiguration configuration,
    NodeLabels labels,
    NodeTPMUsage tpmUsage,
    NodeStorageSecurity storageSecurity,
    ClusterPki.Ca ca) {}
