package dev.metropolis.kubernetes.controllers;

import dev.metropolis.kubernetes.objects.Kube;
import dev.metropolis.kubernetes.objects.Pods;
import io.fabric8.kubernetes.api.model.LabelSelector;
import io.fabric8.kubernetes.api.model.PodTemplateSpec;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.DeploymentCondition;
import io.fabric8.kubernetes.api.model.apps.DeploymentConditionBuilder;
import io.fabric8.kubernetes.api.model.apps.DeploymentStatus;
import io.fabric8.kubernetes.api.model.apps.DeploymentStatusBuilder;
import io.fabric8.kubernetes.api.model.apps.ReplicaSet;
import io.fabric8.kubernetes.api.model.apps.ReplicaSetBuilder;
import io.fabric8.kubernetes.api.model.apps.RollingUpdateDeployment;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Deployment → ReplicaSets, as upstream: the ReplicaSet of the current template (named {@code
 * <deployment>-<pod-template-hash>}, the hash also a label and part of its selector) is created
 * when missing with the next revision annotation; RollingUpdate scales it up within maxSurge and
 * the old ones down within maxUnavailable, Recreate scales the old ones to zero first; old
 * ReplicaSets beyond revisionHistoryLimit go. Status carries the counts, observedGeneration and the
 * Available and Progressing conditions with upstream's reasons, which is what {@code kubectl
 * rollout status} reads.
 */
final class Deployments implements Controller {
  static final String HASH = "pod-template-hash";
  static final String REVISION = "deployment.kubernetes.io/revision";
  private static final String COMPONENT = "deployment-controller";
  private final Kube kube;

  Deployments(Kube kube) {
    this.kube = kube;
  }

  @Override
  public void sync() {
    List<Deployment> deployments =
        kube.client().apps().deployments().inAnyNamespace().list().getItems();
    List<ReplicaSet> sets = kube.client().apps().replicaSets().inAnyNamespace().list().getItems();
    for (Deployment d : deployments) {
      if (d.getMetadata().getDeletionTimestamp() == null) {
        sync(d, sets);
      }
    }
  }

  private static int replicas(ReplicaSet rs) {
    return rs.getSpec().getReplicas() == null ? 0 : rs.getSpec().getReplicas();
  }

  private static int statusCount(
      ReplicaSet rs,
      java.util.function.Function<io.fabric8.kubernetes.api.model.apps.ReplicaSetStatus, Integer>
          f) {
    if (rs.getStatus() == null || f.apply(rs.getStatus()) == null) {
      return 0;
    }
    return f.apply(rs.getStatus());
  }

  private static long revision(ReplicaSet rs) {
    Map<String, String> a = rs.getMetadata().getAnnotations();
    try {
      return a == null ? 0 : Long.parseLong(a.getOrDefault(REVISION, "0"));
    } catch (NumberFormatException e) {
      return 0;
    }
  }

  private void sync(Deployment d, List<ReplicaSet> all) {
    String ns = d.getMetadata().getNamespace();
    int replicas = d.getSpec().getReplicas() == null ? 1 : d.getSpec().getReplicas();
    String hash = Templates.hash(d.getSpec().getTemplate());
    List<ReplicaSet> owned = new ArrayList<>();
    for (ReplicaSet rs : all) {
      if (Pods.controlledBy(rs, d) && rs.getMetadata().getDeletionTimestamp() == null) {
        owned.add(rs);
      }
    }
    owned.sort(
        Comparator.comparing((ReplicaSet rs) -> rs.getMetadata().getCreationTimestamp())
            .thenComparing(rs -> rs.getMetadata().getName()));
    ReplicaSet current = null;
    List<ReplicaSet> old = new ArrayList<>();
    long maxRevision = 0;
    for (ReplicaSet rs : owned) {
      maxRevision = Math.max(maxRevision, revision(rs));
      Map<String, String> labels = rs.getMetadata().getLabels();
      if (current == null && labels != null && hash.equals(labels.get(HASH))) {
        current = rs;
      } else {
        old.add(rs);
      }
    }
    boolean rolling = !"Recreate".equals(d.getSpec().getStrategy().getType());
    RollingUpdateDeployment ru = d.getSpec().getStrategy().getRollingUpdate();
    int surge =
        rolling ? Templates.scaled(ru == null ? null : ru.getMaxSurge(), replicas, true, 0) : 0;
    int unavailable =
        rolling
            ? Templates.scaled(ru == null ? null : ru.getMaxUnavailable(), replicas, false, 0)
            : replicas;
    if (rolling && surge == 0 && unavailable == 0) {
      unavailable = 1;
    }
    boolean paused = Boolean.TRUE.equals(d.getSpec().getPaused());
    boolean created = false;
    if (current == null && !paused) {
      int total = owned.stream().mapToInt(Deployments::replicas).sum();
      int start;
      if (rolling) {
        start = Math.max(0, Math.min(replicas, replicas + surge - total));
      } else {
        start =
            old.stream()
                    .allMatch(rs -> replicas(rs) == 0 && statusCount(rs, s -> s.getReplicas()) == 0)
                ? replicas
                : 0;
      }
      current = createReplicaSet(d, hash, maxRevision + 1, start);
      created = true;
      owned.add(current);
    } else if (current != null && revision(current) < maxRevision && !old.isEmpty()) {
      // a rollback to an older template: that ReplicaSet becomes the newest revision
      current.getMetadata().getAnnotations().put(REVISION, Long.toString(maxRevision + 1));
      current = kube.client().apps().replicaSets().inNamespace(ns).resource(current).update();
    }
    if (current != null && !paused) {
      if (rolling) {
        rollingUpdate(d, current, old, replicas, surge, unavailable);
      } else if (old.stream().anyMatch(rs -> replicas(rs) > 0)) {
        for (ReplicaSet rs : old) {
          scale(d, rs, 0);
        }
      } else if (old.stream().allMatch(rs -> statusCount(rs, s -> s.getReplicas()) == 0)) {
        scale(d, current, replicas);
      }
    } else if (current != null
        && replicas(current) != replicas
        && old.stream().allMatch(rs -> replicas(rs) == 0)) {
      scale(d, current, replicas); // paused: scaling still applies
    }
    cleanup(d, old);
    writeStatus(d, current, owned, replicas, unavailable, created);
  }

