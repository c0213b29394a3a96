package dev.metropolis.osbase.supervisor;

import dev.metropolis.osbase.logtree.DN;
import java.util.List;

/**
 * What {@link Supervisor#shutdown} achieved within its bound.
 *
 * @param hung the runnables still running when the bound ran out, sorted; empty when clean
 */
public record ShutdownResult(List<DN> hung) {
  public ShutdownResult {
    hung = List.copyOf(hung);
  }

  /** Whether every runnable exited within the bound. */
  public boolean clean() {
    return hung.isEmpty();
  }
}
