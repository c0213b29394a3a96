package dev.metropolis.kubernetes.objects;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.LabelSelector;
import io.fabric8.kubernetes.api.model.LabelSelectorRequirement;
import io.fabric8.kubernetes.api.model.OwnerReference;
import io.fabric8.kubernetes.api.model.OwnerReferenceBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.PodCondition;
import io.fabric8.kubernetes.api.model.PodTemplateSpec;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** What controllers ask of pods and owned objects: state, ownership, selectors, templates. */
public final class Pods {
  private Pods() {}

  /** Not being deleted and not finished: it counts towards a controller's replicas. */
  public static boolean isActive(Pod p) {
    String phase = p.getStatus() == null ? null : p.getStatus().getPhase();
    return p.getMetadata().getDeletionTimestamp() == null
        && !"Succeeded".equals(phase)
        && !"Failed".equals(phase);
  }

  public static String phase(Pod p) {
    return p.getStatus() == null || p.getStatus().getPhase() == null
        ? "Pending"
        : p.getStatus().getPhase();
  }

  public static Optional<PodCondition> condition(Pod p, String type) {
    if (p.getStatus() == null || p.getStatus().getConditions() == null) {
      return Optional.empty();
    }
    return p.getStatus().getConditions().stream().filter(c -> type.equals(c.getType())).findFirst();
  }

  public static boolean isReady(Pod p) {
    return condition(p, "Ready").map(c -> "True".equals(c.getStatus())).orElse(false);
  }

  /** Ready for at least {@code minReadySeconds} (upstream's "available"). */
  public static boolean isAvailable(Pod p, int minReadySeconds, Instant now) {
    Optional<PodCondition> ready = condition(p, "Ready").filter(c -> "True".equals(c.getStatus()));
    if (ready.isEmpty()) {
      return false;
    }
    if (minReadySeconds <= 0 || ready.get().getLastTransitionTime() == null) {
      return true;
    }
    Instant since = Instant.parse(ready.get().getLastTransitionTime());
    return !since.plusSeconds(minReadySeconds).isAfter(now);
  }

  /** The uid of the object's controller (the owner reference with controller=true), if any. */
  public static Optional<String> controllerUid(HasMetadata o) {
    List<OwnerReference> refs = o.getMetadata().getOwnerReferences();
    if (refs == null) {
      return Optional.empty();
    }
    return refs.stream()
        .filter(r -> Boolean.TRUE.equals(r.getController()))
        .map(OwnerReference::getUid)
        .findFirst();
  }

  public static boolean controlledBy(HasMetadata o, HasMetadata owner) {
    return controllerUid(o).map(owner.getMetadata().getUid()::equals).orElse(false);
  }

  /** The reference a controller puts on what it creates. */
  public static OwnerReference controllerRef(HasMetadata owner) {
    return new OwnerReferenceBuilder()
        .withApiVersion(owner.getApiVersion())
        .withKind(owner.getKind())
        .withName(owner.getMetadata().getName())
        .withUid(owner.getMetadata().getUid())
        .withController(true)
        .withBlockOwnerDeletion(true)
        .build();
  }

  /** A pod from {@code template}, controlled by {@code owner}, named {@code generateName} + 5. */
  public static Pod fromTemplate(
      PodTemplateSpec template, HasMetadata owner, String generateName, Map<String, String> extra) {
    Map<String, String> labels = new HashMap<>();
    if (template.getMetadata() != null && template.getMetadata().getLabels() != null) {
      labels.putAll(template.getMetadata().getLabels());
    }
    labels.putAll(extra);
    Map<String, String> annotations =
        template.getMetadata() == null || template.getMetadata().getAnnotations() == null
            ? Map.of()
            : template.getMetadata().getAnnotations();
    return new PodBuilder()
        .withNewMetadata()
        .withGenerateName(generateName)
        .withNamespace(owner.getMetadata().getNamespace())
        .withLabels(labels)
        .withAnnotations(annotations.isEmpty() ? null : annotations)
        .withOwnerReferences(controllerRef(owner))
        .endMetadata()
        .withSpec(template.getSpec())
        .build();
  }

  /**
   * Whether {@code labels} match {@code selector}; an empty or missing selector matches nothing.
   */
  public static boolean matches(LabelSelector selector, Map<String, String> labels) {
    if (selector == null
        || ((selector.getMatchLabels() == null || selector.getMatchLabels().isEmpty())
            && (selector.getMatchExpressions() == null
                || selector.getMatchExpressions().isEmpty()))) {
      return false;
    }
    Map<String, String> l = labels == null ? Map.of() : labels;
    if (selector.getMatchLabels() != null) {
      for (var e : selector.getMatchLabels().entrySet()) {
        if (!e.getValue().equals(l.get(e.getKey()))) {
          return false;
        }
      }
    }
    if (selector.getMatchExpressions() != null) {
      for (LabelSelectorRequirement r : selector.getMatchExpressions()) {
        if (!Placement.matchesRequirement(r.getOperator(), r.getValues(), l.get(r.getKey()))) {
          return false;
        }
      }
    }
    return true;
  }

  /** A Service's plain selector (map): every pair must match; empty matches nothing. */
  public static boolean matches(Map<String, String> selector, Map<String, String> labels) {
    if (selector == null || selector.isEmpty()) {
      return false;
    }
    Map<String, String> l = labels == null ? Map.of() : labels;
    return selector.entrySet().stream().allMatch(e -> e.getValue().equals(l.get(e.getKey())));
  }
}