  private ReplicaSet createReplicaSet(Deployment d, String hash, long revision, int replicas) {
    PodTemplateSpec template = Templates.copy(d.getSpec().getTemplate());
    Map<String, String> labels =
        new HashMap<>(
            template.getMetadata().getLabels() == null
                ? Map.of()
                : template.getMetadata().getLabels());
    labels.put(HASH, hash);
    template.getMetadata().setLabels(labels);
    LabelSelector selector = Templates.copy(d.getSpec().getSelector());
    Map<String, String> match =
        new HashMap<>(selector.getMatchLabels() == null ? Map.of() : selector.getMatchLabels());
    match.put(HASH, hash);
    selector.setMatchLabels(match);
    int maxReplicas =
        replicas(d)
            + Templates.scaled(
                d.getSpec().getStrategy().getRollingUpdate() == null
                    ? null
                    : d.getSpec().getStrategy().getRollingUpdate().getMaxSurge(),
                replicas(d),
                true,
                0);
    ReplicaSet rs =
        new ReplicaSetBuilder()
            .withNewMetadata()
            .withName(d.getMetadata().getName() + "-" + hash)
            .withNamespace(d.getMetadata().getNamespace())
            .withLabels(labels)
            .withAnnotations(
                Map.of(
                    REVISION,
                    Long.toString(revision),
                    "deployment.kubernetes.io/desired-replicas",
                    Integer.toString(replicas(d)),
                    "deployment.kubernetes.io/max-replicas",
                    Integer.toString(maxReplicas)))
            .withOwnerReferences(Pods.controllerRef(d))
            .endMetadata()
            .withNewSpec()
            .withReplicas(replicas)
            .withMinReadySeconds(d.getSpec().getMinReadySeconds())
            .withSelector(selector)
            .withTemplate(template)
            .endSpec()
            .build();
    ReplicaSet made =
        kube.client()
            .apps()
            .replicaSets()
            .inNamespace(d.getMetadata().getNamespace())
            .resource(rs)
            .create();
    if (replicas > 0) {
      kube.event(
          d,
          "Normal",
          "ScalingReplicaSet",
          "Scaled up replica set " + made.getMetadata().getName() + " from 0 to " + replicas,
          COMPONENT);
    }
    return made;
  }

  private static int replicas(Deployment d) {
    return d.getSpec().getReplicas() == null ? 1 : d.getSpec().getReplicas();
  }

