package dev.metropolis.kubernetes.apiserver;

import static org.assertj.core.api.Assertions.assertThat;

import dev.metropolis.kubernetes.apiserver.api.Json;
import dev.metropolis.osbase.pki.CertificateTemplates;
import dev.metropolis.osbase.pki.Ed25519;
import dev.metropolis.osbase.pki.NodeId;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.security.KeyPair;
import java.security.cert.X509Certificate;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Node certificates as API credentials: a node is {@code system:node:<id>}, may write only its own
 * Node and Lease, reads what a kubelet reads, and nothing else; the loopback credential is
 * cluster-admin and works only against its own server.
 */
class NodeAuthorizationTest {
  private static TestCluster cluster;
  private static String id;
  private static HttpClient node;
  private static KeyPair nodeKey;
  private static X509Certificate nodeCert;

  @BeforeAll
  static void start() throws Exception {
    cluster = TestCluster.start();
    nodeKey = Ed25519.generate();
    nodeCert =
        CertificateTemplates.node(cluster.ca, cluster.caKey.getPrivate(), nodeKey.getPublic());
    id = NodeId.of(nodeKey.getPublic());
    node = cluster.http(nodeKey, nodeCert);
  }

  @AfterAll
  static void stop() {
    cluster.close();
  }

  private static HttpResponse<String> send(HttpClient c, String method, String path, String body)
      throws Exception {
    HttpRequest.Builder b =
        HttpRequest.newBuilder(URI.create(cluster.url() + path))
            .header("Content-Type", "application/json")
            .method(
                method,
                body == null
                    ? HttpRequest.BodyPublishers.noBody()
                    : HttpRequest.BodyPublishers.ofString(body));
    return c.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  private static String nodeJson(String name) {
    return "{\"apiVersion\":\"v1\",\"kind\":\"Node\",\"metadata\":{\"name\":\"" + name + "\"}}";
  }

  private static String leaseJson(String name) {
    return "{\"apiVersion\":\"coordination.k8s.io/v1\",\"kind\":\"Lease\",\"metadata\":{\"name\":\""
        + name
        + "\"},\"spec\":{\"holderIdentity\":\""
        + name
        + "\",\"leaseDurationSeconds\":40}}";
  }

  @Test
  void nodeWritesOnlyItsOwnNodeAndLease() throws Exception {
    assertThat(send(node, "POST", "/api/v1/nodes", nodeJson(id)).statusCode()).isEqualTo(201);
    HttpResponse<String> other = send(node, "POST", "/api/v1/nodes", nodeJson("metropolis-other"));
    assertThat(other.statusCode()).isEqualTo(403);
    assertThat(other.body())
        .contains(
            "nodes is forbidden: User \\\"system:node:"
                + id
                + "\\\" cannot create resource \\\"nodes\\\" in API group \\\"\\\"");
    // nothing was stored for the refused create
    HttpResponse<String> owner =
        send(cluster.http("owner"), "GET", "/api/v1/nodes/metropolis-other", null);
    assertThat(owner.statusCode()).isEqualTo(404);

    String status =
        "{\"status\":{\"conditions\":[{\"type\":\"Ready\",\"status\":\"True\","
            + "\"reason\":\"NodeAgentReady\"}]}}";
    HttpRequest patch =
        HttpRequest.newBuilder(URI.create(cluster.url() + "/api/v1/nodes/" + id + "/status"))
            .header("Content-Type", "application/merge-patch+json")
            .method("PATCH", HttpRequest.BodyPublishers.ofString(status))
            .build();
    assertThat(node.send(patch, HttpResponse.BodyHandlers.ofString()).statusCode()).isEqualTo(200);

    String leases = "/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases";
    assertThat(send(node, "POST", leases, leaseJson(id)).statusCode()).isEqualTo(201);
    assertThat(send(node, "GET", leases + "/" + id, null).statusCode()).isEqualTo(200);
    assertThat(send(node, "POST", leases, leaseJson("metropolis-other")).statusCode())
        .isEqualTo(403);
    assertThat(
            send(
                    node,
                    "POST",
                    "/apis/coordination.k8s.io/v1/namespaces/default/leases",
                    leaseJson(id))
                .statusCode())
        .isEqualTo(403);
  }

  @Test
  void nodeReadsWhatAKubeletReadsAndNothingElse() throws Exception {
    assertThat(send(node, "GET", "/api/v1/nodes", null).statusCode()).isEqualTo(200);
    assertThat(send(node, "GET", "/api/v1/pods", null).statusCode()).isEqualTo(200);
    assertThat(send(node, "GET", "/api/v1/namespaces/default/services", null).statusCode())
        .isEqualTo(200);
    assertThat(send(node, "GET", "/api/v1/namespaces/default/secrets", null).statusCode())
        .isEqualTo(403);
    assertThat(send(node, "GET", "/api/v1/namespaces/default/configmaps", null).statusCode())
        .isEqualTo(403);
    assertThat(send(node, "DELETE", "/api/v1/namespaces/default", null).statusCode())
        .isEqualTo(403);
    assertThat(
            send(
                    node,
                    "POST",
                    "/api/v1/namespaces/default/pods",
                    "{\"metadata\":{\"name\":\"p\"},\"spec\":{\"containers\":[{\"name\":\"c\","
                        + "\"image\":\"x\"}]}}")
                .statusCode())
        .isEqualTo(403);
  }

  @Test
  void kubectlAsANodeSeesTheSameRules() throws Exception {
    cluster.writeKubeconfig("node", nodeKey, nodeCert);
    var whoami =
        cluster.kubectlAs(
            "node", null, "auth", "whoami", "-o", "jsonpath={.status.userInfo.username}");
    assertThat(whoami.exit()).as(whoami.toString()).isZero();
    assertThat(whoami.out()).isEqualTo("system:node:" + id);
    var own =
        cluster.kubectlAs(
            "node", null, "auth", "can-i", "update", "leases/" + id, "-n", "kube-node-lease");
    assertThat(own.out().trim()).as(own.toString()).isEqualTo("yes");
    var other =
        cluster.kubectlAs("node", null, "auth", "can-i", "update", "nodes/metropolis-other");
    assertThat(other.out()).as(other.toString()).startsWith("no");
    var secrets = cluster.kubectlAs("node", null, "get", "secrets");
    assertThat(secrets.exit()).isEqualTo(1);
    assertThat(secrets.err())
        .contains(
            "secrets is forbidden: User \"system:node:"
                + id
                + "\" cannot list resource \"secrets\" in API group \"\" in the namespace"
                + " \"default\"");
  }

  @Test
  void loopbackIsAdminOnItsOwnServer() throws Exception {
    Loopback lb = cluster.server.loopback();
    HttpClient c = HttpClient.newBuilder().sslContext(lb.sslContext()).build();
    var r =
        c.send(
            HttpRequest.newBuilder(URI.create(lb.url() + "/api/v1/namespaces/default/secrets"))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(
            Json.parse(r.body().getBytes(java.nio.charset.StandardCharsets.UTF_8))
                .path("kind")
                .asString())
        .isEqualTo("SecretList");
  }
}
