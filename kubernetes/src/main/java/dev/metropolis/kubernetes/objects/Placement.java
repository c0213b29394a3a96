package dev.metropolis.kubernetes.objects;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.NodeCondition;
import io.fabric8.kubernetes.api.model.NodeSelectorRequirement;
import io.fabric8.kubernetes.api.model.NodeSelectorTerm;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.Taint;
import io.fabric8.kubernetes.api.model.Toleration;
import java.math.BigDecimal;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Where a pod may go: node readiness, taints and tolerations, node selectors and required node
 * affinity, and resource requests. Shared by the scheduler, the daemon set controller and eviction
 * on unreachable nodes.
 */
public final class Placement {
  public static final String UNREACHABLE = "node.kubernetes.io/unreachable";
  public static final String NOT_READY = "node.kubernetes.io/not-ready";
  public static final String UNSCHEDULABLE = "node.kubernetes.io/unschedulable";

  private Placement() {}

  public static Optional<NodeCondition> condition(Node n, String type) {
    if (n.getStatus() == null || n.getStatus().getConditions() == null) {
      return Optional.empty();
    }
    return n.getStatus().getConditions().stream().filter(c -> type.equals(c.getType())).findFirst();
  }

  public static boolean isReady(Node n) {
    return condition(n, "Ready").map(c -> "True".equals(c.getStatus())).orElse(false);
  }

  public static List<Taint> taints(Node n) {
    return n.getSpec() == null || n.getSpec().getTaints() == null
        ? List.of()
        : n.getSpec().getTaints();
  }

  public static List<Toleration> tolerations(Pod p) {
    return p.getSpec() == null || p.getSpec().getTolerations() == null
        ? List.of()
        : p.getSpec().getTolerations();
  }

  /** The first of {@code tolerations} that tolerates {@code taint}, if any. */
  public static Optional<Toleration> toleration(List<Toleration> tolerations, Taint taint) {
    for (Toleration t : tolerations) {
      boolean effect =
          t.getEffect() == null
              || t.getEffect().isEmpty()
              || t.getEffect().equals(taint.getEffect());
      boolean key = t.getKey() == null || t.getKey().isEmpty() || t.getKey().equals(taint.getKey());
      boolean exists = "Exists".equals(t.getOperator());
      boolean value =
          exists
              || java.util.Objects.equals(
                  t.getValue() == null ? "" : t.getValue(),
                  taint.getValue() == null ? "" : taint.getValue());
      // an empty key tolerates every taint only with operator Exists
      if (effect && key && value && ((t.getKey() != null && !t.getKey().isEmpty()) || exists)) {
        return Optional.of(t);
      }
    }
    return Optional.empty();
  }

  /** A NoSchedule or NoExecute taint the pod does not tolerate, if any. */
  public static Optional<Taint> untoleratedTaint(Pod p, Node n) {
    for (Taint taint : taints(n)) {
      if (("NoSchedule".equals(taint.getEffect()) || "NoExecute".equals(taint.getEffect()))
          && toleration(tolerations(p), taint).isEmpty()) {
        return Optional.of(taint);
      }
    }
    return Optional.empty();
  }

  /** spec.nodeSelector and required node affinity (labels, and matchFields on metadata.name). */
  public static boolean selects(Pod p, Node n) {
    Map<String, String> labels =
        n.getMetadata().getLabels() == null ? Map.of() : n.getMetadata().getLabels();
    Map<String, String> selector = p.getSpec().getNodeSelector();
    if (selector != null) {
      for (var e : selector.entrySet()) {
        if (!e.getValue().equals(labels.get(e.getKey()))) {
          return false;
        }
      }
    }
    var affinity = p.getSpec().getAffinity();
    if (affinity == null
        || affinity.getNodeAffinity() == null
        || affinity.getNodeAffinity().getRequiredDuringSchedulingIgnoredDuringExecution() == null) {
      return true;
    }
    List<NodeSelectorTerm> terms =
        affinity
            .getNodeAffinity()
            .getRequiredDuringSchedulingIgnoredDuringExecution()
            .getNodeSelectorTerms();
    if (terms == null || terms.isEmpty()) {
      return true;
    }
    for (NodeSelectorTerm term : terms) {
      if (termMatches(term, labels, n.getMetadata().getName())) {
        return true;
      }
    }
    return false;
  }

  private static boolean termMatches(
      NodeSelectorTerm term, Map<String, String> labels, String name) {
    boolean any = false;
    if (term.getMatchExpressions() != null) {
      for (NodeSelectorRequirement r : term.getMatchExpressions()) {
        any = true;
        if (!matchesRequirement(r.getOperator(), r.getValues(), labels.get(r.getKey()))) {
          return false;
        }
      }
    }
    if (term.getMatchFields() != null) {
      for (NodeSelectorRequirement r : term.getMatchFields()) {
        any = true;
        String value = "metadata.name".equals(r.getKey()) ? name : null;
        if (!matchesRequirement(r.getOperator(), r.getValues(), value)) {
          return false;
        }
      }
    }
    return any; // an empty term matches no node, as upstream
  }

  /** One selector requirement on the value of a label ({@code null}: label absent). */
  static boolean matchesRequirement(String operator, List<String> values, String value) {
    List<String> vs = values == null ? List.of() : values;
    return switch (operator) {
      case "In" -> value != null && vs.contains(value);
      case "NotIn" -> value == null || !vs.contains(value);
      case "Exists" -> value != null;
      case "DoesNotExist" -> value == null;
      case "Gt", "Lt" -> {
        if (value == null || vs.size() != 1) {
          yield false;
        }
        try {
          long have = Long.parseLong(value);
          long want = Long.parseLong(vs.getFirst());
          yield operator.equals("Gt") ? have > want : have < want;
        } catch (NumberFormatException e) {
          yield false;
        }
      }
      default -> false;
    };
  }

  /** The pod's summed container requests of {@code resource} (cpu in cores, memory in bytes). */
  public static BigDecimal request(Pod p, String resource) {
    BigDecimal sum = BigDecimal.ZERO;
    if (p.getSpec() == null || p.getSpec().getContainers() == null) {
      return sum;
    }
    for (Container c : p.getSpec().getContainers()) {
      if (c.getResources() != null && c.getResources().getRequests() != null) {
        Quantity q = c.getResources().getRequests().get(resource);
        if (q != null) {
          sum = sum.add(Quantity.getAmountInBytes(q));
        }
      }
    }
    return sum;
  }

  /** The node's allocatable {@code resource} (capacity if no allocatable), if it reports one. */
  public static Optional<BigDecimal> allocatable(Node n, String resource) {
    if (n.getStatus() == null) {
      return Optional.empty();
    }
    Map<String, Quantity> a = n.getStatus().getAllocatable();
    if (a == null || !a.containsKey(resource)) {
      a = n.getStatus().getCapacity();
    }
    if (a == null || !a.containsKey(resource)) {
      return Optional.empty();
    }
    return Optional.of(Quantity.getAmountInBytes(a.get(resource)));
  }
}
