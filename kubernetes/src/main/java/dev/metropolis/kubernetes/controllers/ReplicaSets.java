package dev.metropolis.kubernetes.controllers;

import dev.metropolis.kubernetes.objects.Kube;
import dev.metropolis.kubernetes.objects.Pods;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.apps.ReplicaSet;
import io.fabric8.kubernetes.api.model.apps.ReplicaSetStatus;
import io.fabric8.kubernetes.api.model.apps.ReplicaSetStatusBuilder;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;

/**
 * ReplicaSet → pods: creates pods from the template (controller reference, generateName {@code
 * <rs>-}) until spec.replicas are active, deletes the least useful ones above it (unbound, then
 * pending, then not ready, then newest), and writes status (replicas, readyReplicas,
 * availableReplicas, observedGeneration).
 */
final class ReplicaSets implements Controller {
  private static final int BURST = 100;
  private static final String COMPONENT = "replicaset-controller";
  private final Kube kube;

  ReplicaSets(Kube kube) {
    this.kube = kube;
  }

  @Override
  public void sync() {
    List<ReplicaSet> sets = kube.client().apps().replicaSets().inAnyNamespace().list().getItems();
    List<Pod> pods = kube.client().pods().inAnyNamespace().list().getItems();
    for (ReplicaSet rs : sets) {
      if (rs.getMetadata().getDeletionTimestamp() == null) {
        sync(rs, pods);
      }
    }
  }

  private void sync(ReplicaSet rs, List<Pod> all) {
    String ns = rs.getMetadata().getNamespace();
    List<Pod> active = new ArrayList<>();
    for (Pod p : all) {
      if (Pods.controlledBy(p, rs) && Pods.isActive(p)) {
        active.add(p);
      }
    }
    int want = rs.getSpec().getReplicas() == null ? 1 : rs.getSpec().getReplicas();
    int diff = want - active.size();
    for (int i = 0; i < Math.min(diff, BURST); i++) {
      active.add(
          OwnedPods.create(
              kube,
              rs,
              Pods.fromTemplate(
                  rs.getSpec().getTemplate(), rs, rs.getMetadata().getName() + "-", Map.of()),
              COMPONENT));
    }
    if (diff < 0) {
      active.sort(deletionOrder());
      for (Pod p : List.copyOf(active.subList(0, -diff))) {
        OwnedPods.delete(kube, rs, p, COMPONENT);
        active.remove(p);
      }
    }
    int minReady =
        rs.getSpec().getMinReadySeconds() == null ? 0 : rs.getSpec().getMinReadySeconds();
    int ready = (int) active.stream().filter(Pods::isReady).count();
    int available =
        (int) active.stream().filter(p -> Pods.isAvailable(p, minReady, kube.now())).count();
    ReplicaSetStatus status =
        new ReplicaSetStatusBuilder()
            .withReplicas(active.size())
            .withFullyLabeledReplicas(active.size())
            .withReadyReplicas(ready)
            .withAvailableReplicas(available)
            .withObservedGeneration(rs.getMetadata().getGeneration())
            .build();
    if (!status.equals(rs.getStatus())) {
      rs.setStatus(status);
      kube.client().apps().replicaSets().inNamespace(ns).resource(rs).updateStatus();
    }
  }

  /** Which pods go first when scaling down: unbound, pending, not ready, then the newest. */
  static Comparator<Pod> deletionOrder() {
    return Comparator.<Pod, Boolean>comparing(
            p -> p.getSpec().getNodeName() != null && !p.getSpec().getNodeName().isEmpty())
        .thenComparing(p -> !Pods.phase(p).equals("Pending"))
        .thenComparing(Pods::isReady)
        .thenComparing(p -> p.getMetadata().getCreationTimestamp(), Comparator.reverseOrder());
  }
}
