package dev.metropolis.osbase.supervisor;

import dev.metropolis.osbase.logtree.DN;
import java.util.concurrent.CancellationException;

/**
 * Thrown by the blocking helpers of a {@link Context} once the context is cancelled. Letting it
 * propagate out of {@link SupervisedRunnable#run} is the normal way to stop.
 */
public final class Cancelled extends CancellationException {
  private static final long serialVersionUID = 1L;

  private final transient DN dn;

  public Cancelled(DN dn) {
    super(dn + ": cancelled");
    this.dn = dn;
  }

  /** The runnable whose context was cancelled. */
  public DN dn() {
    return dn;
  }
}
