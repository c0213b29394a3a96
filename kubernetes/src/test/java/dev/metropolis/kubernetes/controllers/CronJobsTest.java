package dev.metropolis.kubernetes.controllers;

import static org.assertj.core.api.Assertions.assertThat;

import dev.metropolis.kubernetes.apiserver.TestCluster;
import dev.metropolis.kubernetes.objects.Cron;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.batch.v1.CronJob;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The CronJob controller on a clock the test moves, against a real API server and the real kubectl;
 * the job and pod controllers run beside it (no worker: the test plays the kubelet).
 */
class CronJobsTest {
  private static List<Job> jobs(KubernetesClient c) {
    return c.batch().v1().jobs().inNamespace("cron").list().getItems().stream()
        .filter(j -> j.getMetadata().getDeletionTimestamp() == null)
        .sorted(java.util.Comparator.comparing(j -> j.getMetadata().getName()))
        .toList();
  }

  private static CronJob cronJob(KubernetesClient c) {
    return c.batch().v1().cronjobs().inNamespace("cron").withName("tick").get();
  }

  /**
   * Changes the CronJob's spec; the controller writes its status meanwhile: again on a conflict.
   */
  private static void editSpec(
      KubernetesClient c,
      java.util.function.Consumer<io.fabric8.kubernetes.api.model.batch.v1.CronJobSpec> change) {
    Fake.onConflict(() ->
        c.batch()
            .v1()
            .cronjobs()
            .inNamespace("cron")
            .withName("tick")
            .edit(cj -> {
              change.accept(cj.getSpec());
              return cj;
            }));
  }

  /** The kubelet stand-in: the job's pod succeeded (again on a conflict). */
  private static void succeed(KubernetesClient c, Job job) {
    Pod pod =
        Fake.await(
                "pod of " + job.getMetadata().getName(),
                () ->
                    c.pods()
                        .inNamespace("cron")
                        .withLabel("job-name", job.getMetadata().getName())
                        .list()
                        .getItems(),
                p -> p.size() == 1)
            .getFirst();
    Fake.onConflict(() -> {
      Pod current = c.pods().inNamespace("cron").withName(pod.getMetadata().getName()).get();
      current.getStatus().setPhase("Succeeded");
      c.pods().inNamespace("cron").resource(current).updateStatus();
    });
  }

