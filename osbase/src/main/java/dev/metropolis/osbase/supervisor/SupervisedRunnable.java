package dev.metropolis.osbase.supervisor;

/**
 * A long-running piece of work in the supervision tree: a function of a {@link Context} that runs
 * until it is cancelled or fails. It declares its children during setup, signals Healthy when
 * serving, and never swallows a failure to stay alive: it throws, and is restarted.
 *
 * <p>Named {@code SupervisedRunnable} rather than {@code Runnable} so that it does not shadow
 * {@link java.lang.Runnable}.
 */
@FunctionalInterface
public interface SupervisedRunnable {
  /**
   * Runs until done, cancelled or failed.
   *
   * <ul>
   *   <li>Returning after {@link Context#signalDone()} counts as DONE: it is not restarted.
   *   <li>Returning or throwing after the context was cancelled counts as CANCELED.
   *   <li>Anything else (throwing, or returning without Done) counts as DEAD: the error is logged
   *       at FATAL, the subtree and the group siblings are cancelled, and the runnable is restarted
   *       with exponential backoff.
   * </ul>
   */
  void run(Context ctx) throws Exception;
}
