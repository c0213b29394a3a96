package dev.metropolis.node;

import java.nio.file.Path;

/**
 * How this node process runs: where its state lives and which addresses and ports it uses. On a
 * machine every port has its well-known default and the address comes from the network; hosted test
 * nodes sharing one host's loopback override them.
 *
 * @param stateDir the per-node state directory (hosted mode's ESP and data partition)
 * @param network how the node gets its external address (the one reported to the cluster)
 * @param curatorPort Curator, CuratorLocal, Management and AAA (7835)
 * @param etcdPeerPort etcd peers (7834)
 * @param etcdClientHost where etcd's client listener binds (loopback: only this node uses it)
 * @param etcdClientPort etcd clients (7833)
 */
public record NodeConfig(
    Path stateDir,
    Network network,
    int curatorPort,
    int etcdPeerPort,
    String etcdClientHost,
    int etcdClientPort) {
  public static final int CURATOR_PORT = 7835;
  public static final int ETCD_PEER_PORT = 7834;
  public static final int ETCD_CLIENT_PORT = 7833;

  /** NodeManagement on every UP node, on the node's external address. */
  public static final int NODE_MGMT_PORT = 7839;

  /** The Kubernetes API server on every node with KubernetesController (and consensus). */
  public static final int KUBERNETES_API_PORT = 6443;

  /** The metrics endpoint (HTTPS, mutual TLS) on every UP node, on its external address. */
  public static final int METRICS_PORT = 7840;

  /** Where the node's external address comes from. */
  public sealed interface Network {
    /** Given on the command line (hosted nodes sharing the host's loopback). */
    record Static(String address) implements Network {}

    /**
     * Leased over DHCP on {@code iface}, which the network service also configures: hosted nodes in
     * their own network namespace behind the nanoswitch, and machines.
     */
    record Dhcp(String iface) implements Network {}
  }
}
