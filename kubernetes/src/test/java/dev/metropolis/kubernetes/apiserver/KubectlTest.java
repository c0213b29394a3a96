package dev.metropolis.kubernetes.apiserver;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The real kubectl (1.32 through the /usr/bin dispatcher, 1.27 and 1.33 directly) against an
 * in-process API server on a real etcd. Each test works in its own namespace or on its own names.
 */
class KubectlTest {
  private static final String KUBECTL_127 = "/usr/lib/google-cloud-sdk/bin/kubectl.1.27";
  private static final String KUBECTL_133 = "/usr/lib/google-cloud-sdk/bin/kubectl.1.33";

  private static TestCluster cluster;

  @BeforeAll
  static void start() throws Exception {
    assumeTrue(Files.isExecutable(Path.of(TestCluster.KUBECTL)), "kubectl is not installed");
    cluster = TestCluster.start();
  }

  @AfterAll
  static void stop() {
    if (cluster != null) {
      cluster.close();
    }
  }

  private static TestCluster.Result ok(String... args) throws Exception {
    TestCluster.Result r = cluster.kubectl(args);
    assertThat(r.exit()).as(r.toString()).isZero();
    return r;
  }

  private static TestCluster.Result fails(String... args) throws Exception {
    TestCluster.Result r = cluster.kubectl(args);
    assertThat(r.exit()).as(r.toString()).isEqualTo(1);
    return r;
  }

  private static TestCluster.Result failsAs(String user, String... args) throws Exception {
    TestCluster.Result r = cluster.kubectlAs(user, null, args);
    assertThat(r.exit()).as(r.toString()).isEqualTo(1);
    return r;
  }

  private static Path file(String name, String content) throws Exception {
    Path p = cluster.dir.resolve(name);
    Files.writeString(p, content);
    return p;
  }

  @Test
  void version() throws Exception {
    TestCluster.Result r = ok("version");
    assertThat(r.out())
        .contains("Client Version: v1.32")
        .contains("Server Version: v1.32.0-metropolis");
  }

  @Test
  void apiResources() throws Exception {
    TestCluster.Result r = ok("api-resources");
    assertThat(r.out())
        .containsPattern("NAME +SHORTNAMES +APIVERSION +NAMESPACED +KIND")
        .containsPattern("deployments +deploy +apps/v1 +true +Deployment")
        .containsPattern("namespaces +ns +v1 +false +Namespace")
        .containsPattern("leases +coordination.k8s.io/v1 +true +Lease");
  }

  @Test
  void apiResourcesWithOldAndNewClients() throws Exception {
    for (String binary : new String[] {KUBECTL_127, KUBECTL_133}) {
      TestCluster.Result r = cluster.kubectlAs("owner", binary, "api-resources");
      assertThat(r.exit()).as(binary + "\n" + r).isZero();
      assertThat(r.out()).containsPattern("pods +po +v1 +true +Pod");
      TestCluster.Result get = cluster.kubectlAs("owner", binary, "get", "ns", "kube-system");
      assertThat(get.out()).as(binary + "\n" + get).containsPattern("kube-system +Active");
    }
  }

  @Test
  void createWithJsonAndProtobufClients() throws Exception {
    // 1.27 sends JSON bodies for `create <kind>`, 1.33 protobuf like 1.32
    TestCluster.Result json =
        cluster.kubectlAs(
            "owner", KUBECTL_127, "create", "configmap", "from-127", "--from-literal=a=b");
    assertThat(json.out()).as(json.toString()).isEqualTo("configmap/from-127 created\n");
    TestCluster.Result proto =
        cluster.kubectlAs(
            "owner", KUBECTL_133, "create", "deployment", "from-133", "--image=nginx:1.27");
    assertThat(proto.out()).as(proto.toString()).isEqualTo("deployment.apps/from-133 created\n");
    assertThat(
            ok(
                    "get",
                    "deploy",
                    "from-133",
                    "-o",
                    "jsonpath={.spec.template.spec.containers[0].image} {.spec.replicas}"
                        + " {.spec.strategy.rollingUpdate.maxSurge}")
                .out())
        .isEqualTo("nginx:1.27 1 25%");
  }

