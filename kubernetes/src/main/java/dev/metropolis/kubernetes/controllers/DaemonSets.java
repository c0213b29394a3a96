package dev.metropolis.kubernetes.controllers;

import dev.metropolis.kubernetes.objects.Kube;
import dev.metropolis.kubernetes.objects.Placement;
import dev.metropolis.kubernetes.objects.Pods;
import io.fabric8.kubernetes.api.model.AffinityBuilder;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.NodeSelectorRequirement;
import io.fabric8.kubernetes.api.model.NodeSelectorRequirementBuilder;
import io.fabric8.kubernetes.api.model.NodeSelectorTerm;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodTemplateSpec;
import io.fabric8.kubernetes.api.model.Toleration;
import io.fabric8.kubernetes.api.model.TolerationBuilder;
import io.fabric8.kubernetes.api.model.apps.DaemonSet;
import io.fabric8.kubernetes.api.model.apps.DaemonSetStatus;
import io.fabric8.kubernetes.api.model.apps.DaemonSetStatusBuilder;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * DaemonSet → one pod per eligible node (nodeSelector, required affinity, taints the pod does not
 * tolerate), pinned as upstream by required node affinity on {@code metadata.name} and placed by
 * the scheduler; the daemon tolerations upstream adds (not-ready, unreachable, unschedulable, ...)
 * are added. Pods on nodes no longer eligible go; RollingUpdate replaces pods of an older template
 * (unavailable ones at once, available ones within maxUnavailable). Status as upstream's.
 */
final class DaemonSets implements Controller {
  static final String REVISION_HASH = "controller-revision-hash";
  private static final String COMPONENT = "daemonset-controller";
  private final Kube kube;

  DaemonSets(Kube kube) {
    this.kube = kube;
  }

  @Override
  public void sync() {
    List<DaemonSet> sets = kube.client().apps().daemonSets().inAnyNamespace().list().getItems();
    if (sets.isEmpty()) {
      return;
    }
    List<Node> nodes = kube.client().nodes().list().getItems();
    List<Pod> pods = kube.client().pods().inAnyNamespace().list().getItems();
    for (DaemonSet ds : sets) {
      if (ds.getMetadata().getDeletionTimestamp() == null) {
        sync(ds, nodes, pods);
      }
    }
  }

  private static final List<Toleration> DAEMON_TOLERATIONS =
      List.of(
          toleration(Placement.NOT_READY, "NoExecute"),
          toleration(Placement.UNREACHABLE, "NoExecute"),
          toleration("node.kubernetes.io/disk-pressure", "NoSchedule"),
          toleration("node.kubernetes.io/memory-pressure", "NoSchedule"),
          toleration("node.kubernetes.io/pid-pressure", "NoSchedule"),
          toleration(Placement.UNSCHEDULABLE, "NoSchedule"));

  private static Toleration toleration(String key, String effect) {
    return new TolerationBuilder().withKey(key).withOperator("Exists").withEffect(effect).build();
  }

  /** The pod this daemon set wants on {@code node}. */
  private static Pod podFor(DaemonSet ds, String node, String hash) {
    PodTemplateSpec t = Templates.copy(ds.getSpec().getTemplate());
    List<Toleration> tolerations =
        new ArrayList<>(
            t.getSpec().getTolerations() == null ? List.of() : t.getSpec().getTolerations());
    for (Toleration d : DAEMON_TOLERATIONS) {
      if (tolerations.stream()
          .noneMatch(x -> d.getKey().equals(x.getKey()) && d.getEffect().equals(x.getEffect()))) {
        tolerations.add(d);
      }
    }
    t.getSpec().setTolerations(tolerations);
    NodeSelectorRequirement pin =
        new NodeSelectorRequirementBuilder()
            .withKey("metadata.name")
            .withOperator("In")
            .withValues(node)
            .build();
    var affinity =
        t.getSpec().getAffinity() == null
            ? new AffinityBuilder().build()
            : t.getSpec().getAffinity();
    affinity =
        new AffinityBuilder(affinity)
            .withNewNodeAffinity()
            .withNewRequiredDuringSchedulingIgnoredDuringExecution()
            .withNodeSelectorTerms(new NodeSelectorTerm(List.of(), List.of(pin)))
            .endRequiredDuringSchedulingIgnoredDuringExecution()
            .endNodeAffinity()
            .build();
    t.getSpec().setAffinity(affinity);
    Map<String, String> extra = new HashMap<>();
    extra.put(REVISION_HASH, hash);
    extra.put("pod-template-generation", String.valueOf(ds.getMetadata().getGeneration()));
    return Pods.fromTemplate(t, ds, ds.getMetadata().getName() + "-", extra);
  }

