package dev.metropolis.kubernetes.controllers;

import static org.assertj.core.api.Assertions.assertThat;

import dev.metropolis.osbase.logtree.DN;
import dev.metropolis.osbase.logtree.LogTree;
import dev.metropolis.osbase.logtree.Logger;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.NodeBuilder;
import io.fabric8.kubernetes.api.model.NodeConditionBuilder;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.coordination.v1.Lease;
import io.fabric8.kubernetes.api.model.coordination.v1.LeaseBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;

/**
 * Test stand-ins for what does not exist yet: worker nodes (a Node object marked Ready with
 * allocatable resources, and its Lease in kube-node-lease, renewed by the test as the worker's
 * registration will), a clock the test moves, and waiting for the controllers to converge.
 */
final class Fake {
  private Fake() {}

  private static final LogTree LOGS = new LogTree();

  /** The managers' logger; what they logged is printed when a wait fails. */
  static Logger log() {
    return LOGS.logger(DN.of("controllers"));
  }

  private static void printLog() {
    try (var r =
        LOGS.read(DN.of("controllers"), dev.metropolis.osbase.logtree.ReadOptions.backlogOnly())) {
      r.backlog().forEach(e -> System.err.println("controllers: " + e));
    }
  }

  /** A clock that stands still until the test moves it. */
  static final class MovableClock extends Clock {
    private final AtomicReference<Instant> now =
        new AtomicReference<>(Instant.now().truncatedTo(ChronoUnit.SECONDS));

    void advance(Duration d) {
      now.updateAndGet(i -> i.plus(d));
    }

    @Override
    public Instant instant() {
      return now.get();
    }

    @Override
    public ZoneId getZone() {
      return ZoneOffset.UTC;
    }

    @Override
    public Clock withZone(ZoneId zone) {
      return this;
    }
  }

  /** Registers worker {@code name}: a Ready Node with 2 cpu, 4 GiB, 110 pods and a fresh Lease. */
  static void worker(KubernetesClient c, String name, Map<String, String> labels, Clock clock) {
    c.nodes()
        .resource(
            new NodeBuilder()
                .withNewMetadata()
                .withName(name)
                .withLabels(labels)
                .endMetadata()
                .withNewSpec()
                .endSpec()
                .build())
        .create();
    Map<String, Quantity> resources =
        Map.of(
            "cpu", new Quantity("2"), "memory", new Quantity("4Gi"), "pods", new Quantity("110"));
    var status =
        new io.fabric8.kubernetes.api.model.NodeStatusBuilder()
            .withConditions(
                new NodeConditionBuilder()
                    .withType("Ready")
                    .withStatus("True")
                    .withReason("KubeletReady")
                    .withMessage("kubelet is posting ready status")
                    .withLastTransitionTime(
                        clock.instant().truncatedTo(ChronoUnit.SECONDS).toString())
                    .build())
            .withAllocatable(resources)
            .withCapacity(resources)
            .build();
    // the node lifecycle controller may write the new Node first: post onto what is there now
    onConflict(() -> {
      Node current = c.nodes().withName(name).get();
      current.setStatus(status);
      c.nodes().resource(current).updateStatus();
    });
    renew(c, name, clock);
  }

  /**
   * Runs {@code write} (a read and a write of what was read) again while it meets a conflict: a
   * controller may have written the object in between, as a real kubelet's writes also meet.
   */
  static void onConflict(Runnable write) {
    for (int attempt = 1; ; attempt++) {
      try {
        write.run();
        return;
      } catch (io.fabric8.kubernetes.client.KubernetesClientException e) {
        if (e.getCode() != 409 || attempt == 20) {
          throw e;
        }
      }
    }
  }

  /** Renews (or creates) the node's Lease at the clock's now, as the worker does every 10 s. */
  static void renew(KubernetesClient c, String node, Clock clock) {
    var leases = c.leases().inNamespace(NodeLifecycle.LEASE_NAMESPACE);
    var now = clock.instant().truncatedTo(ChronoUnit.MICROS).atZone(ZoneOffset.UTC);
    Lease l = leases.withName(node).get();
    if (l == null) {
      leases
          .resource(
              new LeaseBuilder()
                  .withNewMetadata()
                  .withName(node)
                  .withNamespace(NodeLifecycle.LEASE_NAMESPACE)
                  .endMetadata()
                  .withNewSpec()
                  .withHolderIdentity(node)
                  .withLeaseDurationSeconds(40)
                  .withRenewTime(now)
                  .endSpec()
                  .build())
          .create();
    } else {
      l.getSpec().setRenewTime(now);
      leases.resource(l).update();
    }
  }

  /**
   * Waits until {@code check} holds (polling; the controllers are asynchronous) and fails with the
   * last value seen if it does not within a generous bound.
   */
  static <T> T await(String what, Supplier<T> value, java.util.function.Predicate<T> check) {
    long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    T last = null;
    while (System.nanoTime() < deadline) {
      try {
        last = value.get();
        if (check.test(last)) {
          return last;
        }
      } catch (RuntimeException e) {
        // a read that races a delete: look again
      }
      try {
        Thread.sleep(100);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new AssertionError(e);
      }
    }
    if (!check.test(last)) {
      printLog();
    }
    assertThat(last).as(what).matches(check);
    return last;
  }
}
