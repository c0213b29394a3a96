package dev.metropolis.node;

import java.nio.file.Path;

/**
 * How this node process runs: where its state lives and which addresses and ports it uses. On a
 * machine every port has its well-known default and the address comes from the network; hosted test
 * nodes sharing one host's loopback override them.
 *
 * @param stateDir the per-node state directory (hosted mode's ESP and data partition)
 * @param address this node's external address, reported to the cluster
 * @param curatorPort Curator, CuratorLocal, Management and AAA (7835)
 * @param etcdPeerPort etcd peers (7834)
 * @param etcdClientHost where etcd's client listener binds (loopback: only this node uses it)
 * @param etcdClientPort etcd clients (7833)
 */
public record NodeConfig(
    Path stateDir,
    String address,
    int curatorPort,
    int etcdPeerPort,
    String etcdClientHost,
    int etcdClientPort) {
  public static final int CURATOR_PORT = 7835;
  public static final int ETCD_PEER_PORT = 7834;
  public static final int ETCD_CLIENT_PORT = 7833;
}
