package dev.metropolis.node.curator;

import io.grpc.Status;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;

/**
 * Whether this curator leads right now, and the leader's state if so. Handlers of leader-only
 * services ask it first; a follower refuses with UNAVAILABLE naming the leader, so clients go and
 * find the leader (through CuratorLocal.GetCurrentLeader) instead of reading stale data.
 */
public final class LeaderState {
  private final AtomicReference<CuratorLeader> current = new AtomicReference<>();
  private final Supplier<Optional<String>> whoLeads;

  /** A state whose refusals do not say who leads. */
  public LeaderState() {
    this(Optional::empty);
  }

  /**
   * @param whoLeads names the leader for a refusal (asked only when refusing)
   */
  public LeaderState(Supplier<Optional<String>> whoLeads) {
    this.whoLeads = whoLeads;
  }

  /** The current tenure, or UNAVAILABLE naming the leader when one is known. */
  public CuratorLeader require() {
    CuratorLeader l = current.get();
    if (l == null || l.leadership().lost().isDone()) {
      throw Status.UNAVAILABLE
          .withDescription(
              "this curator is not the leader"
                  + whoLeads.get().map(w -> "; the leader is " + w).orElse("")
                  + "; find it with CuratorLocal.GetCurrentLeader")
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
