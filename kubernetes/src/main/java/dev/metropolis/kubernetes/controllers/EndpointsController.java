package dev.metropolis.kubernetes.controllers;

import dev.metropolis.kubernetes.objects.Kube;
import dev.metropolis.kubernetes.objects.Pods;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerPort;
import io.fabric8.kubernetes.api.model.EndpointAddress;
import io.fabric8.kubernetes.api.model.EndpointAddressBuilder;
import io.fabric8.kubernetes.api.model.EndpointPort;
import io.fabric8.kubernetes.api.model.EndpointPortBuilder;
import io.fabric8.kubernetes.api.model.EndpointSubset;
import io.fabric8.kubernetes.api.model.Endpoints;
import io.fabric8.kubernetes.api.model.EndpointsBuilder;
import io.fabric8.kubernetes.api.model.ObjectReference;
import io.fabric8.kubernetes.api.model.ObjectReferenceBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServicePort;
import io.fabric8.kubernetes.api.model.discovery.v1.Endpoint;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointBuilder;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSliceBuilder;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Endpoints and EndpointSlices (discovery.k8s.io/v1) of every Service with a selector, from the
 * pods it selects that have a podIP: ready addresses by the pod's Ready condition, the others as
 * not ready (all ready with publishNotReadyAddresses). Pods whose named target port resolves
 * differently land in different subsets and slices. Both carry the Service as controller owner.
 */
final class EndpointsController implements Controller {
  static final String SERVICE_NAME = "kubernetes.io/service-name";
  static final String MANAGED_BY = "endpointslice.kubernetes.io/managed-by";
  static final String MANAGER = "endpointslice-controller.k8s.io";
  private final Kube kube;

  EndpointsController(Kube kube) {
    this.kube = kube;
  }

  @Override
  public void sync() {
    List<Service> services = kube.client().services().inAnyNamespace().list().getItems();
    if (services.isEmpty()) {
      return;
    }
    List<Pod> pods = kube.client().pods().inAnyNamespace().list().getItems();
    Map<String, Endpoints> endpoints = new HashMap<>();
    for (Endpoints e : kube.client().endpoints().inAnyNamespace().list().getItems()) {
      endpoints.put(e.getMetadata().getNamespace() + "/" + e.getMetadata().getName(), e);
    }
    List<EndpointSlice> slices =
        kube.client()
            .discovery()
            .v1()
            .endpointSlices()
            .inAnyNamespace()
            .withLabel(MANAGED_BY, MANAGER)
            .list()
            .getItems();
    for (Service s : services) {
      Map<String, String> selector = s.getSpec().getSelector();
      if (selector == null || selector.isEmpty() || "ExternalName".equals(s.getSpec().getType())) {
        continue;
      }
      sync(
          s,
          pods,
          endpoints.get(s.getMetadata().getNamespace() + "/" + s.getMetadata().getName()),
          slices);
    }
  }

  /** The pods of one port resolution: ready and not ready. */
  private record Group(List<EndpointPort> ports, List<Pod> ready, List<Pod> notReady) {}

  private void sync(Service s, List<Pod> all, Endpoints current, List<EndpointSlice> allSlices) {
    String ns = s.getMetadata().getNamespace();
    boolean publishNotReady = Boolean.TRUE.equals(s.getSpec().getPublishNotReadyAddresses());
    Map<List<EndpointPort>, Group> groups = new LinkedHashMap<>();
    List<Pod> selected = new ArrayList<>();
    for (Pod p : all) {
      if (ns.equals(p.getMetadata().getNamespace())
          && Pods.matches(s.getSpec().getSelector(), p.getMetadata().getLabels())
          && p.getMetadata().getDeletionTimestamp() == null
          && p.getStatus() != null
          && p.getStatus().getPodIP() != null
          && !p.getStatus().getPodIP().isEmpty()
          && Pods.isActive(p)) {
        selected.add(p);
      }
    }
    selected.sort(Comparator.comparing(p -> p.getStatus().getPodIP()));
    for (Pod p : selected) {
      List<EndpointPort> ports = ports(s, p);
      Group g =
          groups.computeIfAbsent(ports, k -> new Group(k, new ArrayList<>(), new ArrayList<>()));
      (publishNotReady || Pods.isReady(p) ? g.ready() : g.notReady()).add(p);
    }
    List<EndpointSubset> subsets = new ArrayList<>();
    for (Group g : groups.values()) {
      EndpointSubset subset = new EndpointSubset();
      subset.setAddresses(
          g.ready().isEmpty()
              ? null
              : g.ready().stream().map(EndpointsController::address).toList());
      subset.setNotReadyAddresses(
          g.notReady().isEmpty()
              ? null
              : g.notReady().stream().map(EndpointsController::address).toList());
      subset.setPorts(g.ports().isEmpty() ? null : g.ports());
      subsets.add(subset);
    }
    Map<String, String> labels =
        new HashMap<>(s.getMetadata().getLabels() == null ? Map.of() : s.getMetadata().getLabels());
    Endpoints want =
        new EndpointsBuilder()
            .withNewMetadata()
            .withName(s.getMetadata().getName())
            .withNamespace(ns)
            .withLabels(labels)
            .withOwnerReferences(Pods.controllerRef(s))
            .endMetadata()
            .withSubsets(subsets.isEmpty() ? null : subsets)
            .build();
    if (current == null) {
      kube.client().endpoints().inNamespace(ns).resource(want).create();
    } else if (!java.util.Objects.equals(current.getSubsets(), want.getSubsets())
        || !java.util.Objects.equals(current.getMetadata().getLabels(), labels)) {
      want.getMetadata().setResourceVersion(current.getMetadata().getResourceVersion());
      kube.client().endpoints().inNamespace(ns).resource(want).update();
    }
    syncSlices(s, groups.values(), allSlices);
  }

