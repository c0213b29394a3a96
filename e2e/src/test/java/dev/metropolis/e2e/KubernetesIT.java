package dev.metropolis.e2e;

import static dev.metropolis.launch.Eventually.testEventual;
import static org.assertj.core.api.Assertions.assertThat;

import dev.metropolis.api.common.ClusterConfiguration;
import dev.metropolis.api.management.UpdateNodeRolesRequest;
import dev.metropolis.e2e.Harness.Run;
import dev.metropolis.launch.LocalCluster;
import dev.metropolis.launch.NodeParametersFiles;
import dev.metropolis.osbase.pki.Pem;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/**
 * Kubernetes on a launched cluster, through the real metroctl and the real kubectl: the
 * KubernetesController role serves the API, KubernetesWorker nodes register and stay Ready, role
 * and configured labels are synchronised, node credentials are confined to their own objects, and
 * the API keeps answering through a second controller when the first one's node is down.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class KubernetesIT {
  private static final String KUBECTL = "/usr/bin/kubectl";
  @TempDir static Path scratch;
  private static LocalCluster cluster;
  private static Path config;
  private static Path kubeconfig;
  private static Path credentialCommand;

  @BeforeAll
  static void start() throws Exception {
    ClusterConfiguration conf =
        NodeParametersFiles.testConfiguration("cluster.test").toBuilder()
            .setKubernetes(
                ClusterConfiguration.Kubernetes.newBuilder()
                    .addNodeLabelsToSynchronize(
                        ClusterConfiguration.Kubernetes.NodeLabelsToSynchronize.newBuilder()
                            .setRegexp("example\\.com/.*")))
            .build();
    cluster = Harness.launch(new LocalCluster.Options(3, conf, Set.of(1, 2), Set.of(1, 2)));
    config = scratch.resolve("metroctl");
    cluster.writeMetroctlConfig(config);
    kubeconfig = scratch.resolve("kubeconfig");
    // what kubectl runs for credentials: the metroctl jar, as the ./metropolis wrapper would
    credentialCommand = scratch.resolve("metroctl.sh");
    Files.writeString(
        credentialCommand,
        "#!/bin/sh\nexec " + String.join(" ", Harness.metroctlCommand(List.of())) + " \"$@\"\n");
    Files.setPosixFilePermissions(credentialCommand, PosixFilePermissions.fromString("rwx------"));
  }

  @AfterAll
  static void stop() {
    if (cluster != null) {
      cluster.close();
    }
  }

  /** metroctl as the owner through node {@code via}, with the test's kubeconfig. */
  private static Run metroctl(int via, String... args) throws Exception {
    List<String> all = new ArrayList<>();
    all.add("--config=" + config);
    all.addAll(Harness.reach(cluster, via));
    all.addAll(List.of(args));
    return Harness.metroctl(
        scratch,
        all,
        Map.of("KUBECONFIG", kubeconfig.toString(), "METROCTL_EXEC", credentialCommand.toString()));
  }

  private static Run kubectl(String... args) throws Exception {
    return kubectlWith(kubeconfig, args);
  }

  private static Run kubectlWith(Path kc, String... args) throws Exception {
    List<String> cmd = new ArrayList<>();
    cmd.add(KUBECTL);
    cmd.addAll(List.of(args));
    return Harness.run(
        scratch,
        cmd,
        Map.of(
            "KUBECONFIG",
            kc.toString(),
            "KUBECACHEDIR",
            Files.createTempDirectory(scratch, "cache").toString(),
            "HOME",
            scratch.toString()));
  }

  private static Run ok(Run r) {
    assertThat(r.code()).as("%s%n%s", r.out(), r.err()).isZero();
    return r;
  }

  @Test
  @Order(1)
  void metroctlConfiguresKubectl() throws Exception {
    Run bad = metroctl(1, "k8s", "configure", "--context", "it");
    assertThat(bad.code()).isEqualTo(1);
    assertThat(bad.err())
        .contains("does not serve Kubernetes (no KubernetesController role)")
        .contains(cluster.nodeId(1));
    assertThat(kubeconfig).doesNotExist();

    Run r = ok(metroctl(0, "k8s", "configure", "--context", "it"));
    assertThat(r.out())
        .isEqualTo(
            "Success! kubeconfig is set up. You can now run kubectl --context=it ... to access"
                + " the Kubernetes cluster.\n");
    assertThat(Files.readString(kubeconfig))
        .contains("current-context: it")
        .contains("tls-server-name: " + cluster.nodeId(0))
        .contains("- k8scredplugin");
    assertThat(ok(kubectl("version", "-o", "json")).out()).contains("\"minor\": \"32\"");
  }

  @Test
  @Order(2)
  void workersRegisterAndAreReady() throws Exception {
    testEventual(
        "nodes 1 and 2 Ready in kubectl get nodes",
        Duration.ofSeconds(60),
        () -> {
          String out = ok(kubectl("get", "nodes", "--no-headers")).out();
          assertThat(out.lines()).hasSize(2);
          assertThat(out)
              .containsPattern(cluster.nodeId(1) + " +Ready +ConsensusMember,KubernetesWorker ")
              .containsPattern(cluster.nodeId(2) + " +Ready +ConsensusMember,KubernetesWorker ");
        });
    assertThat(ok(kubectl("get", "nodes", "-o", "wide")).out())
        .contains(cluster.address(1))
        .contains("INTERNAL-IP");
    assertThat(
            ok(kubectl(
                    "get",
                    "lease",
                    "-n",
                    "kube-node-lease",
                    cluster.nodeId(1),
                    "-o",
                    "jsonpath={.spec.holderIdentity}"))
                .out())
        .isEqualTo(cluster.nodeId(1));
  }

  @Test
  @Order(20)
  void deploymentsAreScheduledOnWorkersAndWaitForAKubelet() throws Exception {
    ok(kubectl("create", "deployment", "web", "--image=nginx", "--replicas=3"));
    testEventual(
        "3 pods of web bound to workers",
        Duration.ofSeconds(60),
        () -> {
          String nodes =
              ok(kubectl(
                      "get",
                      "pods",
                      "-l",
                      "app=web",
                      "-o",
                      "jsonpath={range .items[*]}{.spec.nodeName}{\"\\n\"}{end}"))
                  .out();
          assertThat(nodes.lines().toList())
              .hasSize(3)
              .allSatisfy(n -> assertThat(n).isIn(cluster.nodeId(1), cluster.nodeId(2)));
        });
    assertThat(ok(kubectl("get", "events", "--field-selector", "reason=Scheduled")).out())
        .contains("Successfully assigned default/web-");
    // no kubelet runs containers yet: the rollout waits, as upstream's would on a stuck node
    Run rollout = kubectl("rollout", "status", "deployment/web", "--timeout=3s");
    assertThat(rollout.code()).isEqualTo(1);
    assertThat(rollout.out())
        .contains(
            "Waiting for deployment \"web\" rollout to finish: 0 of 3 updated replicas are"
                + " available...");
    ok(kubectl("delete", "deployment", "web"));
    testEventual(
        "web's pods gone",
        Duration.ofSeconds(30),
        () ->
            assertThat(ok(kubectl("get", "pods", "-l", "app=web", "-o", "name")).out()).isEmpty());
    ok(kubectl("create", "namespace", "scratch"));
    ok(kubectl("create", "configmap", "c", "-n", "scratch", "--from-literal=a=1"));
    // the namespace controller empties and finalises it; kubectl waits for that
    ok(kubectl("delete", "namespace", "scratch", "--timeout=30s"));
    assertThat(kubectl("get", "namespace", "scratch").err()).contains("NotFound");
  }

  @Test
  @Order(30)
  void addingTheWorkerRoleRegistersTheNodeWithin30s() throws Exception {
    String id = cluster.nodeId(0);
    assertThat(ok(metroctl(0, "node", "add", "role", "KubernetesWorker", id)).out())
        .isEqualTo("Updated node " + id + ".\n");
    testEventual(
        "node 0 Ready in kubectl get nodes",
        Duration.ofSeconds(30),
        () ->
            assertThat(ok(kubectl("get", "nodes", "--no-headers")).out())
                .containsPattern(
                    id + " +Ready +ConsensusMember,KubernetesController,KubernetesWorker "));
  }

  @Test
  @Order(40)
  void matchingMetropolisLabelsAreSynchronised() throws Exception {
    String id = cluster.nodeId(1);
    ok(metroctl(0, "node", "label", id, "example.com/rack=r7", "other.org/team=blue"));
    testEventual(
        "example.com/rack on node 1's Kubernetes Node",
        Duration.ofSeconds(30),
        () ->
            assertThat(
                    ok(kubectl(
                            "get",
                            "node",
                            id,
                            "-o",
                            "jsonpath={.metadata.labels.example\\.com/rack}"))
                        .out())
                .isEqualTo("r7"));
    assertThat(ok(kubectl("get", "node", id, "--show-labels")).out())
        .doesNotContain("other.org/team");
    ok(metroctl(0, "node", "unlabel", id, "example.com/rack"));
    testEventual(
        "example.com/rack gone from node 1's Kubernetes Node",
        Duration.ofSeconds(30),
        () ->
            assertThat(ok(kubectl("get", "node", id, "--show-labels")).out())
                .doesNotContain("example.com/rack"));
  }

  @Test
  @Order(50)
  void aNodeMayWriteOnlyItsOwnObjects() throws Exception {
    Harness.NodeCredentials creds = Harness.nodeCredentials(cluster, 1);
    String server = kubeconfigServer();
    Path kc = scratch.resolve("node1.kubeconfig");
    StringBuilder y = new StringBuilder("apiVersion: v1\nkind: Config\nclusters:\n- name: c\n");
    y.append("  cluster:\n    server: ").append(server).append('\n');
    y.append("    certificate-authority-data: ").append(b64(Pem.encodeCertificate(creds.ca())));
    y.append("\n    tls-server-name: ").append(cluster.nodeId(0)).append('\n');
    cluster
        .network()
        .ifPresent(n -> y.append("    proxy-url: socks5://").append(n.socks()).append('\n'));
    y.append("users:\n- name: u\n  user:\n    client-certificate-data: ")
        .append(b64(Pem.encodeCertificate(creds.cert())));
    y.append("\n    client-key-data: ").append(b64(Pem.encodePrivateKey(creds.key().getPrivate())));
    y.append(
        "\ncontexts:\n- name: c\n  context:\n    cluster: c\n    user: u\ncurrent-context: c\n");
    Files.writeString(kc, y.toString());

    String self = cluster.nodeId(1);
    String other = cluster.nodeId(2);
    assertThat(
            ok(kubectlWith(kc, "auth", "whoami", "-o", "jsonpath={.status.userInfo.username}"))
                .out())
        .isEqualTo("system:node:" + self);
    assertThat(
            kubectlWith(kc, "auth", "can-i", "update", "leases/" + self, "-n", "kube-node-lease")
                .out())
        .isEqualTo("yes\n");
    assertThat(kubectlWith(kc, "auth", "can-i", "update", "nodes/" + other).out()).startsWith("no");
    Run label = kubectlWith(kc, "label", "node", other, "stolen=yes");
    assertThat(label.code()).isEqualTo(1);
    assertThat(label.err())
        .contains("User \"system:node:" + self + "\" cannot patch resource \"nodes\"");
    assertThat(ok(kubectl("get", "node", other, "--show-labels")).out()).doesNotContain("stolen");
    Run secrets = kubectlWith(kc, "get", "secrets", "-A");
    assertThat(secrets.code()).isEqualTo(1);
    assertThat(secrets.err()).contains("cannot list resource \"secrets\"");
  }

  private static String kubeconfigServer() throws Exception {
    return ok(kubectl("config", "view", "-o", "jsonpath={.clusters[0].cluster.server}")).out();
  }

  private static String b64(String s) {
    return Base64.getEncoder().encodeToString(s.getBytes(StandardCharsets.UTF_8));
  }

  @Test
  @Order(60)
  void removingTheWorkerRoleRemovesTheNode() throws Exception {
    String id = cluster.nodeId(2);
    ok(metroctl(0, "node", "remove", "role", "KubernetesWorker", id));
    testEventual(
        "node 2 gone from kubectl get nodes",
        Duration.ofSeconds(30),
        () -> assertThat(ok(kubectl("get", "nodes")).out()).doesNotContain(id));
    assertThat(kubectl("get", "lease", "-n", "kube-node-lease", id).err()).contains("NotFound");
  }

  @Test
  @Order(70)
  void aSecondControllerServesWhileTheFirstIsDown() throws Exception {
    cluster.updateRoles(1, UpdateNodeRolesRequest.newBuilder().setKubernetesController(true));
    testEventual(
        "k8s configure through node 1",
        Duration.ofSeconds(60),
        () -> ok(metroctl(1, "k8s", "configure", "--context", "it1")));
    testEventual(
        "node 1 serves the API",
        Duration.ofSeconds(60),
        () -> ok(kubectl("--context=it1", "create", "namespace", "before")));
    cluster.shutdownNode(0);
    try {
      testEventual(
          "the API through node 1 with node 0 down",
          Duration.ofSeconds(30),
          () -> {
            ok(kubectl("--context=it1", "create", "namespace", "during"));
            assertThat(ok(kubectl("--context=it1", "get", "namespaces")).out())
                .contains("before")
                .contains("during");
          });
      // node 1's lease keeps being renewed (by its own API server) while node 0 is away
      String r1 = leaseRenewTime(1);
      testEventual(
          "node 1 renews its lease",
          Duration.ofSeconds(30),
          () -> assertThat(leaseRenewTime(1)).isNotEqualTo(r1));
    } finally {
      cluster.startNode(0);
    }
    testEventual(
        "node 0 serves the API again and sees the writes",
        Duration.ofSeconds(90),
        () ->
            assertThat(ok(kubectl("--context=it", "get", "namespaces")).out()).contains("during"));
  }

  private static String leaseRenewTime(int i) throws Exception {
    return ok(kubectl(
            "--context=it1",
            "get",
            "lease",
            "-n",
            "kube-node-lease",
            cluster.nodeId(i),
            "-o",
            "jsonpath={.spec.renewTime}"))
        .out();
  }
}
