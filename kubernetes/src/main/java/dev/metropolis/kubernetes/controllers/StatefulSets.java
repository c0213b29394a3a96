package dev.metropolis.kubernetes.controllers;

import dev.metropolis.kubernetes.objects.Kube;
import dev.metropolis.kubernetes.objects.Pods;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.kubernetes.api.model.apps.StatefulSetStatus;
import io.fabric8.kubernetes.api.model.apps.StatefulSetStatusBuilder;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.OptionalInt;
import java.util.TreeMap;

/**
 * StatefulSet → pods with stable names {@code <set>-<ordinal>}, hostname = pod name and subdomain =
 * {@code spec.serviceName}, labelled with their name, index and template revision as upstream's.
 * OrderedReady (the default) creates ordinal <i>i</i> only once 0..<i>i</i>-1 are Running and
 * Ready, removes surplus pods from the highest ordinal one at a time, and stops at a pod being
 * deleted; Parallel creates and removes all at once. A failed or succeeded pod is replaced under
 * its name. RollingUpdate replaces pods of an older template from the highest ordinal down to the
 * partition, one at a time once every pod is Ready; OnDelete leaves that to the user. No volume
 * claims are made: this cluster has no storage yet.
 */
final class StatefulSets implements Controller {
  static final String POD_NAME = "statefulset.kubernetes.io/pod-name";
  static final String POD_INDEX = "apps.kubernetes.io/pod-index";
  private static final String COMPONENT = "statefulset-controller";
  private final Kube kube;

  StatefulSets(Kube kube) {
    this.kube = kube;
  }

  @Override
  public void sync() {
    List<StatefulSet> sets = kube.client().apps().statefulSets().inAnyNamespace().list().getItems();
    if (sets.isEmpty()) {
      return;
    }
    List<Pod> pods = kube.client().pods().inAnyNamespace().list().getItems();
    for (StatefulSet set : sets) {
      if (set.getMetadata().getDeletionTimestamp() == null) {
        sync(set, pods);
      }
    }
  }

  /** The ordinal in {@code <set>-<ordinal>}, if the name has that form. */
  static OptionalInt ordinal(String setName, String podName) {
    String prefix = setName + "-";
    if (!podName.startsWith(prefix) || podName.length() == prefix.length()) {
      return OptionalInt.empty();
    }
    String digits = podName.substring(prefix.length());
    if (!digits.chars().allMatch(Character::isDigit)
        || digits.length() > 9
        || (digits.length() > 1 && digits.charAt(0) == '0')) {
      return OptionalInt.empty();
    }
    return OptionalInt.of(Integer.parseInt(digits));
  }

  private static boolean runningAndReady(Pod p) {
    return Pods.phase(p).equals("Running") && Pods.isReady(p);
  }

  private static boolean finished(Pod p) {
    String phase = Pods.phase(p);
    return phase.equals("Failed") || phase.equals("Succeeded");
  }

  private static boolean deleting(Pod p) {
    return p.getMetadata().getDeletionTimestamp() != null;
  }

  private void sync(StatefulSet set, List<Pod> all) {
    String name = set.getMetadata().getName();
    int replicas = set.getSpec().getReplicas() == null ? 1 : set.getSpec().getReplicas();
    boolean parallel = "Parallel".equals(set.getSpec().getPodManagementPolicy());
    String revision = name + "-" + Templates.hash(set.getSpec().getTemplate());
    // ordinal → pod; pods of this set without a valid ordinal are removed
    TreeMap<Integer, Pod> byOrdinal = new TreeMap<>();
    for (Pod p : all) {
      if (!Pods.controlledBy(p, set)) {
        continue;
      }
      OptionalInt i = ordinal(name, p.getMetadata().getName());
      if (i.isPresent()) {
        byOrdinal.put(i.getAsInt(), p);
      } else if (!deleting(p)) {
        delete(set, p);
      }
    }
    // create missing and replace finished pods, in order
    for (int i = 0; i < replicas; i++) {
      Pod p = byOrdinal.get(i);
      if (p != null && finished(p) && !deleting(p)) {
        delete(set, p);
        byOrdinal.put(i, withDeletion(p));
        p = byOrdinal.get(i);
      }
      if (p == null) {
        byOrdinal.put(i, create(set, i, revision));
        if (!parallel) {
          break; // the next ordinal waits for this one to run
        }
        continue;
      }
      if (!parallel && (deleting(p) || !runningAndReady(p))) {
        break;
      }
    }
    // remove surplus ordinals, highest first
    List<Pod> surplus = new ArrayList<>(byOrdinal.tailMap(replicas, true).descendingMap().values());
    // OrderedReady: a pod goes only while all its predecessors are Running and Ready
    var kept = byOrdinal.headMap(replicas, false);
    boolean predecessorsReady =
        kept.size() == replicas
            && kept.values().stream().allMatch(p -> !deleting(p) && runningAndReady(p));
    for (Pod p : surplus) {
      if (deleting(p)) {
        if (!parallel) {
          break; // one at a time: wait until it is gone
        }
        continue;
      }
      if (!parallel && !predecessorsReady) {
        break;
      }
      delete(set, p);
      byOrdinal.put(ordinalOf(set, p), withDeletion(p));
      if (!parallel) {
        break;
      }
    }
    rollingUpdate(set, replicas, revision, byOrdinal);
    writeStatus(set, replicas, revision, byOrdinal);
  }

