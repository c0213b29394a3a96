package dev.metropolis.node.curator;

import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.KeyValue;
import io.etcd.jetcd.election.LeaderKey;
import io.etcd.jetcd.op.Cmp;
import io.etcd.jetcd.op.CmpTarget;
import io.etcd.jetcd.op.Op;
import io.etcd.jetcd.options.DeleteOption;
import io.etcd.jetcd.options.GetOption;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Predicate;

/**
 * Leader election among curators over etcd: a lease with a TTL (10 s in production) and an etcd
 * election; the winner's lock key and its creation revision fence every write it makes (see {@link
 * Leadership#txn}).
 */
public final class LeaderElection {
  /** The election's name; candidates' keys are {@code /curator/leader/<lease hex>}. */
  public static final String ELECTION = "/curator/leader";

  private static final long CALL_TIMEOUT_S = 10;

  private final Client etcd;
  private final Duration ttl;

  public LeaderElection(Client etcd, Duration ttl) {
    if (ttl.toSeconds() < 1) {
      throw new IllegalArgumentException("leader TTL must be at least 1 s");
    }
    this.etcd = etcd;
    this.ttl = ttl;
  }

  /**
   * Campaigns and blocks until elected. Before campaigning, candidate keys left by this node in a
   * previous life (recognised by {@code ours} on the key's value) are deleted, so a restarted node
   * does not wait for its own stale key's lease to expire.
   */
  public Leadership campaign(byte[] proposal, Predicate<byte[]> ours)
      throws InterruptedException, ExecutionException, TimeoutException {
    removeStale(ours);
    long lease =
        etcd.getLeaseClient().grant(ttl.toSeconds()).get(CALL_TIMEOUT_S, TimeUnit.SECONDS).getID();
    Leadership.KeepAlive keepAlive = Leadership.keepAlive(etcd, lease);
    try {
      LeaderKey key =
          etcd.getElectionClient()
              .campaign(bytes(ELECTION), lease, ByteSequence.from(proposal))
              .get()
              .getLeader();
      return new Leadership(etcd, key, keepAlive);
    } catch (InterruptedException | ExecutionException e) {
      keepAlive.close();
      var _ = etcd.getLeaseClient().revoke(lease);
      throw e;
    }
  }

  private void removeStale(Predicate<byte[]> ours)
      throws InterruptedException, ExecutionException, TimeoutException {
    ByteSequence prefix = bytes(ELECTION + "/");
    var resp =
        etcd.getKVClient()
            .get(prefix, GetOption.builder().isPrefix(true).build())
            .get(CALL_TIMEOUT_S, TimeUnit.SECONDS);
    for (KeyValue kv : resp.getKvs()) {
      if (ours.test(kv.getValue().getBytes())) {
        // Delete only if nobody changed it since we looked.
        etcd.getKVClient()
            .txn()
            .If(new Cmp(kv.getKey(), Cmp.Op.EQUAL, CmpTarget.modRevision(kv.getModRevision())))
            .Then(Op.delete(kv.getKey(), DeleteOption.DEFAULT))
            .commit()
            .get(CALL_TIMEOUT_S, TimeUnit.SECONDS);
      }
    }
  }

  /** The current leader's campaign value, if any (the lowest-revision candidate). */
  public java.util.Optional<byte[]> currentLeader()
      throws InterruptedException, ExecutionException, TimeoutException {
    return currentLeaderKey().map(kv -> kv.getValue().getBytes());
  }

  /** The current leader's election key and value, if any. */
  public java.util.Optional<KeyValue> currentLeaderKey()
      throws InterruptedException, ExecutionException, TimeoutException {
    var resp =
        etcd.getKVClient()
            .get(
                bytes(ELECTION + "/"),
                GetOption.builder()
                    .isPrefix(true)
                    .withSortField(GetOption.SortTarget.CREATE)
                    .withSortOrder(GetOption.SortOrder.ASCEND)
                    .withLimit(1)
                    .build())
            .get(CALL_TIMEOUT_S, TimeUnit.SECONDS);
    return resp.getKvs().stream().findFirst();
  }

  static ByteSequence bytes(String s) {
    return ByteSequence.from(s, StandardCharsets.UTF_8);
  }
}
