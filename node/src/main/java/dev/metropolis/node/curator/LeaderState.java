package dev.metropolis.node.curator;

import io.grpc.Status;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Whether this curator leads right now, and the leader's state if so. Handlers of leader-only
 * services ask it first; a follower refuses with UNAVAILABLE naming the leader, so clients go and
 * find the leader (through CuratorLocal.GetCurrentLeader) instead of reading stale data.
 */
public final class LeaderState {
  private final AtomicReference<CuratorLeader> current = new AtomicReference<>();

  /** The current tenure, or UNAVAILABLE. */
  public CuratorLeader require() {
    CuratorLeader l = current.get();
    if (l == null || l.leadership().lost().isDone()) {
      throw Status.UNAVAILABLE
          .withDescription(
              "this curator is not the leader; find it with CuratorLocal.GetCurrentLeader")
          .asRuntimeException();
    }
    return l;
  }

  public Optional<CuratorLeader> current() {
    CuratorLeader l = current.get();
    return l == null || l.leadership().lost().isDone() ? Optional.empty() : Optional.of(l);
  }

  void set(CuratorLeader l) {
    current.set(l);
  }

  void clear(CuratorLeader l) {
    current.compareAndSet(l, null);
  }
}
