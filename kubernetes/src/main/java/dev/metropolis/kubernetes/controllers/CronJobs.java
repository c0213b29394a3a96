package dev.metropolis.kubernetes.controllers;

import dev.metropolis.kubernetes.objects.Cron;
import dev.metropolis.kubernetes.objects.Kube;
import dev.metropolis.kubernetes.objects.Pods;
import io.fabric8.kubernetes.api.model.DeletionPropagation;
import io.fabric8.kubernetes.api.model.ObjectReference;
import io.fabric8.kubernetes.api.model.ObjectReferenceBuilder;
import io.fabric8.kubernetes.api.model.batch.v1.CronJob;
import io.fabric8.kubernetes.api.model.batch.v1.CronJobStatus;
import io.fabric8.kubernetes.api.model.batch.v1.CronJobStatusBuilder;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.fabric8.kubernetes.api.model.batch.v1.JobBuilder;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * CronJob → Jobs {@code <cronjob>-<minutes since the epoch of the scheduled time>} at each time of
 * the schedule (in {@code spec.timeZone}, else UTC), from the job template, controlled by the
 * CronJob and annotated with the scheduled time. Only the most recent missed time runs, and not if
 * it is older than {@code startingDeadlineSeconds}; more than 100 missed times give a
 * TooManyMissedTimes warning (the latest still runs). concurrencyPolicy Forbid skips a time while a
 * job runs, Replace deletes the running jobs first. Suspended CronJobs make no jobs. Finished jobs
 * beyond the history limits (successful 3, failed 1 by default) are deleted, oldest first. Status:
 * active, lastScheduleTime, lastSuccessfulTime. Passes come at least every resync, so a job starts
 * within one resync of its time.
 */
final class CronJobs implements Controller {
  static final String SCHEDULED = "batch.kubernetes.io/cronjob-scheduled-timestamp";
  private static final String COMPONENT = "cronjob-controller";
  private static final int MAX_MISSED = 100;
  private final Kube kube;

  CronJobs(Kube kube) {
    this.kube = kube;
  }

  @Override
  public void sync() {
    List<CronJob> crons = kube.client().batch().v1().cronjobs().inAnyNamespace().list().getItems();
    if (crons.isEmpty()) {
      return;
    }
    List<Job> jobs = kube.client().batch().v1().jobs().inAnyNamespace().list().getItems();
    for (CronJob cj : crons) {
      if (cj.getMetadata().getDeletionTimestamp() == null) {
        sync(cj, jobs);
      }
    }
  }

  private static Instant time(String rfc3339) {
    return rfc3339 == null ? null : Instant.parse(rfc3339);
  }

  private static String rfc3339(Instant t) {
    return DateTimeFormatter.ISO_INSTANT.format(t);
  }

  /**
   * The most recent schedule time after {@code since} and not after {@code now}, and how many there
   * were. A step is a few field checks, so even a year of minutes (half a million) takes tens of
   * milliseconds; the walk stops after {@link #MAX_STEPS} all the same.
   */
  record Due(Optional<Instant> latest, int count) {}

  private static final int MAX_STEPS = 1_000_000;

  static Due due(Cron cron, ZoneId zone, Instant since, Instant now) {
    ZonedDateTime t = since.atZone(zone);
    Instant latest = null;
    int count = 0;
    while (count < MAX_STEPS) {
      Optional<ZonedDateTime> next = cron.next(t);
      if (next.isEmpty() || next.get().toInstant().isAfter(now)) {
        break;
      }
      t = next.get();
      latest = t.toInstant();
      count++;
    }
    return new Due(Optional.ofNullable(latest), count);
  }

  private void sync(CronJob cj, List<Job> all) {
    List<Job> owned = new ArrayList<>();
    for (Job j : all) {
      if (Pods.controlledBy(j, cj) && j.getMetadata().getDeletionTimestamp() == null) {
        owned.add(j);
      }
    }
    // kept current by start(): the status reports what this pass leaves running
    List<Job> active =
        new ArrayList<>(owned.stream().filter(j -> !Jobs.finished(j.getStatus())).toList());
    CronJobStatus old = cj.getStatus();
    Instant lastSchedule = old == null ? null : time(old.getLastScheduleTime());
    Instant now = kube.now();
    Cron cron;
    ZoneId zone;
    try {
      cron = Cron.parse(cj.getSpec().getSchedule());
      zone =
          cj.getSpec().getTimeZone() == null
              ? ZoneOffset.UTC
              : ZoneId.of(cj.getSpec().getTimeZone());
    } catch (Cron.InvalidException | java.time.DateTimeException e) {
      // validation refuses these; an object stored before it would only be reported
      writeStatus(cj, old, active, lastSchedule, owned);
      return;
    }
    if (!Boolean.TRUE.equals(cj.getSpec().getSuspend())) {
      Instant since =
          lastSchedule != null ? lastSchedule : time(cj.getMetadata().getCreationTimestamp());
      Due due = due(cron, zone, since, now);
      if (due.count() > MAX_MISSED) {
        kube.event(
            cj,
            "Warning",
            "TooManyMissedTimes",
            "too many missed start times: "
                + due.count()
                + ". Set or decrease .spec.startingDeadlineSeconds or check clock skew",
            COMPONENT);
      }
      if (due.latest().isPresent()) {
        Instant at = due.latest().get();
        Long deadline = cj.getSpec().getStartingDeadlineSeconds();
        if (deadline != null && at.plusSeconds(deadline).isBefore(now)) {
          kube.event(
              cj,
              "Warning",
              "MissSchedule",
              "Missed scheduled time to start a job: " + rfc3339(at),
              COMPONENT);
          lastSchedule = at; // too late for this one: wait for the next
        } else if (start(cj, at, active)) {
          lastSchedule = at;
        }
      }
    }
    removeHistory(cj, owned);
    writeStatus(cj, old, active, lastSchedule, owned);
  }