  @Test
  void namespacesAreListedAndCreated() throws Exception {
    assertThat(ok("get", "ns").out())
        .containsPattern("NAME +STATUS +AGE")
        .containsPattern("default +Active")
        .containsPattern("kube-node-lease +Active");
    assertThat(ok("create", "namespace", "created-ns").out())
        .isEqualTo("namespace/created-ns created\n");
    assertThat(ok("get", "ns", "created-ns", "-o", "jsonpath={.status.phase}").out())
        .isEqualTo("Active");
    assertThat(fails("create", "namespace", "created-ns").err())
        .isEqualTo("Error from server (AlreadyExists): namespaces \"created-ns\" already exists\n");
  }

  @Test
  void applyGetLabelPatchDelete() throws Exception {
    ok("create", "namespace", "apply-ns");
    Path cm =
        file(
            "cm.yaml",
            """
            apiVersion: v1
            kind: ConfigMap
            metadata:
              name: settings
              namespace: apply-ns
            data:
              color: blue
            """);
    Path deploy =
        file(
            "deploy.yaml",
            """
            apiVersion: apps/v1
            kind: Deployment
            metadata:
              name: web
              namespace: apply-ns
            spec:
              replicas: 2
              selector:
                matchLabels: {app: web}
              template:
                metadata:
                  labels: {app: web}
                spec:
                  containers:
                  - name: web
                    image: nginx:1.27
                    ports:
                    - containerPort: 80
                    resources:
                      requests: {cpu: 100m, memory: 64Mi}
            """);
    assertThat(ok("apply", "-f", cm.toString()).out()).isEqualTo("configmap/settings created\n");
    assertThat(ok("apply", "-f", deploy.toString()).out())
        .isEqualTo("deployment.apps/web created\n");
    assertThat(ok("apply", "-f", cm.toString()).out()).isEqualTo("configmap/settings unchanged\n");

    TestCluster.Result get = ok("get", "deploy", "-n", "apply-ns");
    assertThat(get.out())
        .containsPattern("NAME +READY +UP-TO-DATE +AVAILABLE +AGE")
        .containsPattern("web +0/2 +0 +0 +\\d+s");
    assertThat(ok("get", "deploy", "web", "-n", "apply-ns", "-o", "wide").out())
        .containsPattern("CONTAINERS +IMAGES +SELECTOR")
        .containsPattern("web +nginx:1.27 +app=web");

    String yaml = ok("get", "cm", "settings", "-n", "apply-ns", "-o", "yaml").out();
    assertThat(yaml)
        .contains("color: blue")
        .contains("kind: ConfigMap")
        .containsPattern("resourceVersion: \"\\d+\"")
        .containsPattern("uid: [0-9a-f-]{36}")
        .contains("kubectl.kubernetes.io/last-applied-configuration");
    // quantities come back in their canonical text form, not as fabric8's internal fields
    assertThat(
            ok(
                    "get",
                    "deploy",
                    "web",
                    "-n",
                    "apply-ns",
                    "-o",
                    "jsonpath={.spec.template.spec.containers[0].resources.requests.memory}")
                .out())
        .isEqualTo("64Mi");

    // a changed manifest is applied as a strategic merge patch: the container keeps its ports
    Files.writeString(deploy, Files.readString(deploy).replace("nginx:1.27", "nginx:1.28"));
    assertThat(ok("apply", "-f", deploy.toString()).out())
        .isEqualTo("deployment.apps/web configured\n");
    assertThat(
            ok(
                    "get",
                    "deploy",
                    "web",
                    "-n",
                    "apply-ns",
                    "-o",
                    "jsonpath={.spec.template.spec.containers[0].image}"
                        + " {.spec.template.spec.containers[0].ports[0].containerPort}"
                        + " {.metadata.generation}")
                .out())
        .isEqualTo("nginx:1.28 80 2");

    assertThat(ok("label", "cm", "settings", "-n", "apply-ns", "tier=backend").out())
        .isEqualTo("configmap/settings labeled\n");
    assertThat(ok("get", "cm", "-n", "apply-ns", "-l", "tier=backend", "-o", "name").out())
        .isEqualTo("configmap/settings\n");
    assertThat(ok("get", "cm", "-n", "apply-ns", "-l", "tier!=backend", "-o", "name").out())
        .isEmpty();
    assertThat(ok("get", "cm", "-n", "apply-ns", "--show-labels").out())
        .containsPattern("settings +1 +\\d+s +tier=backend");

    assertThat(
            ok("patch", "cm", "settings", "-n", "apply-ns", "-p", "{\"data\":{\"size\":\"xl\"}}")
                .out())
        .isEqualTo("configmap/settings patched\n");
    assertThat(
            ok(
                    "patch",
                    "cm",
                    "settings",
                    "-n",
                    "apply-ns",
                    "--type=json",
                    "-p",
                    "[{\"op\":\"remove\",\"path\":\"/data/color\"}]")
                .out())
        .isEqualTo("configmap/settings patched\n");
    assertThat(ok("get", "cm", "settings", "-n", "apply-ns", "-o", "jsonpath={.data}").out())
        .isEqualTo("{\"size\":\"xl\"}");

    assertThat(ok("scale", "deploy", "web", "-n", "apply-ns", "--replicas=5").out())
        .isEqualTo("deployment.apps/web scaled\n");
    assertThat(
            ok("get", "deploy", "web", "-n", "apply-ns", "-o", "jsonpath={.spec.replicas}").out())
        .isEqualTo("5");

    assertThat(ok("delete", "cm", "settings", "-n", "apply-ns").out())
        .isEqualTo("configmap \"settings\" deleted\n");
    assertThat(fails("get", "cm", "settings", "-n", "apply-ns").err())
        .isEqualTo("Error from server (NotFound): configmaps \"settings\" not found\n");
    // no namespace controller runs here: the namespace stays Terminating, closed to new content
    // (kubectl would wait for it to go, as upstream's waits for the namespace controller)
    assertThat(ok("delete", "ns", "apply-ns", "--wait=false").out())
        .isEqualTo("namespace \"apply-ns\" deleted\n");
    assertThat(ok("get", "ns", "apply-ns").out()).containsPattern("apply-ns +Terminating");
    assertThat(fails("create", "cm", "late", "-n", "apply-ns").err())
        .isEqualTo(
            "error: failed to create configmap: configmaps \"late\" is forbidden: unable to create"
                + " new content in namespace apply-ns because it is being terminated\n");
    // what the namespace controller does last: remove its finalizer through /finalize
    TestCluster.Result fin =
        cluster.kubectlStdin(
            "{\"apiVersion\":\"v1\",\"kind\":\"Namespace\",\"metadata\":{\"name\":\"apply-ns\"},"
                + "\"spec\":{\"finalizers\":[]}}",
            "replace",
            "--raw",
            "/api/v1/namespaces/apply-ns/finalize",
            "-f",
            "-");
    assertThat(fin.exit()).as(fin.toString()).isZero();
    // on a 404 kubectl checks the namespace and reports that it is gone
    assertThat(fails("get", "deploy", "web", "-n", "apply-ns").err())
        .isEqualTo("Error from server (NotFound): namespaces \"apply-ns\" not found\n");
    assertThat(ok("get", "deploy", "-A").out()).doesNotContain("apply-ns");
  }

