package dev.metropolis.kubernetes.apiserver.registry;

import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Endpoints;
import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.LimitRange;
import io.fabric8.kubernetes.api.model.Namespace;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.PersistentVolume;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaim;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.ResourceQuota;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceAccount;
import io.fabric8.kubernetes.api.model.apps.DaemonSet;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.ReplicaSet;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.kubernetes.api.model.batch.v1.CronJob;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.fabric8.kubernetes.api.model.coordination.v1.Lease;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import io.fabric8.kubernetes.api.model.networking.v1.Ingress;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy;
import io.fabric8.kubernetes.api.model.rbac.ClusterRole;
import io.fabric8.kubernetes.api.model.rbac.ClusterRoleBinding;
import io.fabric8.kubernetes.api.model.rbac.Role;
import io.fabric8.kubernetes.api.model.rbac.RoleBinding;
import io.fabric8.kubernetes.api.model.scheduling.v1.PriorityClass;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
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

  /** The built-in kinds, in discovery order; the kind name is the fabric8 class's name. */
  public static Registry builtin() {
    return new Registry(
        List.of(
            row("v1", "namespaces", Namespace.class)
                .cluster()
                .shortNames("ns")
                .status()
                .subresource("finalize")
                .columns(Columns.namespaces())
                .build(),
            row("v1", "nodes", Node.class)
                .cluster()
                .shortNames("no")
                .status()
                .columns(Columns.nodes())
                .build(),
            row("v1", "pods", Pod.class)
                .shortNames("po")
                .all()
                .status()
                .subresource("binding")
                .subresource("log")
                .subresource("exec")
                .subresource("attach")
                .subresource("portforward")
                .columns(Columns.pods())
                .build(),
            row("v1", "services", Service.class)
                .shortNames("svc")
                .all()
                .status()
                .columns(Columns.services())
                .build(),
            row("v1", "endpoints", Endpoints.class)
                .shortNames("ep")
                .singular("endpoints")
                .columns(Columns.endpoints())
                .build(),
            row("v1", "configmaps", ConfigMap.class)
                .shortNames("cm")
                .columns(Columns.configMaps())
                .build(),
            row("v1", "secrets", Secret.class).columns(Columns.secrets()).build(),
            row("v1", "serviceaccounts", ServiceAccount.class)
                .shortNames("sa")
                .columns(Columns.serviceAccounts())
                .build(),
            row("v1", "events", Event.class).shortNames("ev").columns(Columns.events()).build(),
            row("v1", "persistentvolumes", PersistentVolume.class)
                .cluster()
                .shortNames("pv")
                .status()
                .build(),
            row("v1", "persistentvolumeclaims", PersistentVolumeClaim.class)
                .shortNames("pvc")
                .status()
                .build(),
            row("v1", "resourcequotas", ResourceQuota.class).shortNames("quota").status().build(),
            row("v1", "limitranges", LimitRange.class).shortNames("limits").build(),
            row("apps/v1", "deployments", Deployment.class)
                .shortNames("deploy")
                .all()
                .status()
                .scale()
                .columns(Columns.deployments())
                .generation()
                .build(),
            row("apps/v1", "replicasets", ReplicaSet.class)
                .shortNames("rs")
                .all()
                .status()
                .scale()
                .columns(Columns.replicaSets())
                .generation()
                .build(),
            row("apps/v1", "statefulsets", StatefulSet.class)
                .shortNames("sts")
                .all()
                .status()
                .scale()
                .columns(Columns.statefulSets())
                .generation()
                .build(),
            row("apps/v1", "daemonsets", DaemonSet.class)
                .shortNames("ds")
                .all()
                .status()
                .columns(Columns.daemonSets())
                .generation()
                .build(),
            row("batch/v1", "jobs", Job.class)
                .all()
                .status()
                .columns(Columns.jobs())
                .generation()
                .build(),
            row("batch/v1", "cronjobs", CronJob.class)
                .shortNames("cj")
                .all()
                .status()
                .columns(Columns.cronJobs())
                .generation()
                .build(),
            row("coordination.k8s.io/v1", "leases", Lease.class).columns(Columns.leases()).build(),
            row("discovery.k8s.io/v1", "endpointslices", EndpointSlice.class).build(),
            row("networking.k8s.io/v1", "ingresses", Ingress.class)
                .shortNames("ing")
                .status()
                .generation()
                .build(),
            row("networking.k8s.io/v1", "networkpolicies", NetworkPolicy.class)
                .shortNames("netpol")
                .generation()
                .build(),
            row("rbac.authorization.k8s.io/v1", "roles", Role.class).build(),
            row("rbac.authorization.k8s.io/v1", "rolebindings", RoleBinding.class).build(),
            row("rbac.authorization.k8s.io/v1", "clusterroles", ClusterRole.class)
                .cluster()
                .build(),
            row("rbac.authorization.k8s.io/v1", "clusterrolebindings", ClusterRoleBinding.class)
                .cluster()
                .build(),
            row("scheduling.k8s.io/v1", "priorityclasses", PriorityClass.class)
                .cluster()
                .shortNames("pc")
                .build(),
            review(
                "authorization.k8s.io/v1", "selfsubjectaccessreviews", "SelfSubjectAccessReview"),
            review("authorization.k8s.io/v1", "selfsubjectrulesreviews", "SelfSubjectRulesReview"),
            review("authentication.k8s.io/v1", "selfsubjectreviews", "SelfSubjectReview")));
  }

  /** A review: created and answered, never stored; its body is not checked against a model. */
  private static ResourceType review(String groupVersion, String resource, String kind) {
    Row r = new Row(groupVersion, resource, kind, GenericKubernetesResource.class).cluster();
    r.verbs = ResourceType.CREATE_ONLY;
    r.singular = "";
    return r.build();
  }

  private static Row row(String groupVersion, String resource, Class<?> model) {
    return new Row(groupVersion, resource, model.getSimpleName(), model);
  }

  /** Builds one row; defaults: namespaced, no short names, NAME/AGE columns, every verb. */
  private static final class Row {
    private final String group;
    private final String version;
    private final String resource;
    private final String kind;
    private final Class<?> model;
    private String singular;
    private boolean namespaced = true;
    private List<String> shortNames = List.of();
    private List<String> categories = List.of();
    private final java.util.TreeSet<String> subresources = new java.util.TreeSet<>();
    private List<Column> columns = Columns.generic();
    private List<String> verbs = ResourceType.VERBS;
    private boolean generation;

    Row(String groupVersion, String resource, String kind, Class<?> model) {
      int slash = groupVersion.indexOf('/');
      this.group = slash < 0 ? "" : groupVersion.substring(0, slash);
      this.version = groupVersion.substring(slash + 1);
      this.resource = resource;
      this.kind = kind;
      this.model = model;
      this.singular = kind.toLowerCase(Locale.ROOT);
    }

    Row cluster() {
      namespaced = false;
      return this;
    }

    Row shortNames(String... names) {
      shortNames = List.of(names);
      return this;
    }

    Row singular(String name) {
      singular = name;
      return this;
    }

    /** In category {@code all} ({@code kubectl get all}). */
    Row all() {
      categories = List.of("all");
      return this;
    }

    /** Keeps metadata.generation: 1 on create, +1 on every change outside metadata and status. */
    Row generation() {
      generation = true;
      return this;
    }

    Row status() {
      subresources.add("status");
      return this;
    }

    /** A subresource with its own verbs (pods/binding, namespaces/finalize). */
    Row subresource(String name) {
      subresources.add(name);
      return this;
    }

    Row scale() {
      subresources.add("scale");
      return this;
    }

    Row columns(List<Column> c) {
      columns = c;
      return this;
    }

    ResourceType build() {
      return new ResourceType(
          group,
          version,
          resource,
          singular,
          kind,
          namespaced,
          shortNames,
          categories,
          Set.copyOf(subresources),
          model,
          columns,
          verbs,
          generation);
    }
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
