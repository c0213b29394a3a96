package dev.metropolis.kubernetes.controllers;

import dev.metropolis.kubernetes.objects.Kube;
import dev.metropolis.kubernetes.objects.Pods;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.fabric8.kubernetes.api.model.batch.v1.JobCondition;
import io.fabric8.kubernetes.api.model.batch.v1.JobConditionBuilder;
import io.fabric8.kubernetes.api.model.batch.v1.JobStatus;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Job → pods: keeps min(parallelism, completions − succeeded) pods active; a job whose succeeded
 * pods reach completions gets SuccessCriteriaMet and Complete (completionTime), one with more
 * failed pods than backoffLimit gets FailureTarget and Failed (BackoffLimitExceeded), one past
 * activeDeadlineSeconds Failed (DeadlineExceeded); a finished job's active pods are deleted. Counts
 * come from the pods that exist (no tracking finalizers yet).
 */
final class Jobs implements Controller {
  private static final String COMPONENT = "job-controller";
  private final Kube kube;

  Jobs(Kube kube) {
    this.kube = kube;
  }

  @Override
  public void sync() {
    List<Job> jobs = kube.client().batch().v1().jobs().inAnyNamespace().list().getItems();
    if (jobs.isEmpty()) {
      return;
    }
    List<Pod> pods = kube.client().pods().inAnyNamespace().list().getItems();
    for (Job j : jobs) {
      if (j.getMetadata().getDeletionTimestamp() == null) {
        sync(j, pods);
      }
    }
  }

  static boolean finished(JobStatus s) {
    return has(s, "Complete") || has(s, "Failed");
  }

  /** Whether the job's condition {@code type} is True. */
  static boolean has(JobStatus s, String type) {
    return s != null
        && s.getConditions() != null
        && s.getConditions().stream()
            .anyMatch(c -> type.equals(c.getType()) && "True".equals(c.getStatus()));
  }

  private void sync(Job job, List<Pod> all) {
    String ns = job.getMetadata().getNamespace();
    List<Pod> active = new ArrayList<>();
    int succeeded = 0;
    int failed = 0;
    for (Pod p : all) {
      if (!Pods.controlledBy(p, job)) {
        continue;
      }
      switch (Pods.phase(p)) {
        case "Succeeded" -> succeeded++;
        case "Failed" -> failed++;
        default -> {
          if (p.getMetadata().getDeletionTimestamp() == null) {
            active.add(p);
          }
        }
      }
    }
    JobStatus old = job.getStatus() == null ? new JobStatus() : job.getStatus();
    JobStatus status = Templates.copy(old);
    String now = kube.timestamp();
    if (status.getStartTime() == null) {
      status.setStartTime(now);
    }
    List<JobCondition> conditions =
        new ArrayList<>(status.getConditions() == null ? List.of() : status.getConditions());
    Integer completions = job.getSpec().getCompletions();
    int parallelism = job.getSpec().getParallelism() == null ? 1 : job.getSpec().getParallelism();
    int backoffLimit =
        job.getSpec().getBackoffLimit() == null ? 6 : job.getSpec().getBackoffLimit();
    boolean suspended = Boolean.TRUE.equals(job.getSpec().getSuspend());
    if (!finished(old)) {
      String failure = null;
      String failureMessage = null;
      if (failed > backoffLimit) {
        failure = "BackoffLimitExceeded";
        failureMessage = "Job has reached the specified backoff limit";
      } else if (job.getSpec().getActiveDeadlineSeconds() != null
          && !Instant.parse(status.getStartTime())
              .plusSeconds(job.getSpec().getActiveDeadlineSeconds())
              .isAfter(kube.now())) {
        failure = "DeadlineExceeded";
        failureMessage = "Job was active longer than specified deadline";
      }
      boolean complete =
          completions != null ? succeeded >= completions : succeeded > 0 && active.isEmpty();
      if (failure != null) {
        conditions.add(condition("FailureTarget", failure, failureMessage, now));
        conditions.add(condition("Failed", failure, failureMessage, now));
        active.forEach(p -> delete(job, p));
        active.clear();
        kube.event(job, "Warning", failure, failureMessage, COMPONENT);
      } else if (complete) {
        conditions.add(
            condition(
                "SuccessCriteriaMet",
                "CompletionsReached",
                "Reached expected number of succeeded pods",
                now));
        conditions.add(
            condition(
                "Complete",
                "CompletionsReached",
                "Reached expected number of succeeded pods",
                now));
        status.setCompletionTime(now);
        active.forEach(p -> delete(job, p));
        active.clear();
        kube.event(job, "Normal", "Completed", "Job completed", COMPONENT);
      } else {
        int want =
            suspended
                ? 0
                : completions != null
                    ? Math.min(parallelism, completions - succeeded)
                    : (succeeded > 0 ? 0 : parallelism);
        for (int i = active.size(); i < want; i++) {
          active.add(
              OwnedPods.create(
                  kube,
                  job,
                  Pods.fromTemplate(
                      job.getSpec().getTemplate(),
                      job,
                      job.getMetadata().getName() + "-",
                      Map.of()),
                  COMPONENT));
        }
        while (active.size() > want) {
          active.sort(ReplicaSets.deletionOrder());
          delete(job, active.removeFirst());
        }
      }
    }
    status.setActive(active.size());
    status.setSucceeded(succeeded);
    status.setFailed(failed);
    status.setReady((int) active.stream().filter(Pods::isReady).count());
    status.setTerminating(0);
    status.setConditions(conditions.isEmpty() ? null : conditions);
    if (!status.equals(job.getStatus())) {
      job.setStatus(status);
      kube.client().batch().v1().jobs().inNamespace(ns).resource(job).updateStatus();
    }
  }

  private static JobCondition condition(String type, String reason, String message, String now) {
    return new JobConditionBuilder()
        .withType(type)
        .withStatus("True")
        .withReason(reason)
        .withMessage(message)
        .withLastProbeTime(now)
        .withLastTransitionTime(now)
        .build();
  }

  private void delete(Job job, Pod p) {
    OwnedPods.delete(kube, job, p, COMPONENT);
  }
}