  @Test
  void runExposeDescribeAndGetAll() throws Exception {
    ok("create", "namespace", "run-ns");
    assertThat(
            ok("run", "pod1", "-n", "run-ns", "--image=busybox", "--restart=Never", "--", "true")
                .out())
        .isEqualTo("pod/pod1 created\n");
    assertThat(ok("get", "pods", "-n", "run-ns").out())
        .containsPattern("NAME +READY +STATUS +RESTARTS +AGE")
        .containsPattern("pod1 +0/1 +Pending +0 +\\d+s");
    assertThat(ok("get", "pods", "-n", "run-ns", "-o", "wide").out())
        .containsPattern("IP +NODE +NOMINATED NODE +READINESS GATES")
        .containsPattern("pod1 .* <none> +<none> +<none> +<none>");
    assertThat(ok("get", "pods", "-A").out()).containsPattern("run-ns +pod1 +0/1 +Pending");
    assertThat(ok("describe", "pod", "pod1", "-n", "run-ns").out())
        .containsPattern("Name: +pod1")
        .containsPattern("Namespace: +run-ns")
        .containsPattern("Status: +Pending")
        .containsPattern("Image: +busybox");
    ok("create", "deployment", "web", "-n", "run-ns", "--image=nginx", "--replicas=2");
    assertThat(ok("expose", "deployment", "web", "-n", "run-ns", "--port=80").out())
        .isEqualTo("service/web exposed\n");
    assertThat(ok("get", "all", "-n", "run-ns").out())
        .containsPattern("pod/pod1 +0/1 +Pending")
        .containsPattern("service/web +ClusterIP +10\\.96\\.\\d+\\.\\d+ +<none> +80/TCP")
        .containsPattern("deployment.apps/web +0/2 +0 +0");
    assertThat(ok("cluster-info").out())
        .startsWith("Kubernetes control plane is running at " + cluster.url());
  }