  /**
   * Starts the job of time {@code at} as the concurrency policy allows, updating {@code active};
   * true if the time is handled.
   */
  private boolean start(CronJob cj, Instant at, List<Job> active) {
    String ns = cj.getMetadata().getNamespace();
    String name = cj.getMetadata().getName() + "-" + (at.getEpochSecond() / 60);
    if (active.stream().anyMatch(j -> j.getMetadata().getName().equals(name))) {
      return true;
    }
    String policy = cj.getSpec().getConcurrencyPolicy();
    if ("Forbid".equals(policy) && !active.isEmpty()) {
      return false; // tried again next pass, while the time is still the latest
    }
    if ("Replace".equals(policy)) {
      for (Job j : active) {
        kube.client()
            .batch()
            .v1()
            .jobs()
            .inNamespace(ns)
            .resource(j)
            .withPropagationPolicy(DeletionPropagation.BACKGROUND)
            .delete();
        kube.event(
            cj,
            "Normal",
            "SuccessfulDelete",
            "Deleted job " + j.getMetadata().getName(),
            COMPONENT);
      }
      active.clear();
    }
    var template = cj.getSpec().getJobTemplate();
    Map<String, String> labels = new HashMap<>();
    Map<String, String> annotations = new HashMap<>();
    if (template.getMetadata() != null) {
      if (template.getMetadata().getLabels() != null) {
        labels.putAll(template.getMetadata().getLabels());
      }
      if (template.getMetadata().getAnnotations() != null) {
        annotations.putAll(template.getMetadata().getAnnotations());
      }
    }
    annotations.put(SCHEDULED, rfc3339(at));
    Job job =
        new JobBuilder()
            .withNewMetadata()
            .withName(name)
            .withNamespace(ns)
            .withLabels(labels)
            .withAnnotations(annotations)
            .withOwnerReferences(Pods.controllerRef(cj))
            .endMetadata()
            .withSpec(Templates.copy(template.getSpec()))
            .build();
    try {
      active.add(kube.client().batch().v1().jobs().inNamespace(ns).resource(job).create());
    } catch (io.fabric8.kubernetes.client.KubernetesClientException e) {
      if (e.getCode() != 409) {
        throw e;
      }
      return true; // made by an earlier pass whose status write did not land
    }
    kube.event(cj, "Normal", "SuccessfulCreate", "Created job " + name, COMPONENT);
    return true;
  }

  /** Deletes finished jobs beyond the history limits, oldest first. */
  private void removeHistory(CronJob cj, List<Job> owned) {
    removeOldest(cj, owned, "Complete", cj.getSpec().getSuccessfulJobsHistoryLimit(), 3);
    removeOldest(cj, owned, "Failed", cj.getSpec().getFailedJobsHistoryLimit(), 1);
  }

  private void removeOldest(
      CronJob cj, List<Job> owned, String condition, Integer limit, int fallback) {
    int keep = limit == null ? fallback : limit;
    List<Job> done =
        owned.stream()
            .filter(j -> Jobs.has(j.getStatus(), condition))
            .sorted(Comparator.comparing(j -> j.getMetadata().getCreationTimestamp()))
            .toList();
    for (Job j : done.subList(0, Math.max(0, done.size() - keep))) {
      kube.client()
          .batch()
          .v1()
          .jobs()
          .inNamespace(j.getMetadata().getNamespace())
          .resource(j)
          .withPropagationPolicy(DeletionPropagation.BACKGROUND)
          .delete();
      kube.event(
          cj, "Normal", "SuccessfulDelete", "Deleted job " + j.getMetadata().getName(), COMPONENT);
    }
  }

  private void writeStatus(
      CronJob cj, CronJobStatus old, List<Job> active, Instant lastSchedule, List<Job> owned) {
    List<ObjectReference> refs =
        active.stream()
            .sorted(Comparator.comparing(j -> j.getMetadata().getName()))
            .map(j ->
                new ObjectReferenceBuilder()
                    .withApiVersion("batch/v1")
                    .withKind("Job")
                    .withNamespace(j.getMetadata().getNamespace())
                    .withName(j.getMetadata().getName())
                    .withUid(j.getMetadata().getUid())
                    .withResourceVersion(j.getMetadata().getResourceVersion())
                    .build())
            .toList();
    Optional<Instant> lastSuccess =
        owned.stream()
            .filter(j -> Jobs.has(j.getStatus(), "Complete"))
            .map(j -> time(j.getStatus().getCompletionTime()))
            .filter(java.util.Objects::nonNull)
            .max(Comparator.naturalOrder());
    String previousSuccess = old == null ? null : old.getLastSuccessfulTime();
    CronJobStatus status =
        new CronJobStatusBuilder()
            .withActive(refs.isEmpty() ? null : refs)
            .withLastScheduleTime(lastSchedule == null ? null : rfc3339(lastSchedule))
            .withLastSuccessfulTime(lastSuccess.map(CronJobs::rfc3339).orElse(previousSuccess))
            .build();
    if (!status.equals(old)) {
      cj.setStatus(status);
      kube.client()
          .batch()
          .v1()
          .cronjobs()
          .inNamespace(cj.getMetadata().getNamespace())
          .resource(cj)
          .updateStatus();
    }
  }
}