  @Test
  void runsOnScheduleForbidsOverlapKeepsHistoryAndSuspends() throws Exception {
    Fake.MovableClock clock = new Fake.MovableClock();
    try (TestCluster cluster = TestCluster.start();
        KubernetesClient c = cluster.fabric8("owner");
        ControllerManager m =
            ControllerManager.start(
                new ControllerConfig(
                    c,
                    "node-x",
                    clock,
                    Fake.log(),
                    ControllerConfig.Timing.DEFAULT.withResync(Duration.ofSeconds(1))))) {
      Fake.await("leading", m::leading, l -> l);
      assertThat(cluster.kubectl("create", "namespace", "cron").exit()).isZero();
      TestCluster.Result bad =
          cluster.kubectl(
              "create", "cronjob", "bad", "--image=busybox", "--schedule=61 * * * *", "-n", "cron");
      assertThat(bad.exit()).isEqualTo(1);
      assertThat(bad.err())
          .contains(
              "The CronJob \"bad\" is invalid: spec.schedule: Invalid value: \"61 * * * *\": end of"
                  + " range (61) above maximum (59): 61");
      assertThat(c.batch().v1().cronjobs().inNamespace("cron").list().getItems()).isEmpty();

      TestCluster.Result made =
          cluster.kubectl(
              "create",
              "cronjob",
              "tick",
              "--image=busybox",
              "--schedule=*/5 * * * *",
              "-n",
              "cron",
              "--",
              "true");
      assertThat(made.exit()).as(made.toString()).isZero();
      var spec = cronJob(c).getSpec();
      assertThat(spec.getConcurrencyPolicy()).isEqualTo("Allow");
      assertThat(spec.getSuccessfulJobsHistoryLimit()).isEqualTo(3);
      editSpec(
          c,
          s -> {
            s.setConcurrencyPolicy("Forbid");
            s.setSuccessfulJobsHistoryLimit(1);
          });
      Thread.sleep(2500); // several passes: nothing is due yet
      assertThat(jobs(c)).isEmpty();

      // 6 minutes on: one or two times of */5 passed; only the latest runs
      clock.advance(Duration.ofMinutes(6));
      Job first = Fake.await("first job", () -> jobs(c), j -> j.size() == 1).getFirst();
      CronJob cj =
          Fake.await(
              "status",
              () -> cronJob(c),
              // both in one write; a pass of a loop that lost the lease when the clock jumped
              // may write in between, so wait for the settled status
              x ->
                  x.getStatus() != null
                      && x.getStatus().getActive() != null
                      && x.getStatus().getLastScheduleTime() != null);
      Instant scheduled = Instant.parse(cj.getStatus().getLastScheduleTime());
      assertThat(scheduled.atZone(ZoneOffset.UTC).getMinute() % 5).isZero();
      assertThat(scheduled).isBeforeOrEqualTo(clock.instant());
      assertThat(first.getMetadata().getName())
          .isEqualTo("tick-" + scheduled.getEpochSecond() / 60);
      assertThat(first.getMetadata().getAnnotations())
          .containsEntry(CronJobs.SCHEDULED, cj.getStatus().getLastScheduleTime());
      assertThat(first.getMetadata().getOwnerReferences().getFirst().getName()).isEqualTo("tick");
      assertThat(cj.getStatus().getActive()).hasSize(1);

      // Forbid: the next time passes while the first job runs
      clock.advance(Duration.ofMinutes(5));
      Thread.sleep(2500);
      assertThat(jobs(c)).hasSize(1);

      // the first job finishes: the time still due runs now
      succeed(c, first);
      List<Job> two = Fake.await("second job", () -> jobs(c), j -> j.size() == 2);
      Job second = two.get(1);
      assertThat(second.getMetadata().getName()).isNotEqualTo(first.getMetadata().getName());
      Fake.await(
          "last success",
          () -> cronJob(c).getStatus(),
          s -> s.getLastSuccessfulTime() != null && s.getActive().size() == 1);

      TestCluster.Result table = cluster.kubectl("get", "cronjob,jobs", "-n", "cron");
      assertThat(table.out())
          .containsPattern(
              "NAME +SCHEDULE +TIMEZONE +SUSPEND +ACTIVE +LAST SCHEDULE +AGE\\n"
                  + "cronjob.batch/tick +\\*/5 \\* \\* \\* \\* +<none> +False +1 +")
          .containsPattern("NAME +STATUS +COMPLETIONS +DURATION +AGE\\n")
          .containsPattern("job.batch/" + first.getMetadata().getName() + " +Complete +1/1 +")
          .containsPattern("job.batch/" + second.getMetadata().getName() + " +Running +0/1 +");

      // the second finishes: history of one success, so the first goes
      succeed(c, second);
      Fake.await(
          "history",
          () -> jobs(c).stream().map(j -> j.getMetadata().getName()).toList(),
          n -> n.equals(List.of(second.getMetadata().getName())));

      // suspended: time passes, no job
      editSpec(c, s -> s.setSuspend(true));
      clock.advance(Duration.ofMinutes(10));
      Thread.sleep(2500);
      assertThat(jobs(c)).hasSize(1);
      var events =
          c.v1().events().inNamespace("cron").list().getItems().stream()
              .map(e -> e.getReason() + " " + e.getMessage())
              .toList();
      assertThat(events)
          .contains(
              "SuccessfulCreate Created job " + first.getMetadata().getName(),
              "SuccessfulDelete Deleted job " + first.getMetadata().getName());
    }
  }

  @Test
  void onlyTheLatestMissedTimeIsDue() throws Exception {
    Cron every5 = Cron.parse("*/5 * * * *");
    Instant since = Instant.parse("2026-11-25T10:00:00Z");
    var due = CronJobs.due(every5, ZoneOffset.UTC, since, Instant.parse("2026-11-25T10:17:00Z"));
    assertThat(due.latest()).contains(Instant.parse("2026-11-25T10:15:00Z"));
    assertThat(due.count()).isEqualTo(3);
    assertThat(CronJobs.due(every5, ZoneOffset.UTC, since, since.plusSeconds(299)).latest())
        .isEmpty();
    // a year away: all 105,120 missed times are counted, and the latest is the one due
    var year = CronJobs.due(every5, ZoneOffset.UTC, since, since.plus(Duration.ofDays(365)));
    assertThat(year.count()).isEqualTo(365 * 24 * 12);
    assertThat(year.latest()).contains(since.plus(Duration.ofDays(365)));
  }
}