  @Test
  void moreKindsApplyAndCreate() throws Exception {
    Path manifests =
        file(
            "more.yaml",
            """
            apiVersion: batch/v1
            kind: CronJob
            metadata: {name: nightly}
            spec:
              schedule: "0 3 * * *"
              jobTemplate:
                spec:
                  template:
                    spec:
                      restartPolicy: OnFailure
                      containers: [{name: c, image: busybox}]
            ---
            apiVersion: rbac.authorization.k8s.io/v1
            kind: ClusterRole
            metadata: {name: reader}
            rules: [{apiGroups: [""], resources: [pods], verbs: [get, list]}]
            ---
            apiVersion: v1
            kind: Secret
            metadata: {name: token}
            stringData: {password: hunter2}
            """);
    assertThat(ok("apply", "-f", manifests.toString()).out())
        .isEqualTo(
            """
            cronjob.batch/nightly created
            clusterrole.rbac.authorization.k8s.io/reader created
            secret/token created
            """);
    assertThat(ok("get", "secret", "token", "-o", "jsonpath={.data.password}").out())
        .isEqualTo("aHVudGVyMg==");
    // typed clients send these as protobuf
    assertThat(ok("create", "job", "once", "--image=busybox").out())
        .isEqualTo("job.batch/once created\n");
    assertThat(ok("create", "rolebinding", "read", "--clusterrole=reader", "--user=alice").out())
        .isEqualTo("rolebinding.rbac.authorization.k8s.io/read created\n");
    assertThat(ok("get", "cj,jobs,clusterroles", "-o", "name").out())
        .contains(
            "cronjob.batch/nightly",
            "job.batch/once",
            "clusterrole.rbac.authorization.k8s.io/reader");
  }

  @Test
  void serverSideApply() throws Exception {
    Path cm =
        file(
            "ssa.yaml",
            """
            apiVersion: v1
            kind: ConfigMap
            metadata: {name: ssa}
            data: {a: "1"}
            """);
    assertThat(ok("apply", "--server-side", "-f", cm.toString()).out())
        .isEqualTo("configmap/ssa serverside-applied\n");
    Files.writeString(cm, Files.readString(cm).replace("\"1\"", "\"2\""));
    assertThat(ok("apply", "--server-side", "-f", cm.toString()).out())
        .isEqualTo("configmap/ssa serverside-applied\n");
    assertThat(ok("get", "cm", "ssa", "-o", "jsonpath={.data.a}").out()).isEqualTo("2");
  }

