package dev.metropolis.node.consensus;

import java.nio.file.Path;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.util.Map;

/**
 * How to run this node's etcd member.
 *
 * @param name the member name: the node ID
 * @param dataDir etcd's data directory (persistent: survives restarts)
 * @param runtimeDir where certificate and key files for etcd are written (0600, recreated at every
 *     start)
 * @param peerHost address other members reach this one at
 * @param peerPort peer port (7834 by default)
 * @param clientHost address the local client listener binds to (loopback)
 * @param clientPort client port, reached only locally by this node's curator and services
 * @param ca the CA that signs every member's and client's certificate
 * @param certificate this member's certificate (server and client auth, SANs for its names)
 * @param key this member's private key (the node key)
 * @param initialCluster members to start with when the data directory is new: name → peer URL
 * @param newCluster whether this member founds a new cluster (bootstrap) or joins one
 */
public record EtcdConfig(
    String name,
    Path dataDir,
    Path runtimeDir,
    String peerHost,
    int peerPort,
    String clientHost,
    int clientPort,
    X509Certificate ca,
    X509Certificate certificate,
    PrivateKey key,
    Map<String, String> initialCluster,
    boolean newCluster) {
  public static final int DEFAULT_PEER_PORT = 7834;
  public static final int DEFAULT_CLIENT_PORT = 7833;

  /**
   * etcd's own metrics listener: plain HTTP, on the client listener's (local) address only. The
   * node's metrics endpoint fetches it for /metrics/etcd.
   */
  public static final int METRICS_PORT = 7842;

  public String peerUrl() {
    return "https://" + hostPort(peerHost, peerPort);
  }

  public String clientUrl() {
    return "https://" + hostPort(clientHost, clientPort);
  }

  public String metricsUrl() {
    return "http://" + hostPort(clientHost, METRICS_PORT);
  }

  static String hostPort(String host, int port) {
    return (host.contains(":") ? "[" + host + "]" : host) + ":" + port;
  }
}