  /** Upstream's rolling update arithmetic: scale up within maxSurge, down within maxUnavailable. */
  private void rollingUpdate(
      Deployment d,
      ReplicaSet current,
      List<ReplicaSet> old,
      int replicas,
      int surge,
      int unavailable) {
    int total = replicas(current) + old.stream().mapToInt(Deployments::replicas).sum();
    int next = replicas(current);
    if (next > replicas) {
      next = replicas;
    } else if (next < replicas && total < replicas + surge) {
      next = Math.min(replicas, next + replicas + surge - total);
    }
    if (next != replicas(current)) {
      scale(d, current, next);
    }
    int all = next + old.stream().mapToInt(Deployments::replicas).sum();
    int minAvailable = replicas - unavailable;
    int currentUnavailable = next - statusCount(current, s -> s.getAvailableReplicas());
    int maxScaledDown = all - minAvailable - Math.max(0, currentUnavailable);
    if (maxScaledDown > 0) {
      // first the old pods that are not available anyway
      for (ReplicaSet rs : old) {
        if (maxScaledDown <= 0) {
          break;
        }
        int unhealthy = replicas(rs) - statusCount(rs, s -> s.getAvailableReplicas());
        int down = Math.min(maxScaledDown, Math.max(0, unhealthy));
        if (down > 0) {
          scale(d, rs, replicas(rs) - down);
          maxScaledDown -= down;
        }
      }
      int available =
          statusCount(current, s -> s.getAvailableReplicas())
              + old.stream()
                  .mapToInt(
                      rs -> Math.min(replicas(rs), statusCount(rs, s -> s.getAvailableReplicas())))
                  .sum();
      int canGo = Math.min(maxScaledDown, available - minAvailable);
      for (ReplicaSet rs : old) {
        if (canGo <= 0) {
          break;
        }
        int down = Math.min(canGo, replicas(rs));
        if (down > 0) {
          scale(d, rs, replicas(rs) - down);
          canGo -= down;
        }
      }
    }
    // scaled down while rolling: the excess over replicas + maxSurge goes from the old ones
    int excess = next + old.stream().mapToInt(Deployments::replicas).sum() - (replicas + surge);
    for (int i = old.size() - 1; i >= 0 && excess > 0; i--) {
      ReplicaSet rs = old.get(i);
      int down = Math.min(excess, replicas(rs));
      if (down > 0) {
        scale(d, rs, replicas(rs) - down);
        excess -= down;
      }
    }
  }

  private void scale(Deployment d, ReplicaSet rs, int to) {
    int from = replicas(rs);
    if (from == to) {
      return;
    }
    rs.getSpec().setReplicas(to);
    Map<String, String> a =
        new HashMap<>(
            rs.getMetadata().getAnnotations() == null
                ? Map.of()
                : rs.getMetadata().getAnnotations());
    a.put("deployment.kubernetes.io/desired-replicas", Integer.toString(replicas(d)));
    rs.getMetadata().setAnnotations(a);
    kube.client()
        .apps()
        .replicaSets()
        .inNamespace(rs.getMetadata().getNamespace())
        .resource(rs)
        .update();
    kube.event(
        d,
        "Normal",
        "ScalingReplicaSet",
        "Scaled "
            + (to > from ? "up" : "down")
            + " replica set "
            + rs.getMetadata().getName()
            + " from "
            + from
            + " to "
            + to,
        COMPONENT);
  }

  /** Deletes the oldest empty old ReplicaSets beyond spec.revisionHistoryLimit. */
  private void cleanup(Deployment d, List<ReplicaSet> old) {
    int limit =
        d.getSpec().getRevisionHistoryLimit() == null ? 10 : d.getSpec().getRevisionHistoryLimit();
    List<ReplicaSet> empty = new ArrayList<>();
    for (ReplicaSet rs : old) {
      if (replicas(rs) == 0 && statusCount(rs, s -> s.getReplicas()) == 0) {
        empty.add(rs);
      }
    }
    empty.sort(Comparator.comparingLong(Deployments::revision));
    for (int i = 0; i < empty.size() - limit; i++) {
      kube.client()
          .apps()
          .replicaSets()
          .inNamespace(d.getMetadata().getNamespace())
          .resource(empty.get(i))
          .delete();
    }
  }

