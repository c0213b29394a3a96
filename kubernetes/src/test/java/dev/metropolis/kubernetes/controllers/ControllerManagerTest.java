package dev.metropolis.kubernetes.controllers;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.metropolis.kubernetes.apiserver.TestCluster;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.Taint;
import io.fabric8.kubernetes.api.model.coordination.v1.Lease;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Leader election between two managers, and node lifecycle on a clock the test moves. */
class ControllerManagerTest {
  /** Short leases so that the hand-over tests do not wait 15 s. */
  private static final ControllerConfig.Timing FAST =
      new ControllerConfig.Timing(
          "metropolis-controller-manager",
          Duration.ofSeconds(3),
          Duration.ofSeconds(2),
          Duration.ofMillis(200),
          Duration.ofMillis(500),
          Duration.ofSeconds(40),
          Duration.ofSeconds(300));

  private static Lease lease(KubernetesClient c) {
    return c.leases().inNamespace("kube-system").withName("metropolis-controller-manager").get();
  }

  @Test
  void onlyOneLeadsAndClosingHandsOver() throws Exception {
    try (TestCluster cluster = TestCluster.start();
        KubernetesClient c = cluster.fabric8("owner")) {
      Fake.worker(c, "worker-a", Map.of(), Clock.systemUTC());
      ControllerManager a =
          ControllerManager.start(
              new ControllerConfig(c, "node-a", Clock.systemUTC(), Fake.log(), FAST));
      ControllerManager b = null;
      try {
        Fake.await("a leads", a::leading, l -> l);
        b =
            ControllerManager.start(
                new ControllerConfig(c, "node-b", Clock.systemUTC(), Fake.log(), FAST));
        // while a renews (several of b's attempts), b never leads
        java.time.ZonedDateTime first = lease(c).getSpec().getRenewTime();
        for (int renewals = 0; renewals < 3; ) {
          assertThat(a.leading() && b.leading()).isFalse();
          assertThat(b.leading()).isFalse();
          java.time.ZonedDateTime now = lease(c).getSpec().getRenewTime();
          if (now.isAfter(first)) {
            renewals++;
            first = now;
          }
          Thread.sleep(100);
        }
        assertThat(lease(c).getSpec().getHolderIdentity()).isEqualTo("node-a");
        a.close();
        ControllerManager follower = b;
        Fake.await("b leads", follower::leading, l -> l);
        assertThat(a.leading()).isFalse();
        Lease l = lease(c);
        assertThat(l.getSpec().getHolderIdentity()).isEqualTo("node-b");
        assertThat(l.getSpec().getLeaseTransitions()).isEqualTo(1);
        // the new leader acts: a pod is scheduled
        c.pods().resource(pod("after-handover")).create();
        Fake.await(
            "bound by b",
            () -> c.pods().withName("after-handover").get().getSpec().getNodeName(),
            "worker-a"::equals);
        // someone else takes the lease (as after a partition): b stops at its next attempt
        // b renews every 200 ms, so the take-over may meet a newer version: read again and retry
        steal(c);
        Fake.await("b follows", follower::leading, leads -> !leads);
      } finally {
        a.close();
        if (b != null) {
          b.close();
        }
      }
    }
  }

  private static void steal(KubernetesClient c) {
    Fake.onConflict(() -> {
      Lease stolen = lease(c);
      stolen.getSpec().setHolderIdentity("intruder");
      stolen.getSpec().setRenewTime(java.time.ZonedDateTime.now(java.time.ZoneOffset.UTC));
      stolen.getSpec().setLeaseDurationSeconds(3600);
      c.leases().inNamespace("kube-system").resource(stolen).update();
    });
  }

  @Test
  void badConfigIsRefused() {
    assertThatThrownBy(() -> new ControllerConfig(null, " ", Clock.systemUTC(), Fake.log()))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("identity must not be empty");
    assertThatThrownBy(() ->
            new ControllerConfig.Timing(
                "x",
                Duration.ofSeconds(5),
                Duration.ofSeconds(5),
                Duration.ofSeconds(1),
                Duration.ofSeconds(1),
                Duration.ofSeconds(40),
                Duration.ofSeconds(300)))
        .hasMessage("renewDeadline must be shorter than leaseDuration");
  }

