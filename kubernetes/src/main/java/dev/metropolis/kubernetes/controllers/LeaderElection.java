package dev.metropolis.kubernetes.controllers;

import io.fabric8.kubernetes.api.model.coordination.v1.Lease;
import io.fabric8.kubernetes.api.model.coordination.v1.LeaseBuilder;
import io.fabric8.kubernetes.api.model.coordination.v1.LeaseSpec;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.time.Clock;
import java.time.Duration;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.temporal.ChronoUnit;

/**
 * One candidate on a Lease in kube-system, as upstream's resource lock: the holder renews
 * renewTime; anyone may take the lease once renewTime + leaseDurationSeconds has passed or the
 * holder released it (empty holderIdentity). Every write is guarded by the resourceVersion, so of
 * two candidates only one wins.
 */
final class LeaderElection {
  static final String NAMESPACE = "kube-system";

  /** The outcome of one attempt. */
  enum Attempt {
    /** We hold the lease now. */
    HELD,
    /** Someone else holds it and it has not expired. */
    OTHER,
    /** The write failed (conflict or error): we do not know. */
    FAILED
  }

  private final KubernetesClient client;
  private final String name;
  private final String identity;
  private final Clock clock;
  private final Duration leaseDuration;

  LeaderElection(
      KubernetesClient client, String name, String identity, Clock clock, Duration leaseDuration) {
    this.client = client;
    this.name = name;
    this.identity = identity;
    this.clock = clock;
    this.leaseDuration = leaseDuration;
  }

  Attempt tryAcquireOrRenew() {
    ZonedDateTime now = now();
    var leases = client.leases().inNamespace(NAMESPACE);
    try {
      Lease lease = leases.withName(name).get();
      if (lease == null) {
        leases
            .resource(
                new LeaseBuilder()
                    .withNewMetadata()
                    .withName(name)
                    .withNamespace(NAMESPACE)
                    .endMetadata()
                    .withNewSpec()
                    .withHolderIdentity(identity)
                    .withLeaseDurationSeconds((int) leaseDuration.toSeconds())
                    .withAcquireTime(now)
                    .withRenewTime(now)
                    .withLeaseTransitions(0)
                    .endSpec()
                    .build())
            .create();
        return Attempt.HELD;
      }
      LeaseSpec spec = lease.getSpec() == null ? new LeaseSpec() : lease.getSpec();
      lease.setSpec(spec);
      String holder = spec.getHolderIdentity() == null ? "" : spec.getHolderIdentity();
      if (holder.equals(identity)) {
        spec.setRenewTime(now);
        spec.setLeaseDurationSeconds((int) leaseDuration.toSeconds());
        leases.resource(lease).update();
        return Attempt.HELD;
      }
      if (!holder.isEmpty() && !expired(spec, now)) {
        return Attempt.OTHER;
      }
      spec.setHolderIdentity(identity);
      spec.setLeaseDurationSeconds((int) leaseDuration.toSeconds());
      spec.setAcquireTime(now);
      spec.setRenewTime(now);
      spec.setLeaseTransitions(
          (spec.getLeaseTransitions() == null ? 0 : spec.getLeaseTransitions()) + 1);
      leases.resource(lease).update();
      return Attempt.HELD;
    } catch (KubernetesClientException e) {
      return Attempt.FAILED;
    }
  }

  private static boolean expired(LeaseSpec spec, ZonedDateTime now) {
    if (spec.getRenewTime() == null || spec.getLeaseDurationSeconds() == null) {
      return true;
    }
    return !spec.getRenewTime().plusSeconds(spec.getLeaseDurationSeconds()).isAfter(now);
  }

  /** Gives the lease up if we hold it, so that another candidate need not wait for it to expire. */
  void release() {
    try {
      Lease lease = client.leases().inNamespace(NAMESPACE).withName(name).get();
      if (lease == null
          || lease.getSpec() == null
          || !identity.equals(lease.getSpec().getHolderIdentity())) {
        return;
      }
      lease.getSpec().setHolderIdentity(null);
      lease.getSpec().setLeaseDurationSeconds(1);
      lease.getSpec().setRenewTime(now());
      client.leases().inNamespace(NAMESPACE).resource(lease).update();
    } catch (KubernetesClientException e) {
      // it expires by itself
    }
  }

  private ZonedDateTime now() {
    return clock.instant().truncatedTo(ChronoUnit.MICROS).atZone(ZoneOffset.UTC);
  }
}
