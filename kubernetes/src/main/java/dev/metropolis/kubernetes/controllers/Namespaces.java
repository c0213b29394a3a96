package dev.metropolis.kubernetes.controllers;

import dev.metropolis.kubernetes.apiserver.registry.Registry;
import dev.metropolis.kubernetes.apiserver.registry.ResourceType;
import dev.metropolis.kubernetes.objects.Kube;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.Namespace;
import java.util.ArrayList;
import java.util.List;

/**
 * Namespace lifecycle: a namespace being deleted (deletionTimestamp, phase Terminating) has its
 * contents deleted kind by kind; once nothing is left, the finalizer {@code kubernetes} is removed
 * through {@code namespaces/<name>/finalize} and the API server removes the namespace.
 */
final class Namespaces implements Controller {
  static final String FINALIZER = "kubernetes";
  private final Kube kube;
  private final List<ResourceType> kinds;

  Namespaces(Kube kube) {
    this.kube = kube;
    this.kinds = namespacedKinds();
  }

  /** The namespaced kinds the API server stores (the contents of a namespace). */
  static List<ResourceType> namespacedKinds() {
    List<ResourceType> kinds = new ArrayList<>();
    for (ResourceType t : Registry.builtin().types()) {
      if (t.namespaced() && t.stored()) {
        kinds.add(t);
      }
    }
    return kinds;
  }

  @Override
  public void sync() {
    for (Namespace ns : kube.client().namespaces().list().getItems()) {
      if (ns.getMetadata().getDeletionTimestamp() != null
          && ns.getSpec() != null
          && ns.getSpec().getFinalizers() != null
          && ns.getSpec().getFinalizers().contains(FINALIZER)) {
        finish(ns);
      }
    }
  }

  private void finish(Namespace ns) {
    String name = ns.getMetadata().getName();
    boolean empty = true;
    for (ResourceType t : kinds) {
      var op = kube.client().genericKubernetesResources(t.apiVersion(), t.kind()).inNamespace(name);
      List<GenericKubernetesResource> items = op.list().getItems();
      if (!items.isEmpty()) {
        empty = false;
        op.delete();
      }
    }
    if (!empty) {
      return; // the next pass checks that everything went (objects with finalizers stay a while)
    }
    List<String> rest = new ArrayList<>(ns.getSpec().getFinalizers());
    rest.remove(FINALIZER);
    ns.getSpec().setFinalizers(rest);
    kube.send(
        "PUT",
        "/api/v1/namespaces/" + name + "/finalize",
        kube.client().getKubernetesSerialization().asJson(ns));
  }
}