  private static Pod pod(String name) {
    return new PodBuilder()
        .withNewMetadata()
        .withName(name)
        .endMetadata()
        .withNewSpec()
        .addNewContainer()
        .withName("c")
        .withImage("busybox")
        .endContainer()
        .endSpec()
        .build();
  }

  private static boolean unreachable(Node n) {
    List<Taint> taints = n.getSpec().getTaints() == null ? List.of() : n.getSpec().getTaints();
    return taints.stream().filter(t -> t.getKey().equals("node.kubernetes.io/unreachable")).count()
        == 2;
  }

  private static String ready(Node n) {
    return n.getStatus().getConditions().stream()
        .filter(x -> x.getType().equals("Ready"))
        .map(x -> x.getStatus() + "/" + x.getReason())
        .findFirst()
        .orElse("");
  }

  @Test
  void expiredNodeLeaseTaintsTheNodeAndEvictsItsPods() throws Exception {
    Fake.MovableClock clock = new Fake.MovableClock();
    try (TestCluster cluster = TestCluster.start();
        KubernetesClient c = cluster.fabric8("owner");
        ControllerManager m =
            ControllerManager.start(new ControllerConfig(c, "node-x", clock, Fake.log(), FAST))) {
      Fake.worker(c, "worker-a", Map.of(), clock);
      Fake.await("leading", m::leading, l -> l);
      c.pods().resource(pod("plain")).create();
      Pod patient = pod("patient");
      patient
          .getSpec()
          .setTolerations(
              List.of(
                  new io.fabric8.kubernetes.api.model.TolerationBuilder()
                      .withKey("node.kubernetes.io/unreachable")
                      .withOperator("Exists")
                      .withEffect("NoExecute")
                      .build()));
      c.pods().resource(patient).create();
      Fake.await(
          "both bound",
          () -> c.pods().list().getItems(),
          l ->
              l.size() == 2
                  && l.stream().allMatch(p -> "worker-a".equals(p.getSpec().getNodeName())));

      clock.advance(Duration.ofSeconds(39)); // within the grace period: nothing happens
      clock.advance(Duration.ofSeconds(2));
      Node n =
          Fake.await(
              "unreachable",
              () -> c.nodes().withName("worker-a").get(),
              ControllerManagerTest::unreachable);
      assertThat(ready(n)).isEqualTo("Unknown/NodeStatusUnknown");
      // a new pod finds no node
      c.pods().resource(pod("late")).create();
      Fake.await(
          "late unschedulable",
          () -> c.pods().withName("late").get().getStatus().getConditions(),
          l ->
              l != null
                  && !l.isEmpty()
                  && l.getFirst().getMessage() != null
                  && l.getFirst()
                      .getMessage()
                      .startsWith(
                          "0/1 nodes are available: 1 node(s) had untolerated taint {node.kubernetes.io/unreachable: }."));
      assertThat(c.pods().withName("plain").get()).isNotNull(); // 300 s have not passed

      clock.advance(Duration.ofMinutes(5));
      Fake.await("plain evicted", () -> c.pods().withName("plain").get(), p -> p == null);
      assertThat(c.pods().withName("patient").get()).isNotNull(); // tolerates it for ever

      Fake.renew(c, "worker-a", clock);
      n =
          Fake.await(
              "reachable again",
              () -> c.nodes().withName("worker-a").get(),
              x -> x.getSpec().getTaints() == null || x.getSpec().getTaints().isEmpty());
      assertThat(ready(n)).isEqualTo("True/NodeLeaseRenewed");
      Fake.await(
          "late bound",
          () -> c.pods().withName("late").get().getSpec().getNodeName(),
          "worker-a"::equals);

      // events live an hour
      assertThat(c.v1().events().inNamespace("default").list().getItems()).isNotEmpty();
      java.time.Instant before = clock.instant();
      clock.advance(Duration.ofMinutes(61));
      Fake.await(
          "only events newer than an hour",
          () -> c.v1().events().inNamespace("default").list().getItems(),
          l ->
              l.stream()
                  .allMatch(e -> java.time.Instant.parse(e.getLastTimestamp()).isAfter(before)));
    }
  }
}