  @Test
  void logsAndExecSayTheyAreNotSupportedYet() throws Exception {
    ok("run", "box", "--image=busybox", "--restart=Never");
    TestCluster.Result logs = fails("logs", "box");
    assertThat(logs.err())
        .contains(
            "pod \"box\": logs are not yet supported on this node: the pod is not scheduled to a"
                + " node");
    TestCluster.Result exec = fails("exec", "box", "--", "true");
    assertThat(exec.err()).contains("pod \"box\": exec is not yet supported on this node");
    assertThat(fails("logs", "nobox").err()).contains("pods \"nobox\" not found");
  }

  @Test
  void authCanIAndWhoami() throws Exception {
    assertThat(ok("auth", "can-i", "create", "pods").out()).isEqualTo("yes\n");
    TestCluster.Result no = cluster.kubectlAs("alice", null, "auth", "can-i", "create", "pods");
    assertThat(no.exit()).as(no.toString()).isEqualTo(1);
    assertThat(no.out())
        .isEqualTo("no - only cluster-admin, and nodes for their own objects, are authorized\n");
    assertThat(ok("auth", "whoami").out())
        .containsPattern("Username +owner")
        .containsPattern("Groups +\\[system:authenticated\\]");
  }

  @Test
  void nodesPrintTheirColumns() throws Exception {
    String status =
        """
        {"status":{"conditions":[{"type":"Ready","status":"True"}],
                   "addresses":[{"type":"InternalIP","address":"10.1.0.2"}],
                   "nodeInfo":{"kubeletVersion":"v1.32.0","osImage":"Metropolis",
                               "kernelVersion":"6.1.0","containerRuntimeVersion":"runc://1.1"}}}
        """;
    Path node =
        file(
            "node.json",
            """
            {"apiVersion":"v1","kind":"Node",
             "metadata":{"name":"metropolis-0123","labels":{"node-role.kubernetes.io/worker":""}}}
            """);
    ok("create", "-f", node.toString());
    // status is a subresource: it is written through /status, as a kubelet does
    ok("patch", "node", "metropolis-0123", "--subresource=status", "--type=merge", "-p", status);
    TestCluster.Result r = ok("get", "nodes");
    assertThat(r.out())
        .containsPattern("NAME +STATUS +ROLES +AGE +VERSION")
        .containsPattern("metropolis-0123 +Ready +worker +\\d+s +v1.32.0");
    assertThat(ok("get", "nodes", "-o", "wide").out())
        .containsPattern("INTERNAL-IP +EXTERNAL-IP +OS-IMAGE +KERNEL-VERSION +CONTAINER-RUNTIME")
        .containsPattern("10.1.0.2 +<none> +Metropolis +6.1.0 +runc://1.1");
    assertThat(
            ok("get", "no", "--field-selector", "metadata.name=metropolis-0123", "-o", "name")
                .out())
        .isEqualTo("node/metropolis-0123\n");
  }

  @Test
  void watchSeesChanges() throws Exception {
    ok("create", "namespace", "watch-ns");
    Process watch = cluster.start("owner", null, null, "get", "cm", "-n", "watch-ns", "-w");
    try (BufferedReader out =
        new BufferedReader(new InputStreamReader(watch.getInputStream(), StandardCharsets.UTF_8))) {
      // an empty namespace prints nothing until the first event. Give kubectl time to list and
      // open its watch so the row comes as a watch event; had the create won the race, the list
      // would print the same two lines, so the assertions do not depend on the timing.
      Thread.sleep(1500);
      ok("create", "configmap", "seen", "-n", "watch-ns", "--from-literal=a=b");
      String header = out.readLine();
      String row = out.readLine();
      assertThat(header).matches("NAME +DATA +AGE");
      assertThat(row).matches("seen +1 +\\d+s");
    } finally {
      watch.destroy();
      watch.waitFor(10, TimeUnit.SECONDS);
    }
  }

  @Test
  void malformedJsonIsBadRequest() throws Exception {
    Path bad = file("bad.json", "{\"metadata\": {\"name\": ");
    TestCluster.Result r =
        fails("create", "--raw", "/api/v1/namespaces/default/configmaps", "-f", bad.toString());
    assertThat(r.err())
        .startsWith("Error from server (BadRequest): the request body is not valid JSON");
  }

