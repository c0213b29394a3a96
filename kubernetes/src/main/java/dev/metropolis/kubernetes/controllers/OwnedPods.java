package dev.metropolis.kubernetes.controllers;

import dev.metropolis.kubernetes.objects.Kube;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Pod;

/** A controller's pod writes, each with the event upstream's controllers record on the owner. */
final class OwnedPods {
  private OwnedPods() {}

  static Pod create(Kube kube, HasMetadata owner, Pod pod, String component) {
    Pod made =
        kube.client().pods().inNamespace(owner.getMetadata().getNamespace()).resource(pod).create();
    kube.event(
        owner,
        "Normal",
        "SuccessfulCreate",
        "Created pod: " + made.getMetadata().getName(),
        component);
    return made;
  }

  static void delete(Kube kube, HasMetadata owner, Pod p, String component) {
    kube.client().pods().inNamespace(p.getMetadata().getNamespace()).resource(p).delete();
    kube.event(
        owner,
        "Normal",
        "SuccessfulDelete",
        "Deleted pod: " + p.getMetadata().getName(),
        component);
  }
}
