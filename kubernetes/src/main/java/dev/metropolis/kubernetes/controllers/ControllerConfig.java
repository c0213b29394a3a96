package dev.metropolis.kubernetes.controllers;

import dev.metropolis.osbase.logtree.Logger;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.time.Clock;
import java.time.Duration;

/**
 * What {@link ControllerManager#start} needs: a client of the API server (owned by the caller),
 * this instance's identity in leader election (the node ID in production), the clock every
 * timestamp and timeout is read from, a logger, and the timings.
 */
public record ControllerConfig(
    KubernetesClient client, String identity, Clock clock, Logger log, Timing timing) {

  public ControllerConfig {
    if (identity == null || identity.isBlank()) {
      throw new IllegalArgumentException("identity must not be empty");
    }
  }

  public ControllerConfig(KubernetesClient client, String identity, Clock clock, Logger log) {
    this(client, identity, clock, log, Timing.DEFAULT);
  }

  /**
   * Leader election on Lease {@code kube-system/<leaseName>}: held for {@code leaseDuration},
   * renewed every {@code retryPeriod}, given up by the leader when it could not renew for {@code
   * renewDeadline}. Controllers resync every {@code resync}; a node whose Lease was not renewed for
   * {@code nodeGracePeriod} is unreachable; pods on it that do not say otherwise are evicted after
   * {@code podEvictionTimeout}.
   */
  public record Timing(
      String leaseName,
      Duration leaseDuration,
      Duration renewDeadline,
      Duration retryPeriod,
      Duration resync,
      Duration nodeGracePeriod,
      Duration podEvictionTimeout) {
    public static final Timing DEFAULT =
        new Timing(
            "metropolis-controller-manager",
            Duration.ofSeconds(15),
            Duration.ofSeconds(10),
            Duration.ofSeconds(2),
            Duration.ofSeconds(5),
            Duration.ofSeconds(40),
            Duration.ofSeconds(300));

    public Timing {
      if (renewDeadline.compareTo(leaseDuration) >= 0) {
        throw new IllegalArgumentException("renewDeadline must be shorter than leaseDuration");
      }
      if (retryPeriod.compareTo(renewDeadline) >= 0) {
        throw new IllegalArgumentException("retryPeriod must be shorter than renewDeadline");
      }
    }

    public Timing withResync(Duration d) {
      return new Timing(
          leaseName,
          leaseDuration,
          renewDeadline,
          retryPeriod,
          d,
          nodeGracePeriod,
          podEvictionTimeout);
    }
  }
}
