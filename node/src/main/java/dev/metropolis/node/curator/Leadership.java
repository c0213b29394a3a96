package dev.metropolis.node.curator;

import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.Watch;
import io.etcd.jetcd.election.LeaderKey;
import io.etcd.jetcd.kv.TxnResponse;
import io.etcd.jetcd.lease.LeaseKeepAliveResponse;
import io.etcd.jetcd.op.Cmp;
import io.etcd.jetcd.op.CmpTarget;
import io.etcd.jetcd.op.Op;
import io.etcd.jetcd.options.WatchOption;
import io.etcd.jetcd.support.CloseableClient;
import io.etcd.jetcd.watch.WatchEvent;
import io.grpc.stub.StreamObserver;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * This curator's tenure as leader. Every write goes through {@link #txn}, which is guarded by "my
 * election key still exists with the creation revision I won with": a curator that lost its lease
 * (partition, pause, crash of its etcd) can never write, even if it has not noticed yet.
 */
public final class Leadership implements AutoCloseable {
  private final Client etcd;
  private final LeaderKey key;
  private final KeepAlive keepAlive;
  private final Watch.Watcher watcher;

  Leadership(Client etcd, LeaderKey key, KeepAlive keepAlive) {
    this.etcd = etcd;
    this.key = key;
    this.keepAlive = keepAlive;
    // Losing the key (lease expiry, deletion) ends the tenure.
    this.watcher =
        etcd.getWatchClient()
            .watch(
                key.getKey(),
                WatchOption.builder().withRevision(key.getRevision()).build(),
                resp -> {
                  for (WatchEvent ev : resp.getEvents()) {
                    if (ev.getEventType() == WatchEvent.EventType.DELETE) {
                      keepAlive.lost.complete(null);
                    }
                  }
                },
                err -> keepAlive.lost.complete(null));
  }

  /** The election key's creation revision: the fencing token. */
  public long revision() {
    return key.getRevision();
  }

  public ByteSequence key() {
    return key.getKey();
  }

  /** Completes when leadership is known to be lost. */
  public CompletableFuture<Void> lost() {
    return keepAlive.lost;
  }

  /**
   * Runs {@code If(conditions) Then(then) Else(otherwise)} only while still leader.
   *
   * @return the inner transaction's response
   * @throws LostLeadershipException when the fence failed: the write was not applied
   */
  public TxnResponse txn(List<Cmp> conditions, List<Op> then, List<Op> otherwise)
      throws LostLeadershipException, InterruptedException, ExecutionException, TimeoutException {
    Cmp fence = new Cmp(key.getKey(), Cmp.Op.EQUAL, CmpTarget.createRevision(key.getRevision()));
    TxnResponse outer =
        etcd.getKVClient()
            .txn()
            .If(fence)
            .Then(
                Op.txn(
                    conditions.toArray(Cmp[]::new),
                    then.toArray(Op[]::new),
                    otherwise.toArray(Op[]::new)))
            .commit()
            .get(10, TimeUnit.SECONDS);
    if (!outer.isSucceeded()) {
      keepAlive.lost.complete(null);
      throw new LostLeadershipException();
    }
    return outer.getTxnResponses().getFirst();
  }

  /** Unconditional writes, fenced. */
  public TxnResponse txn(List<Op> then)
      throws LostLeadershipException, InterruptedException, ExecutionException, TimeoutException {
    return txn(List.of(), then, List.of());
  }

  /** Steps down: deletes the election key and revokes the lease. */
  @Override
  public void close() {
    watcher.close();
    keepAlive.close();
    try {
      etcd.getElectionClient().resign(key).get(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (ExecutionException | TimeoutException e) {
      // The lease expires by itself.
    }
    var _ = etcd.getLeaseClient().revoke(key.getLease());
    keepAlive.lost.complete(null);
  }

  static KeepAlive keepAlive(Client etcd, long lease) {
    return new KeepAlive(etcd, lease);
  }

  /** Keeps the lease alive; completes {@code lost} when etcd says it expired or the stream dies. */
  static final class KeepAlive implements AutoCloseable {
    final CompletableFuture<Void> lost = new CompletableFuture<>();
    private final CloseableClient stream;

    KeepAlive(Client etcd, long lease) {
      this.stream =
          etcd.getLeaseClient()
              .keepAlive(
                  lease,
                  new StreamObserver<LeaseKeepAliveResponse>() {
                    @Override
                    public void onNext(LeaseKeepAliveResponse r) {
                      if (r.getTTL() <= 0) {
                        lost.complete(null);
                      }
                    }

                    @Override
                    public void onError(Throwable t) {
                      lost.complete(null);
                    }

                    @Override
                    public void onCompleted() {
                      lost.complete(null);
                    }
                  });
    }

    @Override
    public void close() {
      stream.close();
    }
  }
}
