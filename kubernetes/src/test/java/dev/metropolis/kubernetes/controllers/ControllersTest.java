package dev.metropolis.kubernetes.controllers;

import static org.assertj.core.api.Assertions.assertThat;

import dev.metropolis.kubernetes.apiserver.TestCluster;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.PodConditionBuilder;
import io.fabric8.kubernetes.api.model.apps.ReplicaSet;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The controllers and the scheduler against a real API server on a real etcd, driven by the real
 * kubectl, with two fake workers (Ready Node objects whose Leases the test renews).
 */
class ControllersTest {
  private static TestCluster cluster;
  private static KubernetesClient client;
  private static ControllerManager manager;
  private static Thread renewer;

  @BeforeAll
  static void start() throws Exception {
    cluster = TestCluster.start();
    client = cluster.fabric8("owner");
    Fake.worker(client, "worker-a", Map.of("zone", "a"), Clock.systemUTC());
    Fake.worker(client, "worker-b", Map.of("zone", "b"), Clock.systemUTC());
    renewer =
        Thread.ofVirtual()
            .start(() -> {
              while (!Thread.currentThread().isInterrupted()) {
                try {
                  Thread.sleep(5000);
                  Fake.renew(client, "worker-a", Clock.systemUTC());
                  Fake.renew(client, "worker-b", Clock.systemUTC());
                } catch (InterruptedException e) {
                  return;
                } catch (RuntimeException e) {
                  // the cluster is going away
                }
              }
            });
    manager =
        ControllerManager.start(
            new ControllerConfig(
                client,
                "test-node",
                Clock.systemUTC(),
                Fake.log(),
                ControllerConfig.Timing.DEFAULT.withResync(Duration.ofSeconds(1))));
    Fake.await("leading", manager::leading, l -> l);
  }

  @AfterAll
  static void stop() throws Exception {
    if (renewer != null) {
      renewer.interrupt();
      renewer.join();
    }
    if (manager != null) {
      manager.close();
    }
    if (client != null) {
      client.close();
    }
    cluster.close();
  }

  private static TestCluster.Result ok(String... args) throws Exception {
    TestCluster.Result r = cluster.kubectl(args);
    assertThat(r.exit()).as(r.toString()).isZero();
    return r;
  }