  private void syncSlices(
      Service s, java.util.Collection<Group> groups, List<EndpointSlice> allSlices) {
    String ns = s.getMetadata().getNamespace();
    Map<String, EndpointSlice> existing = new HashMap<>();
    for (EndpointSlice e : allSlices) {
      if (ns.equals(e.getMetadata().getNamespace())
          && s.getMetadata().getName().equals(e.getMetadata().getLabels().get(SERVICE_NAME))) {
        existing.put(e.getMetadata().getName(), e);
      }
    }
    List<Group> wanted = new ArrayList<>(groups);
    if (wanted.isEmpty()) {
      wanted.add(new Group(List.of(), List.of(), List.of())); // upstream keeps one empty slice
    }
    Set<String> keep = new HashSet<>();
    for (Group g : wanted) {
      String name =
          s.getMetadata().getName() + "-" + Integer.toHexString(g.ports().hashCode() & 0xfffff);
      keep.add(name);
      List<Endpoint> endpoints = new ArrayList<>();
      for (Pod p : g.ready()) {
        endpoints.add(endpoint(p, true));
      }
      for (Pod p : g.notReady()) {
        endpoints.add(endpoint(p, false));
      }
      EndpointSlice want =
          new EndpointSliceBuilder()
              .withNewMetadata()
              .withName(name)
              .withNamespace(ns)
              .withLabels(Map.of(SERVICE_NAME, s.getMetadata().getName(), MANAGED_BY, MANAGER))
              .withOwnerReferences(Pods.controllerRef(s))
              .endMetadata()
              .withAddressType("IPv4")
              .withEndpoints(endpoints)
              .withPorts(
                  g.ports().stream()
                      .map(p ->
                          new io.fabric8.kubernetes.api.model.discovery.v1.EndpointPortBuilder()
                              .withName(p.getName())
                              .withPort(p.getPort())
                              .withProtocol(p.getProtocol())
                              .build())
                      .toList())
              .build();
      EndpointSlice have = existing.get(name);
      var op = kube.client().discovery().v1().endpointSlices().inNamespace(ns);
      if (have == null) {
        op.resource(want).create();
      } else if (!java.util.Objects.equals(have.getEndpoints(), want.getEndpoints())
          || !java.util.Objects.equals(have.getPorts(), want.getPorts())) {
        want.getMetadata().setResourceVersion(have.getMetadata().getResourceVersion());
        op.resource(want).update();
      }
    }
    for (var e : existing.entrySet()) {
      if (!keep.contains(e.getKey())) {
        kube.client()
            .discovery()
            .v1()
            .endpointSlices()
            .inNamespace(ns)
            .resource(e.getValue())
            .delete();
      }
    }
  }

  private static ObjectReference podRef(Pod p) {
    return new ObjectReferenceBuilder()
        .withKind("Pod")
        .withNamespace(p.getMetadata().getNamespace())
        .withName(p.getMetadata().getName())
        .withUid(p.getMetadata().getUid())
        .build();
  }

  private static EndpointAddress address(Pod p) {
    return new EndpointAddressBuilder()
        .withIp(p.getStatus().getPodIP())
        .withNodeName(p.getSpec().getNodeName())
        .withTargetRef(podRef(p))
        .build();
  }

  private static Endpoint endpoint(Pod p, boolean ready) {
    return new EndpointBuilder()
        .withAddresses(p.getStatus().getPodIP())
        .withNewConditions()
        .withReady(ready)
        .withServing(ready)
        .withTerminating(false)
        .endConditions()
        .withNodeName(p.getSpec().getNodeName())
        .withTargetRef(podRef(p))
        .build();
  }

  /** The service's ports resolved against one pod (a named targetPort by its container ports). */
  private static List<EndpointPort> ports(Service s, Pod p) {
    List<EndpointPort> out = new ArrayList<>();
    if (s.getSpec().getPorts() == null) {
      return out;
    }
    for (ServicePort sp : s.getSpec().getPorts()) {
      Integer port = null;
      Object target = sp.getTargetPort() == null ? null : sp.getTargetPort().getValue();
      if (target == null) {
        port = sp.getPort();
      } else if (target instanceof Number n) {
        port = n.intValue();
      } else if (target.toString().matches("[0-9]+")) {
        port = Integer.parseInt(target.toString());
      } else {
        for (Container c : p.getSpec().getContainers()) {
          for (ContainerPort cp : c.getPorts() == null ? List.<ContainerPort>of() : c.getPorts()) {
            if (target.toString().equals(cp.getName())) {
              port = cp.getContainerPort();
            }
          }
        }
      }
      if (port != null) {
        out.add(
            new EndpointPortBuilder()
                .withName(sp.getName())
                .withPort(port)
                .withProtocol(sp.getProtocol())
                .build());
      }
    }
    return out;
  }
}