  @Test
  void invalidNameIsInvalidWithCauses() throws Exception {
    TestCluster.Result r = fails("create", "configmap", "Bad_Name");
    assertThat(r.err())
        .isEqualTo(
            "error: failed to create configmap: The ConfigMap \"Bad_Name\" is invalid: metadata.name: Invalid value: \"Bad_Name\": a"
                + " lowercase RFC 1123 subdomain must consist of lower case alphanumeric"
                + " characters, '-' or '.', and must start and end with an alphanumeric character"
                + " (e.g. 'example.com', regex used for validation is"
                + " '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')\n");
  }

  @Test
  void unknownFieldsAreRejectedStrictly() throws Exception {
    Path cm =
        file(
            "unknown.yaml",
            """
            apiVersion: v1
            kind: ConfigMap
            metadata: {name: strict}
            colour: blue
            """);
    TestCluster.Result r = fails("apply", "-f", cm.toString());
    assertThat(r.err())
        .contains("Error from server (BadRequest)")
        .contains(
            "ConfigMap in version \"v1\" cannot be handled as a ConfigMap: strict decoding error:"
                + " unknown field \"colour\"");
    assertThat(fails("get", "cm", "strict").err()).contains("NotFound");
  }

  @Test
  void explainPrintsFieldsAndTypes() throws Exception {
    // kubectl 1.27 explains from /openapi/v2 unless KUBECTL_EXPLAIN_OPENAPIV3=true; 1.32 and 1.33
    // use v3.
    for (String binary : new String[] {TestCluster.KUBECTL, KUBECTL_133}) {
      TestCluster.Result replicas =
          cluster.kubectlAs("owner", binary, "explain", "deployment.spec.replicas");
      assertThat(replicas.exit()).as(binary + "\n" + replicas).isZero();
      assertThat(replicas.out())
          .as(binary)
          .containsPattern("KIND: +Deployment")
          .containsPattern("FIELD: +replicas <integer>");
      TestCluster.Result containers =
          cluster.kubectlAs("owner", binary, "explain", "pods.spec.containers");
      assertThat(containers.exit()).as(binary + "\n" + containers).isZero();
      assertThat(containers.out())
          .as(binary)
          .containsPattern("KIND: +Pod")
          .containsPattern("FIELD: +containers <\\[\\]Container>")
          .contains("  image\t<string>")
          .contains("  env\t<[]EnvVar>")
          .contains("  name\t<string> -required-")
          .contains("  resources\t<ResourceRequirements>");
    }
  }

  @Test
  void reapplyMergesContainersByName() throws Exception {
    // kubectl computes the strategic merge patch from its built-in Go types (the schemas' merge
    // keys serve clients without them); the server must delete the dropped container by name.
    String deployment =
        """
        apiVersion: apps/v1
        kind: Deployment
        metadata: {name: twoc}
        spec:
          selector: {matchLabels: {app: twoc}}
          template:
            metadata: {labels: {app: twoc}}
            spec:
              containers:
              - {name: main, image: "busybox:1", env: [{name: A, value: "1"}]}
        """;
    Path two = file("twoc.yaml", deployment + "      - {name: sidecar, image: \"busybox:1\"}\n");
    ok("apply", "-f", two.toString());
    Path one = file("onec.yaml", deployment.replace("busybox:1", "busybox:2"));
    assertThat(ok("apply", "-f", one.toString()).out())
        .isEqualTo("deployment.apps/twoc configured\n");
    assertThat(
            ok(
                    "get",
                    "deploy",
                    "twoc",
                    "-o",
                    "jsonpath={range .spec.template.spec.containers[*]}{.name}={.image}"
                        + " {.env[0].value};{end}")
                .out())
        .isEqualTo("main=busybox:2 1;");
  }

