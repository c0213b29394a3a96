package dev.metropolis.kubernetes.scheduler;

import dev.metropolis.kubernetes.objects.Kube;
import dev.metropolis.kubernetes.objects.Placement;
import dev.metropolis.kubernetes.objects.Pods;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodCondition;
import io.fabric8.kubernetes.api.model.PodConditionBuilder;
import io.fabric8.kubernetes.api.model.PodStatus;
import io.fabric8.kubernetes.api.model.Taint;
import java.math.BigDecimal;
import java.math.MathContext;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * Binds pending pods (no spec.nodeName, schedulerName default-scheduler) to nodes: a node must be
 * schedulable, match the pod's nodeSelector and required node affinity, carry no NoSchedule or
 * NoExecute taint the pod does not tolerate, be Ready, and have room for the pod's cpu and memory
 * requests and one more pod. Of those it takes the least requested (requests counted as upstream's
 * non-zero defaults, 100m cpu and 200Mi, so that pods without requests spread). It binds through
 * pods/binding and records Scheduled, or sets PodScheduled=False (Unschedulable) with upstream's
 * "0/N nodes are available: ..." message and records FailedScheduling when that message changes.
 */
public final class Scheduler {
  public static final String NAME = "default-scheduler";
  private static final BigDecimal DEFAULT_CPU = new BigDecimal("0.1");
  private static final BigDecimal DEFAULT_MEMORY = BigDecimal.valueOf(200L * 1024 * 1024);
  private static final BigDecimal DEFAULT_PODS = BigDecimal.valueOf(110);

  private final Kube kube;

  public Scheduler(Kube kube) {
    this.kube = kube;
  }

  /** What is placed on a node already (requests as given, and as counted for scoring). */
  private static final class Usage {
    BigDecimal cpu = BigDecimal.ZERO;
    BigDecimal memory = BigDecimal.ZERO;
    BigDecimal scoreCpu = BigDecimal.ZERO;
    BigDecimal scoreMemory = BigDecimal.ZERO;
    int pods;

    void add(Pod p) {
      BigDecimal c = Placement.request(p, "cpu");
      BigDecimal m = Placement.request(p, "memory");
      cpu = cpu.add(c);
      memory = memory.add(m);
      scoreCpu = scoreCpu.add(c.signum() == 0 ? DEFAULT_CPU : c);
      scoreMemory = scoreMemory.add(m.signum() == 0 ? DEFAULT_MEMORY : m);
      pods++;
    }
  }

  public void sync() {
    List<Node> nodes = kube.client().nodes().list().getItems();
    List<Pod> pods = kube.client().pods().inAnyNamespace().list().getItems();
    Map<String, Usage> usage = new HashMap<>();
    for (Node n : nodes) {
      usage.put(n.getMetadata().getName(), new Usage());
    }
    List<Pod> pending = new ArrayList<>();
    for (Pod p : pods) {
      if (!Pods.isActive(p)) {
        continue;
      }
      String node = p.getSpec().getNodeName();
      if (node != null && !node.isEmpty()) {
        usage.computeIfAbsent(node, k -> new Usage()).add(p);
      } else if (p.getSpec().getSchedulerName() == null
          || p.getSpec().getSchedulerName().equals(NAME)) {
        pending.add(p);
      }
    }
    pending.sort(Comparator.comparing(p -> p.getMetadata().getCreationTimestamp()));
    for (Pod p : pending) {
      schedule(p, nodes, usage);
    }
  }

  private void schedule(Pod pod, List<Node> nodes, Map<String, Usage> usage) {
    Map<String, Integer> reasons = new TreeMap<>();
    Node best = null;
    BigDecimal bestScore = null;
    for (Node n : nodes) {
      Usage u = usage.get(n.getMetadata().getName());
      Optional<String> unfit = unfit(pod, n, u);
      if (unfit.isPresent()) {
        reasons.merge(unfit.get(), 1, Integer::sum);
        continue;
      }
      BigDecimal score = score(pod, n, u);
      if (best == null || score.compareTo(bestScore) < 0) {
        best = n;
        bestScore = score;
      }
    }
    String ns = pod.getMetadata().getNamespace();
    String name = pod.getMetadata().getName();
    if (best == null) {
      unschedulable(pod, message(nodes.size(), reasons));
      return;
    }
    String node = best.getMetadata().getName();
    String binding =
        "{\"apiVersion\":\"v1\",\"kind\":\"Binding\",\"metadata\":{\"name\":\""
            + name
            + "\",\"namespace\":\""
            + ns
            + "\",\"uid\":\""
            + pod.getMetadata().getUid()
            + "\"},\"target\":{\"apiVersion\":\"v1\",\"kind\":\"Node\",\"name\":\""
            + node
            + "\"}}";
    int code =
        kube.send("POST", "/api/v1/namespaces/" + ns + "/pods/" + name + "/binding", binding);
    if (code == 409) {
      return; // bound by someone else, or being deleted: the next pass sees it
    }
    usage.get(node).add(pod);
    kube.event(
        pod,
        "Normal",
        "Scheduled",
        "Successfully assigned " + ns + "/" + name + " to " + node,
        NAME);
  }

