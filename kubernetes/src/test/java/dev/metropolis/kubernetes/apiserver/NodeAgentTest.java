package dev.metropolis.kubernetes.apiserver;

import static org.assertj.core.api.Assertions.assertThat;

import dev.metropolis.kubernetes.client.RestClient;
import dev.metropolis.kubernetes.labels.LabelSync;
import dev.metropolis.kubernetes.worker.NodeAgent;
import dev.metropolis.kubernetes.worker.NodeInfo;
import dev.metropolis.osbase.pki.CertificateTemplates;
import dev.metropolis.osbase.pki.Ed25519;
import dev.metropolis.osbase.pki.NodeId;
import java.security.KeyPair;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;
import javax.net.ssl.SSLContext;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The worker's registration (with its node certificate, as a node does) and the controller's label
 * sync (with the loopback credential), observed through the real kubectl.
 */
class NodeAgentTest {
  private static TestCluster cluster;

  @BeforeAll
  static void start() throws Exception {
    cluster = TestCluster.start();
  }

  @AfterAll
  static void stop() {
    cluster.close();
  }

  private record Node(String id, RestClient api) {}

  private static Node node() throws Exception {
    KeyPair key = Ed25519.generate();
    X509Certificate cert =
        CertificateTemplates.node(cluster.ca, cluster.caKey.getPrivate(), key.getPublic());
    TestCluster.Tls tls = cluster.tls(key, cert);
    SSLContext ssl = SSLContext.getInstance("TLS");
    ssl.init(tls.keyManagers(), tls.trustManagers(), null);
    return new Node(NodeId.of(key.getPublic()), new RestClient(cluster.url(), ssl));
  }

  private static NodeAgent agent(String id, Clock clock) {
    return new NodeAgent(
        new NodeInfo(
            id,
            "10.1.0.7",
            2,
            4L << 30,
            110,
            "Metropolis 0.1.0",
            "6.1.0",
            "v1.32.0-metropolis",
            "boot-1",
            NodeInfo.standardLabels(id)),
        clock);
  }

  private static String kubectl(String... args) throws Exception {
    TestCluster.Result r = cluster.kubectl(args);
    assertThat(r.exit()).as(r.toString()).isZero();
    return r.out();
  }

  @Test
  void registersPostsReadyAndRenewsItsLease() throws Exception {
    Node n = node();
    NodeAgent agent = agent(n.id(), Clock.systemUTC());
    agent.register(n.api());
    agent.register(n.api()); // idempotent
    agent.postStatus(n.api());
    agent.renewLease(n.api());
    assertThat(kubectl("get", "nodes", n.id(), "--no-headers"))
        .matches(n.id() + " +Ready +<none> +\\S+ +v1\\.32\\.0-metropolis\\n");
    assertThat(kubectl("get", "nodes", n.id(), "-o", "wide", "--no-headers"))
        .contains("10.1.0.7")
        .contains("Metropolis 0.1.0");
    String renew1 =
        kubectl(
            "get", "lease", "-n", "kube-node-lease", n.id(), "-o", "jsonpath={.spec.renewTime}");
    NodeAgent later = agent(n.id(), Clock.fixed(Instant.now().plusSeconds(30), ZoneOffset.UTC));
    later.renewLease(n.api());
    String renew2 =
        kubectl(
            "get", "lease", "-n", "kube-node-lease", n.id(), "-o", "jsonpath={.spec.renewTime}");
    assertThat(Instant.parse(renew2)).isAfter(Instant.parse(renew1));
    assertThat(
            kubectl(
                "get",
                "lease",
                "-n",
                "kube-node-lease",
                n.id(),
                "-o",
                "jsonpath={.spec.holderIdentity}"))
        .isEqualTo(n.id());

    agent.deregister(n.api());
    assertThat(cluster.kubectl("get", "node", n.id()).err()).contains("NotFound");
    assertThat(cluster.kubectl("get", "lease", "-n", "kube-node-lease", n.id()).err())
        .contains("NotFound");
  }

  @Test
  void labelSyncSetsRolesAndMatchingLabelsAndRemovesOnlyItsOwn() throws Exception {
    Node n = node();
    agent(n.id(), Clock.systemUTC()).register(n.api());
    RestClient admin =
        new RestClient(cluster.server.loopback().url(), cluster.server.loopback().sslContext());
    List<Pattern> sync = List.of(Pattern.compile("example\\.com/.*"));
    Map<String, String> want =
        LabelSync.desired(
            Set.of("KubernetesWorker", "ConsensusMember"),
            Map.of("example.com/rack", "r1", "other/skip", "x"),
            sync);
    var r = LabelSync.sync(admin, Map.of(n.id(), want));
    assertThat(r.patched()).isEqualTo(1);
    assertThat(kubectl("get", "nodes", n.id(), "--no-headers"))
        .contains("ConsensusMember,KubernetesWorker");
    assertThat(kubectl("get", "node", n.id(), "-o", "jsonpath={.metadata.labels}"))
        .contains("\"example.com/rack\":\"r1\"")
        .doesNotContain("other/skip")
        .contains("\"kubernetes.io/hostname\":\"" + n.id() + "\"");
    // a second cycle with nothing changed writes nothing
    assertThat(LabelSync.sync(admin, Map.of(n.id(), want)).patched()).isZero();

    // someone else's label stays when ours go; the role label goes with the role
    kubectl("label", "node", n.id(), "team=blue");
    var fewer = LabelSync.desired(Set.of("KubernetesWorker"), Map.of(), sync);
    LabelSync.sync(admin, Map.of(n.id(), fewer));
    String labels = kubectl("get", "node", n.id(), "-o", "jsonpath={.metadata.labels}");
    assertThat(labels)
        .contains("\"team\":\"blue\"")
        .contains("node-role.kubernetes.io/KubernetesWorker")
        .doesNotContain("ConsensusMember")
        .doesNotContain("example.com/rack");

    // a collision (same key, set by someone else) leaves the node alone
    kubectl("label", "node", n.id(), "example.com/zone=manual");
    var colliding =
        LabelSync.desired(Set.of("KubernetesWorker"), Map.of("example.com/zone", "z9"), sync);
    var c = LabelSync.sync(admin, Map.of(n.id(), colliding));
    assertThat(c.collisions()).singleElement().asString().contains("example.com/zone");
    assertThat(
            kubectl("get", "node", n.id(), "-o", "jsonpath={.metadata.labels.example\\.com/zone}"))
        .isEqualTo("manual");
  }
}
