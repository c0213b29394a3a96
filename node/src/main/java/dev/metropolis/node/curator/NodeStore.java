package dev.metropolis.node.curator;

import static dev.metropolis.node.curator.Keys.bs;

import com.google.protobuf.InvalidProtocolBufferException;
import dev.metropolis.api.storage.Node;
import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.KV;
import io.etcd.jetcd.KeyValue;
import io.etcd.jetcd.op.Cmp;
import io.etcd.jetcd.op.CmpTarget;
import io.etcd.jetcd.op.Op;
import io.etcd.jetcd.options.GetOption;
import io.etcd.jetcd.options.PutOption;
import io.grpc.Status;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.UnaryOperator;

/**
 * Node records in etcd. Changes are read-modify-write with a compare-and-swap on the record's
 * revision, fenced on leadership, and retried on conflict: no in-process lock is needed, and two
 * concurrent updates of one node never lose each other's change.
 */
public final class NodeStore {
  private static final long TIMEOUT_S = 10;
  private static final int MAX_ATTEMPTS = 16;

  private final KV kv;

  public NodeStore(KV kv) {
    this.kv = kv;
  }

  /** A record and the etcd revision it was last modified at. */
  public record Versioned(Node node, long modRevision) {}

  public Optional<Versioned> get(String id)
      throws InterruptedException, ExecutionException, TimeoutException {
    var kvs = kv.get(bs(Keys.node(id))).get(TIMEOUT_S, TimeUnit.SECONDS).getKvs();
    return kvs.stream().findFirst().map(NodeStore::decode);
  }

  /** All node records, sorted by ID. */
  public List<Node> list() throws InterruptedException, ExecutionException, TimeoutException {
    var resp =
        kv.get(bs(Keys.NODES), GetOption.builder().withRange(Keys.prefixEnd(Keys.NODES)).build())
            .get(TIMEOUT_S, TimeUnit.SECONDS);
    List<Node> out = new ArrayList<>();
    for (KeyValue e : resp.getKvs()) {
      out.add(decode(e).node());
    }
    return out;
  }

  /**
   * Applies {@code change} to node {@code id} atomically.
   *
   * @param change may throw a {@link io.grpc.StatusRuntimeException} to refuse the change
   * @throws io.grpc.StatusRuntimeException NOT_FOUND when the node does not exist
   */
  public Node update(Leadership leader, String id, UnaryOperator<Node> change)
      throws InterruptedException, ExecutionException, TimeoutException, LostLeadershipException {
    for (int attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      Versioned current =
          get(id)
              .orElseThrow(() ->
                  Status.NOT_FOUND
                      .withDescription("node " + id + " not found")
                      .asRuntimeException());
      Node next = change.apply(current.node());
      if (next.equals(current.node())) {
        return next;
      }
      ByteSequence key = bs(Keys.node(id));
      var r =
          leader.txn(
              List.of(new Cmp(key, Cmp.Op.EQUAL, CmpTarget.modRevision(current.modRevision()))),
              List.of(Op.put(key, ByteSequence.from(next.toByteArray()), PutOption.DEFAULT)),
              List.of());
      if (r.isSucceeded()) {
        return next;
      }
    }
    throw Status.ABORTED
        .withDescription("node " + id + " changed concurrently too often; try again")
        .asRuntimeException();
  }

  static Versioned decode(KeyValue e) {
    try {
      Node n = Node.parseFrom(e.getValue().getBytes());
      String key = e.getKey().toString();
      if (!key.equals(Keys.node(n.getId()))) {
        throw new IllegalStateException("node record at " + key + " claims id " + n.getId());
      }
      return new Versioned(n, e.getModRevision());
    } catch (InvalidProtocolBufferException ex) {
      throw new IllegalStateException("corrupt node record at " + e.getKey(), ex);
    }
  }
}
