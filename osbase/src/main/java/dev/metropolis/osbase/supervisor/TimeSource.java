package dev.metropolis.osbase.supervisor;

import java.time.Duration;

/**
 * Schedules the supervisor's delayed work (backoff restarts). Injected so that tests can advance
 * time by hand instead of sleeping.
 */
public interface TimeSource {
  /** Runs {@code action} once, after {@code delay}, on some thread. */
  Scheduled schedule(Duration delay, Runnable action);

  /** A scheduled action that has not necessarily run yet. */
  interface Scheduled {
    /** Prevents the action from running if it has not started; idempotent. */
    void cancel();
  }

  /** Real time: each scheduled action waits in its own virtual thread. */
  static TimeSource system() {
    return (delay, action) -> {
      Thread t =
          Thread.ofVirtual()
              .name("supervisor-timer")
              .start(() -> {
                try {
                  Thread.sleep(delay);
                } catch (InterruptedException e) {
                  return; // cancelled
                }
                action.run();
              });
      return t::interrupt;
    };
  }
}
