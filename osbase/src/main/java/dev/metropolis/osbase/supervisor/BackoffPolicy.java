package dev.metropolis.osbase.supervisor;

import java.time.Duration;

/**
 * Exponential backoff for restarting DEAD runnables. Each delay is the current interval randomised
 * by ±{@code randomization}; the interval then grows by {@code multiplier} up to {@code
 * maxInterval}. As in the reference (cenkalti/backoff defaults), the cap applies to the interval
 * before randomisation, so a single delay can reach {@code maxInterval × (1 + randomization)}.
 * There is no overall give-up.
 */
public record BackoffPolicy(
    Duration initialInterval, double multiplier, double randomization, Duration maxInterval) {
  /** 0.5 s initial, ×1.5, ±50 %, intervals capped at 60 s. */
  public static final BackoffPolicy DEFAULT =
      new BackoffPolicy(Duration.ofMillis(500), 1.5, 0.5, Duration.ofSeconds(60));

  public BackoffPolicy {
    if (initialInterval.isNegative() || initialInterval.isZero()) {
      throw new IllegalArgumentException("initial interval must be positive");
    }
    if (!(multiplier >= 1.0)) {
      throw new IllegalArgumentException("multiplier must be at least 1");
    }
    if (!(randomization >= 0.0 && randomization <= 1.0)) {
      throw new IllegalArgumentException("randomization must be within [0, 1]");
    }
    if (maxInterval.compareTo(initialInterval) < 0) {
      throw new IllegalArgumentException("max interval must not be below the initial interval");
    }
  }
}