  /** kubectl for a Supplier: checked exceptions become unchecked. */
  private static TestCluster.Result kubectl(String... args) {
    try {
      return cluster.kubectl(args);
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  private static String conditionReason(String ns, String deployment, String type)
      throws Exception {
    String path = "jsonpath={.status.conditions[?(@.type==\"" + type + "\")].reason}";
    return ok("get", "deploy", deployment, "-n", ns, "-o", path).out();
  }

  private static List<Pod> pods(String ns) {
    return client.pods().inNamespace(ns).list().getItems().stream()
        .filter(p -> p.getMetadata().getDeletionTimestamp() == null)
        .toList();
  }

  private static List<ReplicaSet> replicaSets(String ns) {
    return client.apps().replicaSets().inNamespace(ns).list().getItems();
  }

  private static boolean allBound(List<Pod> pods) {
    return pods.stream().allMatch(p -> p.getSpec().getNodeName() != null);
  }

  @Test
  void deploymentScalesRollsAndIsDeleted() throws Exception {
    ok("create", "namespace", "dep");
    ok("create", "deployment", "web", "--image=nginx", "--replicas=3", "-n", "dep");
    List<Pod> pods =
        Fake.await("3 bound pods", () -> pods("dep"), p -> p.size() == 3 && allBound(p));
    assertThat(replicaSets("dep")).hasSize(1);
    ReplicaSet rs = replicaSets("dep").getFirst();
    assertThat(rs.getMetadata().getName()).startsWith("web-");
    assertThat(rs.getMetadata().getAnnotations())
        .containsEntry("deployment.kubernetes.io/revision", "1");
    String hash = rs.getMetadata().getLabels().get("pod-template-hash");
    assertThat(rs.getMetadata().getName()).isEqualTo("web-" + hash);
    for (Pod p : pods) {
      assertThat(p.getMetadata().getName()).startsWith(rs.getMetadata().getName() + "-");
      assertThat(p.getMetadata().getOwnerReferences().getFirst().getController()).isTrue();
      assertThat(p.getMetadata().getLabels()).containsEntry("pod-template-hash", hash);
    }
    // least requested: three pods without requests spread over both workers
    assertThat(pods.stream().map(p -> p.getSpec().getNodeName()).collect(Collectors.toSet()))
        .isEqualTo(Set.of("worker-a", "worker-b"));
    String events = ok("get", "events", "-n", "dep").out();
    assertThat(events)
        .contains("Scheduled", "Successfully assigned dep/web-")
        .contains("SuccessfulCreate", "Created pod: web-")
        .contains("ScalingReplicaSet", "Scaled up replica set web-" + hash + " from 0 to 3");

    // pods never become ready (no kubelet): rollout status waits, and says why
    Fake.await(
        "status observed",
        () -> client.apps().deployments().inNamespace("dep").withName("web").get().getStatus(),
        s -> s != null && s.getUpdatedReplicas() != null && s.getUpdatedReplicas() == 3);
    TestCluster.Result waiting =
        cluster.kubectl("rollout", "status", "deployment/web", "-n", "dep", "--timeout=5s");
    assertThat(waiting.exit()).as(waiting.toString()).isEqualTo(1);
    assertThat(waiting.out())
        .contains(
            "Waiting for deployment \"web\" rollout to finish: 0 of 3 updated replicas are available...");
    assertThat(waiting.err()).contains("timed out waiting for the condition");
    assertThat(conditionReason("dep", "web", "Progressing"))
        .isIn("NewReplicaSetCreated", "ReplicaSetUpdated");
    assertThat(conditionReason("dep", "web", "Available")).isEqualTo("MinimumReplicasUnavailable");

    ok("scale", "deployment", "web", "--replicas=5", "-n", "dep");
    Fake.await("5 bound pods", () -> pods("dep"), p -> p.size() == 5 && allBound(p));
    ok("scale", "deployment", "web", "--replicas=2", "-n", "dep");
    Fake.await("2 pods", () -> pods("dep"), p -> p.size() == 2);

    // a new template: a second ReplicaSet, within maxSurge 1 (25% of 2, rounded up) and
    // maxUnavailable 0 (rounded down): one new pod, and the two old ones stay (none is available)
    ok("set", "image", "deployment/web", "nginx=nginx:1.27", "-n", "dep");
    Fake.await(
        "rollout stuck at the surge limit",
        () -> client.apps().deployments().inNamespace("dep").withName("web").get(),
        d ->
            d.getStatus() != null
                && java.util.Objects.equals(
                    d.getStatus().getObservedGeneration(), d.getMetadata().getGeneration())
                && d.getStatus().getUpdatedReplicas() == 1
                && d.getStatus().getReplicas() == 3);
    List<ReplicaSet> sets = replicaSets("dep");
    assertThat(sets).hasSize(2);
    ReplicaSet next =
        sets.stream()
            .filter(s -> !s.getMetadata().getName().equals(rs.getMetadata().getName()))
            .findFirst()
            .orElseThrow();
    assertThat(next.getMetadata().getAnnotations())
        .containsEntry("deployment.kubernetes.io/revision", "2");
    assertThat(next.getSpec().getReplicas()).isEqualTo(1);
    assertThat(pods("dep")).hasSize(3);
    waiting = cluster.kubectl("rollout", "status", "deployment/web", "-n", "dep", "--timeout=5s");
    assertThat(waiting.exit()).isEqualTo(1);
    assertThat(waiting.out())
        .contains(
            "Waiting for deployment \"web\" rollout to finish: 1 out of 2 new replicas have been updated...");
    assertThat(pods("dep")).hasSize(3);

    ok("delete", "deployment", "web", "-n", "dep", "--cascade=background");
    Fake.await(
        "ReplicaSets and pods gone",
        () -> replicaSets("dep").size() + pods("dep").size(),
        n -> n == 0);
  }

  @Test
  void daemonSetRunsOnePodPerNode() throws Exception {
    ok("create", "namespace", "ds");
    cluster.kubectlStdin(
        """
        apiVersion: apps/v1
        kind: DaemonSet
        metadata: {name: agent, namespace: ds}
        spec:
          selector: {matchLabels: {app: agent}}
          template:
            metadata: {labels: {app: agent}}
            spec: {containers: [{name: a, image: busybox}]}
        """,
        "apply",
        "-f",
        "-");
    List<Pod> pods =
        Fake.await("a pod per node", () -> pods("ds"), p -> p.size() == 2 && allBound(p));
    assertThat(pods.stream().map(p -> p.getSpec().getNodeName()).collect(Collectors.toSet()))
        .isEqualTo(Set.of("worker-a", "worker-b"));
    Fake.await(
        "status",
        () -> client.apps().daemonSets().inNamespace("ds").withName("agent").get().getStatus(),
        s -> s != null && s.getDesiredNumberScheduled() == 2 && s.getCurrentNumberScheduled() == 2);
    assertThat(ok("get", "ds", "agent", "-n", "ds").out()).containsPattern("agent +2 +2 +0 +2 +0");
    // a node selector narrows it to the matching node: the other pod goes
    ok(
        "patch",
        "ds",
        "agent",
        "-n",
        "ds",
        "-p",
        "{\"spec\":{\"template\":{\"spec\":{\"nodeSelector\":{\"zone\":\"a\"}}}}}");
    Fake.await(
        "one pod, on worker-a",
        () -> pods("ds"),
        p ->
            p.size() == 1
                && "worker-a".equals(p.getFirst().getSpec().getNodeName())
                && p.getFirst().getSpec().getNodeSelector() != null);
  }

  @Test
  void garbageCollectorDeletesWhatLostItsOwner() throws Exception {
    ok("create", "namespace", "gc");
    var owner =
        client
            .configMaps()
            .inNamespace("gc")
            .resource(
                new io.fabric8.kubernetes.api.model.ConfigMapBuilder()
                    .withNewMetadata()
                    .withName("owner")
                    .endMetadata()
                    .build())
            .create();
    for (String[] dep :
        new String[][] {
          {"orphan", "00000000-0000-0000-0000-000000000000"}, {"kept", owner.getMetadata().getUid()}
        }) {
      client
          .configMaps()
          .inNamespace("gc")
          .resource(
              new io.fabric8.kubernetes.api.model.ConfigMapBuilder()
                  .withNewMetadata()
                  .withName(dep[0])
                  .addNewOwnerReference()
                  .withApiVersion("v1")
                  .withKind("ConfigMap")
                  .withName("owner")
                  .withUid(dep[1])
                  .endOwnerReference()
                  .endMetadata()
                  .build())
          .create();
    }
    Fake.await(
        "orphan collected",
        () -> client.configMaps().inNamespace("gc").withName("orphan").get(),
        o -> o == null);
    assertThat(client.configMaps().inNamespace("gc").withName("kept").get()).isNotNull();
  }

  /**
   * The kubelet stand-in's status write: on the pod as it is now, again on a conflict (the
   * scheduler or a controller may have written it since the test read it).
   */
  private static void setPodStatus(
      String ns,
      Pod pod,
      java.util.function.Consumer<io.fabric8.kubernetes.api.model.PodStatus> change) {
    Fake.onConflict(() -> {
      Pod current = client.pods().inNamespace(ns).withName(pod.getMetadata().getName()).get();
      change.accept(current.getStatus());
      client.pods().inNamespace(ns).resource(current).updateStatus();
    });
  }

  /** The kubelet stand-in: pod {@code name} in {@code ns} runs and is Ready. */
  private static void runReady(String ns, String name) {
    setPodStatus(
        ns,
        client.pods().inNamespace(ns).withName(name).get(),
        st -> {
          st.setPhase("Running");
          st.setConditions(
              List.of(new PodConditionBuilder().withType("Ready").withStatus("True").build()));
        });
  }

  private static List<String> podNames(String ns) {
    return pods(ns).stream().map(p -> p.getMetadata().getName()).sorted().toList();
  }

  @Test
  void statefulSetMakesOrderedPodsAndRemovesThemFromTheTop() throws Exception {
    ok("create", "namespace", "sts");
    cluster.kubectlStdin(
        """
        apiVersion: apps/v1
        kind: StatefulSet
        metadata: {name: db, namespace: sts}
        spec:
          serviceName: db
          replicas: 3
          selector: {matchLabels: {app: db}}
          template:
            metadata: {labels: {app: db}}
            spec: {containers: [{name: db, image: postgres}]}
        """,
        "apply",
        "-f",
        "-");
    Pod first = Fake.await("db-0", () -> pods("sts"), p -> p.size() == 1 && allBound(p)).getFirst();
    assertThat(first.getMetadata().getName()).isEqualTo("db-0");
    assertThat(first.getSpec().getHostname()).isEqualTo("db-0");
    assertThat(first.getSpec().getSubdomain()).isEqualTo("db");
    assertThat(first.getMetadata().getLabels())
        .containsEntry("app", "db")
        .containsEntry("statefulset.kubernetes.io/pod-name", "db-0")
        .containsEntry("apps.kubernetes.io/pod-index", "0")
        .containsKey("controller-revision-hash");
    // OrderedReady: db-1 only once db-0 runs and is ready (several resync passes pass first)
    Thread.sleep(2500);
    assertThat(podNames("sts")).containsExactly("db-0");
    runReady("sts", "db-0");
    Fake.await("db-1", () -> podNames("sts"), n -> n.equals(List.of("db-0", "db-1")));
    runReady("sts", "db-1");
    Fake.await("db-2", () -> podNames("sts"), n -> n.size() == 3);
    runReady("sts", "db-2");
    var set =
        Fake.await(
            "3 ready",
            () -> client.apps().statefulSets().inNamespace("sts").withName("db").get(),
            s ->
                s.getStatus() != null
                    && Integer.valueOf(3).equals(s.getStatus().getReadyReplicas()));
    assertThat(set.getStatus().getCurrentRevision())
        .isEqualTo(set.getStatus().getUpdateRevision())
        .isEqualTo(first.getMetadata().getLabels().get("controller-revision-hash"));
    TestCluster.Result done =
        ok("rollout", "status", "statefulset/db", "-n", "sts", "--timeout=20s");
    assertThat(ok("get", "statefulset", "db", "-n", "sts").out())
        .containsPattern("NAME +READY +AGE\\n")
        .containsPattern("db +3/3 +");
    // the defaulted partition (0) makes kubectl report a partitioned roll-out, as upstream's does
    assertThat(done.out()).contains("partitioned roll out complete: 3 new pods have been updated");

    // a failed pod is replaced under its name
    String uid = first.getMetadata().getUid();
    setPodStatus("sts", first, st -> st.setPhase("Failed"));
    Fake.await(
        "db-0 replaced",
        () -> client.pods().inNamespace("sts").withName("db-0").get(),
        p -> p != null && !p.getMetadata().getUid().equals(uid));
    runReady("sts", "db-0");

    // scale down: highest ordinal first, one at a time, while the rest are ready
    ok("scale", "statefulset", "db", "--replicas=1", "-n", "sts");
    Fake.await("db-0 left", () -> podNames("sts"), n -> n.equals(List.of("db-0")));
    // the event follows the delete: wait for both
    List<String> deletes =
        Fake.await(
            "delete events",
            () ->
                client.v1().events().inNamespace("sts").list().getItems().stream()
                    .filter(e -> e.getReason().equals("SuccessfulDelete"))
                    // event names end in the hex time of their making: name order is time order
                    .sorted(java.util.Comparator.comparing(e -> e.getMetadata().getName()))
                    .map(e -> e.getMessage())
                    .filter(m -> !m.startsWith("delete Pod db-0 "))
                    .toList(),
            m -> m.size() == 2);
    assertThat(deletes)
        .containsExactly(
            "delete Pod db-2 in StatefulSet db successful",
            "delete Pod db-1 in StatefulSet db successful");

    // a new template: the (ready) pod is replaced by one of the new revision
    String before = first.getMetadata().getLabels().get("controller-revision-hash");
    ok("set", "image", "statefulset/db", "db=postgres:17", "-n", "sts");
    Pod updated =
        Fake.await(
            "db-0 of the new revision",
            () -> client.pods().inNamespace("sts").withName("db-0").get(),
            p ->
                p != null
                    && !before.equals(p.getMetadata().getLabels().get("controller-revision-hash")));
    assertThat(updated.getSpec().getContainers().getFirst().getImage()).isEqualTo("postgres:17");
    runReady("sts", "db-0");
    Fake.await(
        "revision current",
        () -> client.apps().statefulSets().inNamespace("sts").withName("db").get().getStatus(),
        st ->
            st.getCurrentRevision().equals(st.getUpdateRevision())
                && !st.getUpdateRevision().equals(before));

    ok("delete", "statefulset", "db", "-n", "sts", "--cascade=background");
    Fake.await("pods gone", () -> pods("sts"), List::isEmpty);
  }

  @Test
  void jobRunsToCompletion() throws Exception {
    ok("create", "namespace", "job");
    ok("create", "job", "once", "--image=busybox", "-n", "job", "--", "true");
    Pod pod =
        Fake.await("job pod", () -> pods("job"), p -> p.size() == 1 && allBound(p)).getFirst();
    assertThat(pod.getMetadata().getLabels()).containsEntry("job-name", "once");
    // the kubelet stand-in: the pod finished
    setPodStatus("job", pod, st -> st.setPhase("Succeeded"));
    var job =
        Fake.await(
            "job complete",
            () -> client.batch().v1().jobs().inNamespace("job").withName("once").get(),
            j -> j.getStatus() != null && j.getStatus().getCompletionTime() != null);
    assertThat(job.getStatus().getSucceeded()).isEqualTo(1);
    assertThat(job.getStatus().getConditions())
        .anyMatch(c -> c.getType().equals("Complete") && c.getStatus().equals("True"));
    assertThat(pods("job")).hasSize(1); // the finished pod stays, no new one
  }

  @Test
  void jobKeepsParallelismAndFailsPastItsBackoffLimit() throws Exception {
    ok("create", "namespace", "jobs");
    cluster.kubectlStdin(
        """
        apiVersion: batch/v1
        kind: Job
        metadata: {name: batch, namespace: jobs}
        spec:
          parallelism: 2
          completions: 5
          backoffLimit: 1
          template:
            spec:
              restartPolicy: Never
              containers: [{name: c, image: busybox}]
        """,
        "apply",
        "-f",
        "-");
    List<Pod> pods = Fake.await("2 pods", () -> pods("jobs"), p -> p.size() == 2);
    for (Pod p : pods) {
      setPodStatus("jobs", p, st -> st.setPhase("Failed"));
    }
    var job =
        Fake.await(
            "job failed",
            () -> client.batch().v1().jobs().inNamespace("jobs").withName("batch").get(),
            j ->
                j.getStatus() != null
                    && j.getStatus().getConditions() != null
                    && j.getStatus().getConditions().stream()
                        .anyMatch(c -> c.getType().equals("Failed")));
    assertThat(job.getStatus().getFailed()).isEqualTo(2);
    assertThat(job.getStatus().getActive()).isZero();
    assertThat(job.getStatus().getConditions())
        .anyMatch(
            c -> c.getType().equals("Failed") && c.getReason().equals("BackoffLimitExceeded"));
    assertThat(pods("jobs").stream().filter(p -> !"Failed".equals(p.getStatus().getPhase())))
        .isEmpty();
  }

  @Test
  void serviceGetsEndpointsFromReadyAndUnreadyPods() throws Exception {
    ok("create", "namespace", "svc");
    ok("create", "deployment", "api", "--image=nginx", "--replicas=2", "--port=80", "-n", "svc");
    ok("expose", "deployment", "api", "--port=8080", "--target-port=80", "-n", "svc");
    List<Pod> pods =
        Fake.await("2 bound pods", () -> pods("svc"), p -> p.size() == 2 && allBound(p));
    // the kubelet stand-in: one pod ready at 10.0.0.1, one running but not ready at 10.0.0.2
    for (int i = 0; i < 2; i++) {
      int n = i;
      setPodStatus(
          "svc",
          pods.get(i),
          st -> {
            st.setPodIP("10.0.0." + (n + 1));
            st.setPhase("Running");
            st.setConditions(
                List.of(
                    new PodConditionBuilder()
                        .withType("Ready")
                        .withStatus(n == 0 ? "True" : "False")
                        .build()));
          });
    }
    var ep =
        Fake.await(
            "endpoints",
            () -> client.endpoints().inNamespace("svc").withName("api").get(),
            e ->
                e != null
                    && e.getSubsets() != null
                    && e.getSubsets().size() == 1
                    // both pods' status updates seen: one ready, one not (an earlier pass may
                    // have seen only the first)
                    && e.getSubsets().getFirst().getAddresses() != null
                    && e.getSubsets().getFirst().getAddresses().size() == 1
                    && e.getSubsets().getFirst().getNotReadyAddresses() != null
                    && e.getSubsets().getFirst().getNotReadyAddresses().size() == 1
                    && e.getSubsets().getFirst().getPorts() != null
                    && !e.getSubsets().getFirst().getPorts().isEmpty());
    assertThat(ep.getSubsets().getFirst().getAddresses().getFirst().getIp()).isEqualTo("10.0.0.1");
    assertThat(ep.getSubsets().getFirst().getNotReadyAddresses().getFirst().getIp())
        .isEqualTo("10.0.0.2");
    assertThat(ep.getSubsets().getFirst().getPorts().getFirst().getPort()).isEqualTo(80);
    var slices =
        Fake.await(
            "endpoint slice",
            () ->
                client
                    .discovery()
                    .v1()
                    .endpointSlices()
                    .inNamespace("svc")
                    .withLabel("kubernetes.io/service-name", "api")
                    .list()
                    .getItems(),
            l -> l.size() == 1 && l.getFirst().getEndpoints().size() == 2);
    assertThat(slices.getFirst().getEndpoints())
        .anyMatch(e -> e.getAddresses().equals(List.of("10.0.0.1")) && e.getConditions().getReady())
        .anyMatch(
            e -> e.getAddresses().equals(List.of("10.0.0.2")) && !e.getConditions().getReady());
    assertThat(ok("get", "endpoints", "api", "-n", "svc").out()).contains("10.0.0.1:80");
  }

  @Test
  void unschedulablePodStaysPendingAndBindingTwiceConflicts() throws Exception {
    ok("create", "namespace", "sched");
    client
        .pods()
        .inNamespace("sched")
        .resource(
            new PodBuilder()
                .withNewMetadata()
                .withName("picky")
                .endMetadata()
                .withNewSpec()
                .withNodeSelector(Map.of("disk", "ssd"))
                .addNewContainer()
                .withName("c")
                .withImage("busybox")
                .endContainer()
                .endSpec()
                .build())
        .create();
    String message =
        "0/2 nodes are available: 2 node(s) didn't match Pod's node affinity/selector."
            + " preemption: 0/2 nodes are available: 2 Preemption is not helpful for scheduling.";
    Pod picky =
        Fake.await(
            "PodScheduled=False",
            () -> client.pods().inNamespace("sched").withName("picky").get(),
            p -> p.getStatus().getConditions() != null && !p.getStatus().getConditions().isEmpty());
    var cond = picky.getStatus().getConditions().getFirst();
    assertThat(cond.getType()).isEqualTo("PodScheduled");
    assertThat(cond.getStatus()).isEqualTo("False");
    assertThat(cond.getReason()).isEqualTo("Unschedulable");
    assertThat(cond.getMessage()).isEqualTo(message);
    assertThat(picky.getSpec().getNodeName()).isNull();
    assertThat(picky.getStatus().getPhase()).isEqualTo("Pending");
    assertThat(ok("get", "events", "-n", "sched").out()).contains("FailedScheduling", message);
    // a second worker label fixes it: the scheduler binds on its next pass
    ok("label", "node", "worker-b", "disk=ssd");
    try {
      Fake.await(
          "bound to worker-b",
          () -> client.pods().inNamespace("sched").withName("picky").get().getSpec().getNodeName(),
          "worker-b"::equals);
    } finally {
      ok("label", "node", "worker-b", "disk-");
    }
    java.nio.file.Path binding = java.nio.file.Files.createTempFile("binding", ".json");
    try {
      java.nio.file.Files.writeString(
          binding,
          "{\"apiVersion\":\"v1\",\"kind\":\"Binding\",\"metadata\":{\"name\":\"picky\"},"
              + "\"target\":{\"kind\":\"Node\",\"name\":\"worker-a\"}}");
      TestCluster.Result again =
          cluster.kubectl(
              "create",
              "--raw",
              "/api/v1/namespaces/sched/pods/picky/binding",
              "-f",
              binding.toString());
      assertThat(again.exit()).isEqualTo(1);
      assertThat(again.err())
          .contains(
              "Operation cannot be fulfilled on pods/binding \"picky\": pod picky is already assigned to node \"worker-b\"");
      java.nio.file.Files.writeString(
          binding,
          "{\"apiVersion\":\"v1\",\"kind\":\"Binding\",\"metadata\":{\"name\":\"picky\"},\"target\":{}}");
      TestCluster.Result empty =
          cluster.kubectl(
              "create",
              "--raw",
              "/api/v1/namespaces/sched/pods/picky/binding",
              "-f",
              binding.toString());
      assertThat(empty.exit()).isEqualTo(1);
      assertThat(empty.err()).contains("target.name: Required value");
    } finally {
      java.nio.file.Files.delete(binding);
    }
    assertThat(client.pods().inNamespace("sched").withName("picky").get().getSpec().getNodeName())
        .isEqualTo("worker-b");
  }

  @Test
  void namespaceDeletionEmptiesItFirst() throws Exception {
    ok("create", "namespace", "doomed");
    ok("create", "configmap", "settings", "--from-literal=a=b", "-n", "doomed");
    ok("create", "deployment", "web", "--image=nginx", "--replicas=2", "-n", "doomed");
    Fake.await("pods", () -> pods("doomed"), p -> p.size() == 2);
    assertThat(ok("get", "ns", "doomed", "-o", "jsonpath={.spec.finalizers}").out())
        .isEqualTo("[\"kubernetes\"]");
    assertThat(ok("delete", "ns", "doomed").out()).isEqualTo("namespace \"doomed\" deleted\n");
    Fake.await(
        "namespace gone",
        () -> kubectl("get", "ns", "doomed"),
        r -> r.exit() == 1 && r.err().contains("namespaces \"doomed\" not found"));
    assertThat(client.configMaps().inNamespace("doomed").list().getItems()).isEmpty();
    assertThat(client.pods().inNamespace("doomed").list().getItems()).isEmpty();
    assertThat(client.apps().replicaSets().inNamespace("doomed").list().getItems()).isEmpty();
  }
}
