package dev.metropolis.kubernetes.apiserver.registry;

import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.Namespace;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceAccount;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.ReplicaSet;
import io.fabric8.kubernetes.api.model.coordination.v1.Lease;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/** The table of kinds this server serves. Adding a kind is adding a row. */
public final class Registry {
  private final List<ResourceType> types;
  private final Map<String, ResourceType> byGvr = new LinkedHashMap<>();

  public Registry(List<ResourceType> types) {
    this.types = List.copyOf(types);
    for (ResourceType t : types) {
      byGvr.put(t.group() + "/" + t.version() + "/" + t.resource(), t);
    }
  }

  /** The built-in kinds. */
  public static Registry builtin() {
    List<ResourceType> t = new ArrayList<>();
    Set<String> status = Set.of("status");
    t.add(
        core(
            "namespaces",
            "namespace",
            "Namespace",
            false,
            List.of("ns"),
            List.of(),
            status,
            Namespace.class,
            Columns.namespaces()));
    t.add(
        core(
            "nodes",
            "node",
            "Node",
            false,
            List.of("no"),
            List.of(),
            status,
            Node.class,
            Columns.nodes()));
    t.add(
        core(
            "pods",
            "pod",
            "Pod",
            true,
            List.of("po"),
            List.of("all"),
            status,
            Pod.class,
            Columns.pods()));
    t.add(
        core(
            "services",
            "service",
            "Service",
            true,
            List.of("svc"),
            List.of("all"),
            status,
            Service.class,
            Columns.services()));
    t.add(
        core(
            "configmaps",
            "configmap",
            "ConfigMap",
            true,
            List.of("cm"),
            List.of(),
            Set.of(),
            ConfigMap.class,
            Columns.configMaps()));
    t.add(
        core(
            "secrets",
            "secret",
            "Secret",
            true,
            List.of(),
            List.of(),
            Set.of(),
            Secret.class,
            Columns.secrets()));
    t.add(
        core(
            "serviceaccounts",
            "serviceaccount",
            "ServiceAccount",
            true,
            List.of("sa"),
            List.of(),
            Set.of(),
            ServiceAccount.class,
            Columns.serviceAccounts()));
    t.add(
        core(
            "events",
            "event",
            "Event",
            true,
            List.of("ev"),
            List.of(),
            Set.of(),
            Event.class,
            Columns.events()));
    t.add(
        new ResourceType(
            "coordination.k8s.io",
            "v1",
            "leases",
            "lease",
            "Lease",
            true,
            List.of(),
            List.of(),
            Set.of(),
            Lease.class,
            Columns.leases(),
            ResourceType.VERBS));
    t.add(
        new ResourceType(
            "apps",
            "v1",
            "deployments",
            "deployment",
            "Deployment",
            true,
            List.of("deploy"),
            List.of("all"),
            Set.of("status", "scale"),
            Deployment.class,
            Columns.deployments(),
            ResourceType.VERBS));
    t.add(
        new ResourceType(
            "apps",
            "v1",
            "replicasets",
            "replicaset",
            "ReplicaSet",
            true,
            List.of("rs"),
            List.of("all"),
            Set.of("status", "scale"),
            ReplicaSet.class,
            Columns.replicaSets(),
            ResourceType.VERBS));
    t.add(review("authorization.k8s.io", "selfsubjectaccessreviews", "SelfSubjectAccessReview"));
    t.add(review("authorization.k8s.io", "selfsubjectrulesreviews", "SelfSubjectRulesReview"));
    t.add(review("authentication.k8s.io", "selfsubjectreviews", "SelfSubjectReview"));
    return new Registry(t);
  }

  private static ResourceType review(String group, String resource, String kind) {
    return new ResourceType(
        group,
        "v1",
        resource,
        "",
        kind,
        false,
        List.of(),
        List.of(),
        Set.of(),
        GenericKubernetesResource.class,
        Columns.generic(),
        ResourceType.CREATE_ONLY);
  }

  private static ResourceType core(
      String resource,
      String singular,
      String kind,
      boolean namespaced,
      List<String> shortNames,
      List<String> categories,
      Set<String> subresources,
      Class<?> model,
      List<Column> columns) {
    return new ResourceType(
        "",
        "v1",
        resource,
        singular,
        kind,
        namespaced,
        shortNames,
        categories,
        subresources,
        model,
        columns,
        ResourceType.VERBS);
  }

  public List<ResourceType> types() {
    return types;
  }

  public Optional<ResourceType> find(String group, String version, String resource) {
    return Optional.ofNullable(byGvr.get(group + "/" + version + "/" + resource));
  }

  /** Groups in order of first appearance, the core group ("") first. */
  public List<String> groups() {
    return types.stream().map(ResourceType::group).distinct().toList();
  }

  /** The versions served for {@code group}, preferred first. */
  public List<String> versions(String group) {
    return types.stream()
        .filter(t -> t.group().equals(group))
        .map(ResourceType::version)
        .distinct()
        .toList();
  }

  public List<ResourceType> inGroupVersion(String group, String version) {
    return types.stream()
        .filter(t -> t.group().equals(group) && t.version().equals(version))
        .toList();
  }
}
