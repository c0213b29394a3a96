package dev.metropolis.node.curator;

import io.etcd.jetcd.Client;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongSupplier;

/**
 * One tenure as leader: the fence, and state that lives only as long as the tenure (heartbeat
 * times, kept in memory and lost on failover, as in the reference). Heartbeats use a monotonic
 * clock so wall-clock jumps cannot make nodes look dead or alive.
 */
public final class CuratorLeader {
  private final Client etcd;
  private final Leadership leadership;
  private final String nodeId;
  private final LongSupplier nanoTime;
  private final long tenureStart;
  private final ConcurrentHashMap<String, Long> heartbeats = new ConcurrentHashMap<>();
  private final NodeStore nodes;
  private final ConsensusMembers members;
  private final java.util.concurrent.locks.ReentrantLock membership =
      new java.util.concurrent.locks.ReentrantLock();

  CuratorLeader(Client etcd, Leadership leadership, String nodeId, LongSupplier nanoTime) {
    this.etcd = etcd;
    this.leadership = leadership;
    this.nodeId = nodeId;
    this.nanoTime = nanoTime;
    this.tenureStart = nanoTime.getAsLong();
    this.nodes = new NodeStore(etcd.getKVClient());
    this.members = new ConsensusMembers(etcd, nodeId);
  }

  ConsensusMembers members() {
    return members;
  }

  /**
   * Serialises etcd membership changes and the role writes that go with them within this tenure:
   * they are read-decide-write over two stores (etcd membership, node records) that no single
   * transaction covers.
   */
  java.util.concurrent.locks.ReentrantLock membershipLock() {
    return membership;
  }

  public Client etcd() {
    return etcd;
  }

  public Leadership leadership() {
    return leadership;
  }

  public String nodeId() {
    return nodeId;
  }

  public NodeStore nodes() {
    return nodes;
  }

  void heartbeat(String node) {
    heartbeats.put(node, nanoTime.getAsLong());
  }

  /** Time since the node's last heartbeat seen in this tenure. */
  Optional<Duration> sinceHeartbeat(String node) {
    Long t = heartbeats.get(node);
    return t == null ? Optional.empty() : Optional.of(Duration.ofNanos(nanoTime.getAsLong() - t));
  }

  /** Time since each node's last heartbeat seen in this tenure, by node ID (for metrics). */
  public java.util.Map<String, Duration> heartbeatAges() {
    long now = nanoTime.getAsLong();
    java.util.Map<String, Duration> out = new java.util.TreeMap<>();
    heartbeats.forEach((node, t) -> out.put(node, Duration.ofNanos(now - t)));
    return out;
  }

  Duration tenure() {
    return Duration.ofNanos(nanoTime.getAsLong() - tenureStart);
  }
}
