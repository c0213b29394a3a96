package dev.metropolis.kubernetes.controllers;

import dev.metropolis.kubernetes.apiserver.registry.ResourceType;
import dev.metropolis.kubernetes.objects.Kube;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.OwnerReference;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Background garbage collection by ownerReferences: a namespaced object none of whose owners (by
 * uid) exists any more is deleted. The API server already deletes dependents when it deletes an
 * owner; this catches what that misses (an object created with an owner that was going away).
 * Before deleting, each owner is read once more, so an owner created after the lists is not
 * mistaken for a missing one. Events older than an hour go too (upstream's --event-ttl, which
 * upstream implements with etcd leases).
 */
final class GarbageCollector implements Controller {
  static final java.time.Duration EVENT_TTL = java.time.Duration.ofHours(1);
  private final Kube kube;
  private final List<ResourceType> kinds;

  GarbageCollector(Kube kube) {
    this.kube = kube;
    this.kinds = Namespaces.namespacedKinds();
  }

  @Override
  public void sync() {
    Set<String> uids = new HashSet<>();
    java.util.Map<ResourceType, List<GenericKubernetesResource>> all = new java.util.HashMap<>();
    for (ResourceType t : kinds) {
      List<GenericKubernetesResource> items =
          kube.client()
              .genericKubernetesResources(t.apiVersion(), t.kind())
              .inAnyNamespace()
              .list()
              .getItems();
      all.put(t, items);
      items.forEach(o -> uids.add(o.getMetadata().getUid()));
    }
    for (var e : all.entrySet()) {
      if (e.getKey().kind().equals("Event")) {
        expire(e.getKey(), e.getValue());
      }
      for (GenericKubernetesResource o : e.getValue()) {
        List<OwnerReference> owners = o.getMetadata().getOwnerReferences();
        if (owners == null
            || owners.isEmpty()
            || o.getMetadata().getDeletionTimestamp() != null
            || owners.stream().anyMatch(r -> uids.contains(r.getUid()) || ownerExists(o, r))) {
          continue;
        }
        try {
          kube.client()
              .genericKubernetesResources(e.getKey().apiVersion(), e.getKey().kind())
              .inNamespace(o.getMetadata().getNamespace())
              .withName(o.getMetadata().getName())
              .delete();
        } catch (KubernetesClientException ex) {
          if (ex.getCode() != 404) {
            throw ex;
          }
        }
      }
    }
  }

  private void expire(ResourceType t, List<GenericKubernetesResource> events) {
    java.time.Instant cutoff = kube.now().minus(EVENT_TTL);
    for (GenericKubernetesResource e : events) {
      Object last = e.getAdditionalProperties().get("lastTimestamp");
      String when = last instanceof String s ? s : e.getMetadata().getCreationTimestamp();
      if (when != null && java.time.Instant.parse(when).isBefore(cutoff)) {
        try {
          kube.client()
              .genericKubernetesResources(t.apiVersion(), t.kind())
              .inNamespace(e.getMetadata().getNamespace())
              .withName(e.getMetadata().getName())
              .delete();
        } catch (KubernetesClientException ex) {
          if (ex.getCode() != 404) {
            throw ex;
          }
        }
      }
    }
  }

  /** A live read of the owner: it exists with the referenced uid (cluster-scoped owners too). */
  private boolean ownerExists(GenericKubernetesResource dependent, OwnerReference ref) {
    try {
      var op = kube.client().genericKubernetesResources(ref.getApiVersion(), ref.getKind());
      GenericKubernetesResource owner =
          op.inNamespace(dependent.getMetadata().getNamespace()).withName(ref.getName()).get();
      if (owner == null) {
        owner = op.withName(ref.getName()).get();
      }
      return owner != null && ref.getUid().equals(owner.getMetadata().getUid());
    } catch (KubernetesClientException e) {
      return true; // unknown kind or an error: never delete on doubt
    }
  }
}
