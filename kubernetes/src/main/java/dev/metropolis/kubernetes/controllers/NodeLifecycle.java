package dev.metropolis.kubernetes.controllers;

import dev.metropolis.kubernetes.objects.Kube;
import dev.metropolis.kubernetes.objects.Placement;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.NodeCondition;
import io.fabric8.kubernetes.api.model.NodeConditionBuilder;
import io.fabric8.kubernetes.api.model.NodeStatus;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Taint;
import io.fabric8.kubernetes.api.model.Toleration;
import io.fabric8.kubernetes.api.model.coordination.v1.Lease;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Node lifecycle from the node Leases in kube-node-lease (name = node name): a node whose Lease was
 * not renewed for the grace period (40 s) gets Ready=Unknown (NodeStatusUnknown) and the taints
 * {@code node.kubernetes.io/unreachable} NoSchedule and NoExecute; when its Lease is renewed again
 * they go and Ready returns to True. Pods bound to a node with the NoExecute taint are deleted once
 * their toleration of it runs out: tolerationSeconds if they tolerate it, the pod eviction timeout
 * (300 s, upstream's DefaultTolerationSeconds) if they do not, never if they tolerate it without a
 * limit.
 */
final class NodeLifecycle implements Controller {
  static final String LEASE_NAMESPACE = "kube-node-lease";
  static final String UNKNOWN_REASON = "NodeStatusUnknown";
  private static final String COMPONENT = "node-controller";
  private final Kube kube;
  private final Duration grace;
  private final Duration evictionTimeout;

  NodeLifecycle(Kube kube, Duration grace, Duration evictionTimeout) {
    this.kube = kube;
    this.grace = grace;
    this.evictionTimeout = evictionTimeout;
  }

  @Override
  public void sync() {
    List<Node> nodes = kube.client().nodes().list().getItems();
    if (nodes.isEmpty()) {
      return;
    }
    Map<String, Lease> leases = new HashMap<>();
    for (Lease l : kube.client().leases().inNamespace(LEASE_NAMESPACE).list().getItems()) {
      leases.put(l.getMetadata().getName(), l);
    }
    Instant now = kube.now();
    List<Pod> pods = null;
    for (Node n : nodes) {
      boolean stale =
          lastHeartbeat(n, leases.get(n.getMetadata().getName())).plus(grace).isBefore(now);
      if (stale) {
        markUnreachable(n);
      } else {
        markReachable(n);
      }
      Optional<Taint> noExecute =
          Placement.taints(n).stream()
              .filter(t ->
                  Placement.UNREACHABLE.equals(t.getKey()) && "NoExecute".equals(t.getEffect()))
              .findFirst();
      if (stale && noExecute.isPresent()) {
        if (pods == null) {
          pods = kube.client().pods().inAnyNamespace().list().getItems();
        }
        evict(n, noExecute.get(), pods, now);
      }
    }
  }

  /** When the node last showed life: its Lease's renewTime, or its creation if it has none. */
  private static Instant lastHeartbeat(Node n, Lease lease) {
    if (lease != null && lease.getSpec() != null && lease.getSpec().getRenewTime() != null) {
      return lease.getSpec().getRenewTime().toInstant();
    }
    return Instant.parse(n.getMetadata().getCreationTimestamp());
  }

  private void markUnreachable(Node n) {
    Optional<NodeCondition> ready = Placement.condition(n, "Ready");
    if (ready.isEmpty() || !"Unknown".equals(ready.get().getStatus())) {
      setReady(n, "Unknown", UNKNOWN_REASON, "Kubelet stopped posting node status.");
      kube.event(
          n,
          "Normal",
          "NodeNotReady",
          "Node " + n.getMetadata().getName() + " status is now: NodeNotReady",
          COMPONENT);
      n = kube.client().nodes().withName(n.getMetadata().getName()).get();
    }
    List<Taint> taints = new ArrayList<>(Placement.taints(n));
    boolean changed = false;
    for (String effect : List.of("NoSchedule", "NoExecute")) {
      if (taints.stream()
          .noneMatch(
              t -> Placement.UNREACHABLE.equals(t.getKey()) && effect.equals(t.getEffect()))) {
        taints.add(
            new Taint(
                effect,
                Placement.UNREACHABLE,
                effect.equals("NoExecute") ? kube.timestamp() : null,
                null));
        changed = true;
      }
    }
    if (changed) {
      n.getSpec().setTaints(taints);
      kube.client().nodes().resource(n).update();
    }
  }

  private void markReachable(Node n) {
    Optional<NodeCondition> ready = Placement.condition(n, "Ready");
    if (ready.isPresent() && UNKNOWN_REASON.equals(ready.get().getReason())) {
      setReady(n, "True", "NodeLeaseRenewed", "The node renewed its Lease.");
      kube.event(
          n,
          "Normal",
          "NodeReady",
          "Node " + n.getMetadata().getName() + " status is now: NodeReady",
          COMPONENT);
      n = kube.client().nodes().withName(n.getMetadata().getName()).get();
    }
    List<Taint> taints = new ArrayList<>(Placement.taints(n));
    if (taints.removeIf(t -> Placement.UNREACHABLE.equals(t.getKey()))) {
      n.getSpec().setTaints(taints);
      kube.client().nodes().resource(n).update();
    }
  }

  private void setReady(Node n, String status, String reason, String message) {
    NodeStatus s = n.getStatus() == null ? new NodeStatus() : n.getStatus();
    List<NodeCondition> conditions =
        new ArrayList<>(s.getConditions() == null ? List.of() : s.getConditions());
    Optional<NodeCondition> old =
        conditions.stream().filter(c -> "Ready".equals(c.getType())).findFirst();
    conditions.removeIf(c -> "Ready".equals(c.getType()));
    conditions.add(
        new NodeConditionBuilder()
            .withType("Ready")
            .withStatus(status)
            .withReason(reason)
            .withMessage(message)
            .withLastHeartbeatTime(old.map(NodeCondition::getLastHeartbeatTime).orElse(null))
            .withLastTransitionTime(kube.timestamp())
            .build());
    s.setConditions(conditions);
    n.setStatus(s);
    kube.client().nodes().resource(n).updateStatus();
  }

  private void evict(Node n, Taint taint, List<Pod> pods, Instant now) {
    Instant added = taint.getTimeAdded() == null ? now : Instant.parse(taint.getTimeAdded());
    for (Pod p : pods) {
      if (!n.getMetadata().getName().equals(p.getSpec().getNodeName())
          || p.getMetadata().getDeletionTimestamp() != null) {
        continue;
      }
      Optional<Toleration> t = Placement.toleration(Placement.tolerations(p), taint);
      Duration allowed;
      if (t.isEmpty()) {
        allowed = evictionTimeout;
      } else if (t.get().getTolerationSeconds() == null) {
        continue;
      } else {
        allowed = Duration.ofSeconds(Math.max(0, t.get().getTolerationSeconds()));
      }
      if (!added.plus(allowed).isAfter(now)) {
        kube.client().pods().inNamespace(p.getMetadata().getNamespace()).resource(p).delete();
        kube.event(
            p,
            "Normal",
            "TaintManagerEviction",
            "Marking for deletion Pod "
                + p.getMetadata().getNamespace()
                + "/"
                + p.getMetadata().getName(),
            "taint-eviction-controller");
      }
    }
  }
}
