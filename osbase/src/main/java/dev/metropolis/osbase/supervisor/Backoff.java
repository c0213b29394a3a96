package dev.metropolis.osbase.supervisor;

import java.time.Duration;

/** The backoff state of one runnable: a pure function of its policy and the random draws. */
final class Backoff {
  private final BackoffPolicy policy;
  private double intervalNanos;

  Backoff(BackoffPolicy policy) {
    this.policy = policy;
    reset();
  }

  /** Back to the initial interval: called when the runnable signals Healthy or Done. */
  void reset() {
    intervalNanos = policy.initialInterval().toNanos();
  }

  /** The interval the next delay will be drawn around. */
  Duration interval() {
    return Duration.ofNanos(Math.round(intervalNanos));
  }

  /**
   * The next delay, then grows the interval.
   *
   * @param random a draw from [0, 1): 0 gives the shortest delay, values near 1 the longest
   */
  Duration next(double random) {
    double delta = policy.randomization() * intervalNanos;
    double delay = intervalNanos - delta + random * 2 * delta;
    double max = policy.maxInterval().toNanos();
    if (intervalNanos >= max / policy.multiplier()) {
      intervalNanos = max;
    } else {
      intervalNanos *= policy.multiplier();
    }
    return Duration.ofNanos(Math.round(delay));
  }
}