  private static int ordinalOf(StatefulSet set, Pod p) {
    return ordinal(set.getMetadata().getName(), p.getMetadata().getName()).orElseThrow();
  }

  /** Replaces the highest-ordinal pod of an older revision, once all pods are Running and Ready. */
  private void rollingUpdate(
      StatefulSet set, int replicas, String revision, NavigableMap<Integer, Pod> byOrdinal) {
    var strategy = set.getSpec().getUpdateStrategy();
    if (strategy != null && "OnDelete".equals(strategy.getType())) {
      return;
    }
    int partition =
        strategy == null
                || strategy.getRollingUpdate() == null
                || strategy.getRollingUpdate().getPartition() == null
            ? 0
            : strategy.getRollingUpdate().getPartition();
    var current = byOrdinal.headMap(replicas, false);
    if (current.size() < replicas
        || !current.values().stream().allMatch(p -> !deleting(p) && runningAndReady(p))) {
      return;
    }
    for (var e : current.descendingMap().entrySet()) {
      if (e.getKey() < partition) {
        return;
      }
      if (!revision.equals(revisionOf(e.getValue()))) {
        delete(set, e.getValue());
        byOrdinal.put(e.getKey(), withDeletion(e.getValue()));
        return;
      }
    }
  }

  private static String revisionOf(Pod p) {
    Map<String, String> labels = p.getMetadata().getLabels();
    return labels == null ? "" : labels.getOrDefault(DaemonSets.REVISION_HASH, "");
  }

  private void writeStatus(
      StatefulSet set, int replicas, String revision, NavigableMap<Integer, Pod> byOrdinal) {
    List<Pod> live = byOrdinal.values().stream().filter(p -> !deleting(p)).toList();
    int minReady =
        set.getSpec().getMinReadySeconds() == null ? 0 : set.getSpec().getMinReadySeconds();
    int updated = (int) live.stream().filter(p -> revision.equals(revisionOf(p))).count();
    StatefulSetStatus old = set.getStatus();
    String currentRevision =
        old != null && old.getCurrentRevision() != null && updated < replicas
            ? old.getCurrentRevision()
            : revision;
    int current = (int) live.stream().filter(p -> currentRevision.equals(revisionOf(p))).count();
    StatefulSetStatus status =
        new StatefulSetStatusBuilder()
            .withObservedGeneration(set.getMetadata().getGeneration())
            .withReplicas(live.size())
            .withReadyReplicas((int) live.stream().filter(Pods::isReady).count())
            .withAvailableReplicas(
                (int) live.stream().filter(p -> Pods.isAvailable(p, minReady, kube.now())).count())
            .withCurrentReplicas(current)
            .withUpdatedReplicas(updated)
            .withCurrentRevision(currentRevision)
            .withUpdateRevision(revision)
            .withCollisionCount(0)
            .build();
    if (!status.equals(old)) {
      set.setStatus(status);
      kube.client()
          .apps()
          .statefulSets()
          .inNamespace(set.getMetadata().getNamespace())
          .resource(set)
          .updateStatus();
    }
  }

  private Pod create(StatefulSet set, int ordinal, String revision) {
    String podName = set.getMetadata().getName() + "-" + ordinal;
    Pod pod =
        Pods.fromTemplate(
            set.getSpec().getTemplate(),
            set,
            null,
            Map.of(
                POD_NAME,
                podName,
                POD_INDEX,
                Integer.toString(ordinal),
                DaemonSets.REVISION_HASH,
                revision));
    pod.getMetadata().setName(podName);
    pod.setSpec(Templates.copy(pod.getSpec()));
    pod.getSpec().setHostname(podName);
    String service = set.getSpec().getServiceName();
    if (service != null && !service.isEmpty()) {
      pod.getSpec().setSubdomain(service);
    }
    return OwnedPods.create(kube, set, pod, COMPONENT, n -> "create Pod " + n + in(set));
  }

  private void delete(StatefulSet set, Pod p) {
    OwnedPods.delete(kube, set, p, COMPONENT, n -> "delete Pod " + n + in(set));
  }

  /** The end of upstream's event messages. */
  private static String in(StatefulSet set) {
    return " in StatefulSet " + set.getMetadata().getName() + " successful";
  }

  /** {@code p} as this pass now sees it: being deleted. */
  private Pod withDeletion(Pod p) {
    Pod copy = Templates.copy(p);
    copy.getMetadata().setDeletionTimestamp(kube.timestamp());
    return copy;
  }
}