  /** The node a daemon pod is for: spec.nodeName, or the metadata.name its affinity pins. */
  static String targetNode(Pod p) {
    if (p.getSpec().getNodeName() != null && !p.getSpec().getNodeName().isEmpty()) {
      return p.getSpec().getNodeName();
    }
    var a = p.getSpec().getAffinity();
    if (a == null
        || a.getNodeAffinity() == null
        || a.getNodeAffinity().getRequiredDuringSchedulingIgnoredDuringExecution() == null) {
      return "";
    }
    for (NodeSelectorTerm term :
        a.getNodeAffinity()
            .getRequiredDuringSchedulingIgnoredDuringExecution()
            .getNodeSelectorTerms()) {
      for (NodeSelectorRequirement r :
          term.getMatchFields() == null
              ? List.<NodeSelectorRequirement>of()
              : term.getMatchFields()) {
        if ("metadata.name".equals(r.getKey())
            && "In".equals(r.getOperator())
            && r.getValues() != null
            && r.getValues().size() == 1) {
          return r.getValues().getFirst();
        }
      }
    }
    return "";
  }

  private void sync(DaemonSet ds, List<Node> nodes, List<Pod> all) {
    String ns = ds.getMetadata().getNamespace();
    String hash = Templates.hash(ds.getSpec().getTemplate());
    Map<String, List<Pod>> byNode = new HashMap<>();
    for (Pod p : all) {
      if (Pods.controlledBy(p, ds) && Pods.isActive(p)) {
        byNode.computeIfAbsent(targetNode(p), k -> new ArrayList<>()).add(p);
      }
    }
    Set<String> eligible = new HashSet<>();
    for (Node n : nodes) {
      Pod probe = podFor(ds, n.getMetadata().getName(), hash);
      if (Placement.selects(probe, n) && Placement.untoleratedTaint(probe, n).isEmpty()) {
        eligible.add(n.getMetadata().getName());
      }
    }
    int misscheduled = 0;
    List<Pod> kept = new ArrayList<>();
    for (var e : byNode.entrySet()) {
      List<Pod> here = new ArrayList<>(e.getValue());
      if (!eligible.contains(e.getKey())) {
        misscheduled += here.size();
        here.forEach(p -> delete(ds, p));
        continue;
      }
      here.sort(ReplicaSets.deletionOrder().reversed());
      kept.add(here.getFirst());
      here.subList(1, here.size()).forEach(p -> delete(ds, p)); // one per node
    }
    for (String node : eligible) {
      if (!byNode.containsKey(node)) {
        kept.add(OwnedPods.create(kube, ds, podFor(ds, node, hash), COMPONENT));
      }
    }
    int minReady =
        ds.getSpec().getMinReadySeconds() == null ? 0 : ds.getSpec().getMinReadySeconds();
    var strategy = ds.getSpec().getUpdateStrategy();
    if (strategy == null || !"OnDelete".equals(strategy.getType())) {
      int maxUnavailable =
          Templates.scaled(
              strategy == null || strategy.getRollingUpdate() == null
                  ? null
                  : strategy.getRollingUpdate().getMaxUnavailable(),
              eligible.size(),
              false,
              1);
      int unavailable =
          (int) kept.stream().filter(p -> !Pods.isAvailable(p, minReady, kube.now())).count();
      for (Pod p : List.copyOf(kept)) {
        if (hash.equals(labels(p).get(REVISION_HASH))) {
          continue;
        }
        if (!Pods.isAvailable(p, minReady, kube.now())) {
          delete(ds, p);
          kept.remove(p);
        } else if (unavailable < Math.max(1, maxUnavailable)) {
          delete(ds, p);
          kept.remove(p);
          unavailable++;
        }
      }
    }
    int ready = (int) kept.stream().filter(Pods::isReady).count();
    int available =
        (int) kept.stream().filter(p -> Pods.isAvailable(p, minReady, kube.now())).count();
    int updated =
        (int) kept.stream().filter(p -> hash.equals(labels(p).get(REVISION_HASH))).count();
    DaemonSetStatus status =
        new DaemonSetStatusBuilder()
            .withDesiredNumberScheduled(eligible.size())
            .withCurrentNumberScheduled(kept.size())
            .withNumberMisscheduled(misscheduled)
            .withNumberReady(ready)
            .withNumberAvailable(available)
            .withNumberUnavailable(Math.max(0, eligible.size() - available))
            .withUpdatedNumberScheduled(updated)
            .withObservedGeneration(ds.getMetadata().getGeneration())
            .build();
    if (!status.equals(ds.getStatus())) {
      ds.setStatus(status);
      kube.client().apps().daemonSets().inNamespace(ns).resource(ds).updateStatus();
    }
  }

  private static Map<String, String> labels(Pod p) {
    return p.getMetadata().getLabels() == null ? Map.of() : p.getMetadata().getLabels();
  }

  private void delete(DaemonSet ds, Pod p) {
    OwnedPods.delete(kube, ds, p, COMPONENT);
  }
}
