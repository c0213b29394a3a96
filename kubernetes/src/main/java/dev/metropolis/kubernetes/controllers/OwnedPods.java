package dev.metropolis.kubernetes.controllers;

import dev.metropolis.kubernetes.objects.Kube;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Pod;
import java.util.function.UnaryOperator;

/** A controller's pod writes, each with the event upstream's controllers record on the owner. */
final class OwnedPods {
  private OwnedPods() {}

  /** Creates {@code pod}; the event says "Created pod: NAME" (the ReplicaSet controller's). */
  static Pod create(Kube kube, HasMetadata owner, Pod pod, String component) {
    return create(kube, owner, pod, component, name -> "Created pod: " + name);
  }

  /** Creates {@code pod}; the event's message is {@code message} of the pod's name. */
  static Pod create(
      Kube kube, HasMetadata owner, Pod pod, String component, UnaryOperator<String> message) {
    Pod made =
        kube.client().pods().inNamespace(owner.getMetadata().getNamespace()).resource(pod).create();
    kube.event(
        owner,
        "Normal",
        "SuccessfulCreate",
        message.apply(made.getMetadata().getName()),
        component);
    return made;
  }

  /** Deletes {@code p}; the event says "Deleted pod: NAME". */
  static void delete(Kube kube, HasMetadata owner, Pod p, String component) {
    delete(kube, owner, p, component, name -> "Deleted pod: " + name);
  }

  /** Deletes {@code p}; the event's message is {@code message} of the pod's name. */
  static void delete(
      Kube kube, HasMetadata owner, Pod p, String component, UnaryOperator<String> message) {
    kube.client().pods().inNamespace(p.getMetadata().getNamespace()).resource(p).delete();
    kube.event(
        owner, "Normal", "SuccessfulDelete", message.apply(p.getMetadata().getName()), component);
  }
}