  private void writeStatus(
      Deployment d,
      ReplicaSet current,
      List<ReplicaSet> owned,
      int replicas,
      int maxUnavailable,
      boolean created) {
    int actual = owned.stream().mapToInt(rs -> statusCount(rs, s -> s.getReplicas())).sum();
    int updated = current == null ? 0 : statusCount(current, s -> s.getReplicas());
    int ready = owned.stream().mapToInt(rs -> statusCount(rs, s -> s.getReadyReplicas())).sum();
    int available =
        owned.stream().mapToInt(rs -> statusCount(rs, s -> s.getAvailableReplicas())).sum();
    int total = owned.stream().mapToInt(Deployments::replicas).sum();
    DeploymentStatus old = d.getStatus() == null ? new DeploymentStatus() : d.getStatus();
    boolean progress =
        created
            || !java.util.Objects.equals(old.getReplicas(), actual)
            || !java.util.Objects.equals(old.getUpdatedReplicas(), updated)
            || !java.util.Objects.equals(old.getReadyReplicas(), ready)
            || !java.util.Objects.equals(old.getAvailableReplicas(), available);
    List<DeploymentCondition> conditions = new ArrayList<>();
    String now = kube.timestamp();
    boolean minimum = available >= replicas - maxUnavailable;
    conditions.add(
        condition(
            old,
            "Available",
            minimum ? "True" : "False",
            minimum ? "MinimumReplicasAvailable" : "MinimumReplicasUnavailable",
            minimum
                ? "Deployment has minimum availability."
                : "Deployment does not have minimum availability.",
            now,
            false));
    String rsName = current == null ? "" : current.getMetadata().getName();
    boolean complete =
        current != null
            && updated == replicas
            && available >= replicas
            && actual == replicas
            && total == replicas;
    DeploymentCondition progressing = find(old, "Progressing");
    if (Boolean.TRUE.equals(d.getSpec().getPaused())) {
      conditions.add(
          condition(
              old,
              "Progressing",
              "Unknown",
              "DeploymentPaused",
              "Deployment is paused",
              now,
              false));
    } else if (complete) {
      conditions.add(
          condition(
              old,
              "Progressing",
              "True",
              "NewReplicaSetAvailable",
              "ReplicaSet \"" + rsName + "\" has successfully progressed.",
              now,
              false));
    } else if (created) {
      conditions.add(
          condition(
              old,
              "Progressing",
              "True",
              "NewReplicaSetCreated",
              "Created new replica set \"" + rsName + "\"",
              now,
              true));
    } else if (progress
        || progressing == null
        || "NewReplicaSetAvailable".equals(progressing.getReason())
        || "DeploymentPaused".equals(progressing.getReason())) {
      conditions.add(
          condition(
              old,
              "Progressing",
              "True",
              "ReplicaSetUpdated",
              "ReplicaSet \"" + rsName + "\" is progressing.",
              now,
              true));
    } else if (!"ProgressDeadlineExceeded".equals(progressing.getReason())
        && d.getSpec().getProgressDeadlineSeconds() != null
        && progressing.getLastUpdateTime() != null
        && !Instant.parse(progressing.getLastUpdateTime())
            .plusSeconds(d.getSpec().getProgressDeadlineSeconds())
            .isAfter(kube.now())) {
      conditions.add(
          condition(
              old,
              "Progressing",
              "False",
              "ProgressDeadlineExceeded",
              "ReplicaSet \"" + rsName + "\" has timed out progressing.",
              now,
              false));
    } else {
      conditions.add(progressing);
    }
    DeploymentStatus status =
        new DeploymentStatusBuilder()
            .withObservedGeneration(d.getMetadata().getGeneration())
            .withReplicas(actual)
            .withUpdatedReplicas(updated)
            .withReadyReplicas(ready)
            .withAvailableReplicas(available)
            .withUnavailableReplicas(Math.max(0, total - available))
            .withConditions(conditions)
            .withCollisionCount(old.getCollisionCount())
            .build();
    if (!status.equals(d.getStatus())) {
      d.setStatus(status);
      kube.client()
          .apps()
          .deployments()
          .inNamespace(d.getMetadata().getNamespace())
          .resource(d)
          .updateStatus();
    }
  }

  private static DeploymentCondition find(DeploymentStatus s, String type) {
    if (s.getConditions() == null) {
      return null;
    }
    return s.getConditions().stream()
        .filter(c -> type.equals(c.getType()))
        .findFirst()
        .orElse(null);
  }

  /**
   * A condition: kept as it is when nothing changed (unless {@code touch}: progress moves
   * lastUpdateTime), lastTransitionTime moving only when the status flips.
   */
  private static DeploymentCondition condition(
      DeploymentStatus old,
      String type,
      String status,
      String reason,
      String message,
      String now,
      boolean touch) {
    DeploymentCondition prev = find(old, type);
    if (prev != null
        && status.equals(prev.getStatus())
        && reason.equals(prev.getReason())
        && message.equals(prev.getMessage())
        && !touch) {
      return prev;
    }
    String transition =
        prev != null && status.equals(prev.getStatus()) && prev.getLastTransitionTime() != null
            ? prev.getLastTransitionTime()
            : now;
    return new DeploymentConditionBuilder()
        .withType(type)
        .withStatus(status)
        .withReason(reason)
        .withMessage(message)
        .withLastUpdateTime(now)
        .withLastTransitionTime(transition)
        .build();
  }
}
