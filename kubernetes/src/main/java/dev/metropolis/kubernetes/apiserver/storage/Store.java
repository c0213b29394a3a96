package dev.metropolis.kubernetes.apiserver.storage;

import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.KeyValue;
import io.etcd.jetcd.Watch;
import io.etcd.jetcd.kv.GetResponse;
import io.etcd.jetcd.kv.TxnResponse;
import io.etcd.jetcd.op.Cmp;
import io.etcd.jetcd.op.CmpTarget;
import io.etcd.jetcd.op.Op;
import io.etcd.jetcd.options.DeleteOption;
import io.etcd.jetcd.options.GetOption;
import io.etcd.jetcd.options.OptionsUtil;
import io.etcd.jetcd.options.PutOption;
import io.etcd.jetcd.options.WatchOption;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Objects as bytes in etcd. Every write is a transaction guarded on the key's revisions, so creates
 * never overwrite and updates never lose a concurrent write: the object's resourceVersion is its
 * etcd mod revision.
 */
public final class Store {
  /** A stored value and the revision that last modified it. */
  @SuppressWarnings("ArrayRecordComponent") // values are read-only, never compared
  public record Item(String key, byte[] value, long modRevision) {}

  /** One page of a range read, taken at {@code revision}; {@code more} if the range went on. */
  public record Page(List<Item> items, long revision, boolean more) {}

  /**
   * A change under a watched prefix: the new item (for a delete: the last value, at the delete's
   * revision) and the previous value, or null if the key was created.
   */
  @SuppressWarnings("ArrayRecordComponent") // as Item
  public record Change(boolean deleted, Item item, byte[] previous) {}

  private static final long TIMEOUT_SECONDS = 30;
  private final Client client;

  public Store(Client client) {
    this.client = client;
  }

  public Optional<Item> get(String key) {
    GetResponse r = await(client.getKVClient().get(bytes(key)));
    if (r.getKvs().isEmpty()) {
      return Optional.empty();
    }
    return Optional.of(item(r.getKvs().getFirst()));
  }

  /**
   * Reads keys under {@code prefix} starting at {@code startKey} (inclusive), at most {@code limit}
   * (0 = all), at {@code revision} (0 = latest).
   *
   * @throws io.etcd.jetcd.common.exception.CompactedException (wrapped) if the revision is gone
   */
  public Page list(String prefix, String startKey, long limit, long revision) {
    GetOption.Builder o =
        GetOption.builder().withRange(OptionsUtil.prefixEndOf(bytes(prefix))).withLimit(limit);
    if (revision > 0) {
      o.withRevision(revision);
    }
    GetResponse r = await(client.getKVClient().get(bytes(startKey), o.build()));
    List<Item> items = new ArrayList<>();
    for (KeyValue kv : r.getKvs()) {
      items.add(item(kv));
    }
    return new Page(items, r.getHeader().getRevision(), r.isMore());
  }

  /** The current revision of the store. */
  public long revision() {
    return await(client.getKVClient().get(bytes("\0"))).getHeader().getRevision();
  }

  /** Creates {@code key} if absent; the new revision, or -1 if the key exists. */
  public long create(String key, byte[] value) {
    TxnResponse r =
        await(
            client
                .getKVClient()
                .txn()
                .If(new Cmp(bytes(key), Cmp.Op.EQUAL, CmpTarget.createRevision(0)))
                .Then(Op.put(bytes(key), ByteSequence.from(value), PutOption.DEFAULT))
                .commit());
    return r.isSucceeded() ? r.getHeader().getRevision() : -1;
  }

  /** Replaces {@code key} if its mod revision is still {@code expected}; else -1. */
  public long update(String key, byte[] value, long expected) {
    return guarded(key, expected, Op.put(bytes(key), ByteSequence.from(value), PutOption.DEFAULT));
  }

  /** Deletes {@code key} if its mod revision is still {@code expected}; else -1. */
  public long delete(String key, long expected) {
    return guarded(key, expected, Op.delete(bytes(key), DeleteOption.DEFAULT));
  }

  private long guarded(String key, long expected, Op op) {
    TxnResponse r =
        await(
            client
                .getKVClient()
                .txn()
                .If(new Cmp(bytes(key), Cmp.Op.EQUAL, CmpTarget.modRevision(expected)))
                .Then(op)
                .commit());
    return r.isSucceeded() ? r.getHeader().getRevision() : -1;
  }

  /** Deletes {@code key} whatever its revision. */
  public void deleteKey(String key) {
    await(client.getKVClient().delete(bytes(key)));
  }

  /** Deletes every key under {@code prefix}. */
  public void deletePrefix(String prefix) {
    await(
        client.getKVClient().delete(bytes(prefix), DeleteOption.builder().isPrefix(true).build()));
  }

  /** Listener of {@link #watch}. */
  public interface WatchListener {
    void onChanges(List<Change> changes, long revision);

    /** The watch ended: compacted ({@code compactedRevision > 0}) or failed. */
    void onEnd(long compactedRevision, Throwable error);
  }

  /** Watches every key under {@code prefix}, from {@code fromRevision} on (inclusive). */
  public Watch.Watcher watch(String prefix, long fromRevision, WatchListener listener) {
    WatchOption o =
        WatchOption.builder()
            .isPrefix(true)
            .withPrevKV(true)
            .withRevision(fromRevision)
            .withProgressNotify(true)
            .build();
    return client
        .getWatchClient()
        .watch(
            bytes(prefix),
            o,
            new Watch.Listener() {
              @Override
              public void onNext(io.etcd.jetcd.watch.WatchResponse r) {
                List<Change> changes = new ArrayList<>();
                for (io.etcd.jetcd.watch.WatchEvent e : r.getEvents()) {
                  boolean deleted =
                      e.getEventType() == io.etcd.jetcd.watch.WatchEvent.EventType.DELETE;
                  KeyValue kv = deleted ? e.getPrevKV() : e.getKeyValue();
                  long rev = e.getKeyValue().getModRevision();
                  KeyValue prev = e.getPrevKV();
                  byte[] previous =
                      prev == null || prev.getVersion() == 0 ? null : prev.getValue().getBytes();
                  changes.add(
                      new Change(
                          deleted,
                          new Item(
                              e.getKeyValue().getKey().toString(StandardCharsets.UTF_8),
                              kv.getValue().getBytes(),
                              rev),
                          previous));
                }
                listener.onChanges(changes, r.getHeader().getRevision());
              }

              @Override
              public void onError(Throwable t) {
                long compacted =
                    t instanceof io.etcd.jetcd.common.exception.CompactedException c
                        ? c.getCompactedRevision()
                        : 0;
                listener.onEnd(compacted, t);
              }

              @Override
              public void onCompleted() {
                listener.onEnd(0, null);
              }
            });
  }

  private static Item item(KeyValue kv) {
    return new Item(
        kv.getKey().toString(StandardCharsets.UTF_8),
        kv.getValue().getBytes(),
        kv.getModRevision());
  }

  static ByteSequence bytes(String s) {
    return ByteSequence.from(s, StandardCharsets.UTF_8);
  }

  private static <T> T await(CompletableFuture<T> f) {
    try {
      return f.get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new StoreException("interrupted", e);
    } catch (ExecutionException e) {
      throw new StoreException(e.getCause().getMessage(), e.getCause());
    } catch (TimeoutException e) {
      throw new StoreException("etcd did not answer within " + TIMEOUT_SECONDS + " s", e);
    }
  }
}