  @Test
  void editAndStrictCreateValidateOnTheServer() throws Exception {
    ok("create", "configmap", "editme", "--from-literal=color=blue");
    Path editor = file("editor.sh", "#!/bin/sh\nsed -i 's/color: blue/color: green/' \"$1\"\n");
    assertThat(editor.toFile().setExecutable(true)).isTrue();
    TestCluster.Result edit =
        cluster.kubectlEnv(Map.of("KUBE_EDITOR", editor.toString()), "edit", "cm", "editme");
    assertThat(edit.exit()).as(edit.toString()).isZero();
    assertThat(edit.out()).isEqualTo("configmap/editme edited\n");
    assertThat(ok("get", "cm", "editme", "-o", "jsonpath={.data.color}").out()).isEqualTo("green");

    Path d =
        file(
            "nested-unknown.yaml",
            """
            apiVersion: apps/v1
            kind: Deployment
            metadata: {name: nested}
            spec:
              selector: {matchLabels: {app: n}}
              template:
                metadata: {labels: {app: n}}
                spec: {containers: [{name: c, image: busybox, colour: blue}]}
            """);
    TestCluster.Result r = fails("create", "--validate=strict", "-f", d.toString());
    assertThat(r.err())
        .contains("Error from server (BadRequest)")
        .contains(
            "strict decoding error: unknown field \"spec.template.spec.containers[0].colour\"");
  }

  @Test
  void wrongTypeIsBadRequest() throws Exception {
    Path d =
        file(
            "wrongtype.yaml",
            """
            apiVersion: apps/v1
            kind: Deployment
            metadata: {name: wrongtype}
            spec:
              replicas: three
              selector: {matchLabels: {app: w}}
              template:
                metadata: {labels: {app: w}}
                spec: {containers: [{name: c, image: busybox}]}
            """);
    TestCluster.Result r = fails("apply", "-f", d.toString());
    assertThat(r.err())
        .isEqualTo(
            "Error from server (BadRequest): error when creating \""
                + d
                + "\": Deployment in version \"v1\" cannot be handled as a Deployment: json:"
                + " cannot unmarshal string into Go struct field DeploymentSpec.spec.replicas of"
                + " type int32\n");
    assertThat(fails("get", "deployment", "wrongtype").err()).contains("NotFound");
  }

  @Test
  void staleResourceVersionIsConflict() throws Exception {
    ok("create", "configmap", "versioned", "--from-literal=k=1");
    String rv = ok("get", "cm", "versioned", "-o", "jsonpath={.metadata.resourceVersion}").out();
    ok("label", "cm", "versioned", "changed=yes");
    Path stale =
        file(
            "stale.json",
            "{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"versioned\","
                + "\"resourceVersion\":\""
                + rv
                + "\"},\"data\":{\"k\":\"2\"}}");
    TestCluster.Result r = fails("replace", "-f", stale.toString());
    assertThat(r.err())
        .isEqualTo(
            "Error from server (Conflict): error when replacing \""
                + stale
                + "\": Operation cannot be fulfilled on configmaps \"versioned\": the object has"
                + " been modified; please apply your changes to the latest version and try"
                + " again\n");
  }

  @Test
  void anonymousIsUnauthorized() throws Exception {
    TestCluster.Result r = failsAs("anonymous", "get", "pods");
    // the token is not a credential here: the request is anonymous and answered 401
    assertThat(r.err())
        .endsWith(
            "error: You must be logged in to the server (the server has asked for the client to"
                + " provide credentials)\n");
  }

  @Test
  void untrustedCertificateIsRejectedByTls() throws Exception {
    TestCluster.Result r = failsAs("untrusted", "get", "pods");
    // kubectl retries; its last line may report the alert or the broken pipe that follows it
    assertThat(r.err())
        .contains("remote error: tls: unknown certificate")
        .containsPattern("(?m)^Unable to connect to the server: ");
  }

  @Test
  void otherUsersAreForbidden() throws Exception {
    TestCluster.Result r = failsAs("alice", "get", "pods", "-n", "kube-system");
    assertThat(r.err())
        .isEqualTo(
            "Error from server (Forbidden): pods is forbidden: User \"alice\" cannot list resource"
                + " \"pods\" in API group \"\" in the namespace \"kube-system\"\n");
  }
}