  /** Why {@code pod} cannot go to {@code n}, in upstream's words; empty if it can. */
  private static Optional<String> unfit(Pod pod, Node n, Usage u) {
    if (n.getSpec() != null && Boolean.TRUE.equals(n.getSpec().getUnschedulable())) {
      Taint t = new Taint("NoSchedule", Placement.UNSCHEDULABLE, null, null);
      if (Placement.toleration(Placement.tolerations(pod), t).isEmpty()) {
        return Optional.of("node(s) were unschedulable");
      }
    }
    Optional<Taint> taint = Placement.untoleratedTaint(pod, n);
    if (taint.isPresent()) {
      String v = taint.get().getValue() == null ? "" : taint.get().getValue();
      return Optional.of("node(s) had untolerated taint {" + taint.get().getKey() + ": " + v + "}");
    }
    if (!Placement.selects(pod, n)) {
      return Optional.of("node(s) didn't match Pod's node affinity/selector");
    }
    if (!Placement.isReady(n)) {
      Taint t = new Taint("NoSchedule", Placement.NOT_READY, null, null);
      if (Placement.toleration(Placement.tolerations(pod), t).isEmpty()) {
        return Optional.of("node(s) had untolerated taint {" + Placement.NOT_READY + ": }");
      }
    }
    if (u.pods + 1 > Placement.allocatable(n, "pods").orElse(DEFAULT_PODS).intValue()) {
      return Optional.of("Too many pods");
    }
    Optional<BigDecimal> cpu = Placement.allocatable(n, "cpu");
    if (cpu.isPresent() && u.cpu.add(Placement.request(pod, "cpu")).compareTo(cpu.get()) > 0) {
      return Optional.of("Insufficient cpu");
    }
    Optional<BigDecimal> mem = Placement.allocatable(n, "memory");
    if (mem.isPresent()
        && u.memory.add(Placement.request(pod, "memory")).compareTo(mem.get()) > 0) {
      return Optional.of("Insufficient memory");
    }
    return Optional.empty();
  }

  /**
   * The share of the node requested with the pod on it (lower is better): cpu and memory averaged.
   */
  private static BigDecimal score(Pod pod, Node n, Usage u) {
    BigDecimal c = Placement.request(pod, "cpu");
    BigDecimal m = Placement.request(pod, "memory");
    BigDecimal cpu = u.scoreCpu.add(c.signum() == 0 ? DEFAULT_CPU : c);
    BigDecimal memory = u.scoreMemory.add(m.signum() == 0 ? DEFAULT_MEMORY : m);
    BigDecimal cpuShare =
        share(cpu, Placement.allocatable(n, "cpu").orElse(BigDecimal.valueOf(64)));
    BigDecimal memShare =
        share(memory, Placement.allocatable(n, "memory").orElse(BigDecimal.valueOf(256L << 30)));
    return cpuShare.add(memShare);
  }

  private static BigDecimal share(BigDecimal used, BigDecimal total) {
    return total.signum() == 0 ? BigDecimal.ONE : used.divide(total, MathContext.DECIMAL64);
  }

  static String message(int nodes, Map<String, Integer> reasons) {
    if (nodes == 0) {
      return "no nodes available to schedule pods";
    }
    List<String> parts = new ArrayList<>();
    reasons.forEach((reason, count) -> parts.add(count + " " + reason));
    return "0/"
        + nodes
        + " nodes are available: "
        + String.join(", ", parts)
        + ". preemption: 0/"
        + nodes
        + " nodes are available: "
        + nodes
        + " Preemption is not helpful for scheduling.";
  }

  /** PodScheduled=False (Unschedulable) and a FailedScheduling event, once per new message. */
  private void unschedulable(Pod pod, String message) {
    Optional<PodCondition> current = Pods.condition(pod, "PodScheduled");
    if (current.isPresent()
        && "False".equals(current.get().getStatus())
        && message.equals(current.get().getMessage())) {
      return;
    }
    PodStatus status = pod.getStatus() == null ? new PodStatus() : pod.getStatus();
    List<PodCondition> conditions =
        new ArrayList<>(status.getConditions() == null ? List.of() : status.getConditions());
    conditions.removeIf(c -> "PodScheduled".equals(c.getType()));
    conditions.add(
        new PodConditionBuilder()
            .withType("PodScheduled")
            .withStatus("False")
            .withReason("Unschedulable")
            .withMessage(message)
            .withLastTransitionTime(kube.timestamp())
            .build());
    status.setConditions(conditions);
    pod.setStatus(status);
    kube.client().pods().inNamespace(pod.getMetadata().getNamespace()).resource(pod).updateStatus();
    kube.event(pod, "Warning", "FailedScheduling", message, NAME);
  }
}
