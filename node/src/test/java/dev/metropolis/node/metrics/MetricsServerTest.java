package dev.metropolis.node.metrics;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.metropolis.osbase.logtree.DN;
import dev.metropolis.osbase.pki.CertificateTemplates;
import dev.metropolis.osbase.pki.Ed25519;
import dev.metropolis.osbase.pki.NodeId;
import dev.metropolis.osbase.supervisor.RunnableInfo;
import dev.metropolis.osbase.supervisor.RunnableState;
import dev.metropolis.rpc.JdkTls;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import javax.net.ssl.SSLContext;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The metrics endpoint over real mutual TLS on loopback, and the host metrics' /proc parsing. */
class MetricsServerTest {
  private final KeyPair caKey = Ed25519.generate();
  private final X509Certificate ca = CertificateTemplates.clusterCa(caKey);
  private final KeyPair nodeKey = Ed25519.generate();
  private final X509Certificate nodeCert =
      CertificateTemplates.node(ca, caKey.getPrivate(), nodeKey.getPublic());
  private final KeyPair ownerKey = Ed25519.generate();
  private final X509Certificate owner =
      CertificateTemplates.user(ca, caKey.getPrivate(), ownerKey.getPublic(), "owner");
  private final CoreMetrics core =
      new CoreMetrics(() ->
          List.of(
              new RunnableInfo(DN.of("root.a"), RunnableState.HEALTHY, 2, true, Optional.empty()),
              new RunnableInfo(
                  DN.of("root.b"), RunnableState.DEAD, 7, false, Optional.of("boom"))));
  private MetricsServer server;

  private MetricsServer start(URI etcd, MetricsServer.Discovery discovery) throws IOException {
    server =
        MetricsServer.start(
            new InetSocketAddress(InetAddress.getLoopbackAddress(), 0),
            JdkTls.server(ca, nodeCert, nodeKey.getPrivate()),
            new HostMetrics(),
            core,
            etcd,
            discovery,
            7840);
    return server;
  }

  @AfterEach
  void stop() {
    if (server != null) {
      server.close();
    }
  }

  private HttpResponse<String> get(String path, String method) throws Exception {
    SSLContext tls =
        JdkTls.client(ca, NodeId.of(nodeKey.getPublic()), owner, ownerKey.getPrivate());
    try (HttpClient c = HttpClient.newBuilder().sslContext(tls).build()) {
      return c.send(
          HttpRequest.newBuilder(
                  URI.create("https://127.0.0.1:" + server.address().getPort() + path))
              .method(method, HttpRequest.BodyPublishers.noBody())
              .timeout(Duration.ofSeconds(30))
              .build(),
          HttpResponse.BodyHandlers.ofString());
    }
  }

  /** A loopback port nothing listens on. */
  private static int closedPort() throws IOException {
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    }
  }

  @Test
  void servesCoreAndExplainsWhatItCannotServe() throws Exception {
    start(URI.create("http://127.0.0.1:" + closedPort() + "/metrics"), Optional::empty);
    core.curatorRpc().record("metropolis.api.Management/GetNodes", io.grpc.Status.Code.OK, 0.003);

    var r = get("/metrics/core", "GET");
    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(r.headers().firstValue("Content-Type")).contains(Exposition.CONTENT_TYPE);
    assertThat(r.body())
        .contains("# TYPE metropolis_supervisor_runnables gauge\n")
        .contains("metropolis_supervisor_runnables{state=\"DEAD\"} 1\n")
        .contains("metropolis_supervisor_runnable_restarts{dn=\"root.b\"} 7\n")
        .contains(
            "metropolis_curator_rpc_duration_seconds_bucket{method=\"metropolis.api.Management/GetNodes\",le=\"0.0025\"}"
                + " 0\n")
        .contains(
            "metropolis_curator_rpc_duration_seconds_bucket{method=\"metropolis.api.Management/GetNodes\",le=\"0.005\"}"
                + " 1\n");

    var etcd = get("/metrics/etcd", "GET");
    assertThat(etcd.statusCode()).isEqualTo(404);
    assertThat(etcd.body()).contains("runs no etcd member");
    var discovery = get("/discovery", "GET");
    assertThat(discovery.statusCode()).isEqualTo(404);
    assertThat(discovery.body()).contains("only by control-plane nodes");
    assertThat(get("/metrics/nope", "GET").body()).contains("unknown exporter \"nope\"");
    assertThat(get("/metrics/core", "POST").statusCode()).isEqualTo(405);
  }

  @Test
  void discoveryListsEveryTargetInHttpSdForm() throws Exception {
    start(
        URI.create("http://127.0.0.1:" + closedPort() + "/metrics"),
        () ->
            Optional.of(
                List.of(
                    new MetricsServer.Target(
                        "metropolis-a", "10.1.0.2", List.of("consensus_member")),
                    new MetricsServer.Target("metropolis-b", "10.1.0.3", List.of()))));
    var r = get("/discovery", "GET");
    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(r.body())
        .isEqualTo(
            """
            [
              {"targets": ["10.1.0.2:7840"], "labels": {"__meta_metropolis_node": "metropolis-a", \
            "__meta_metropolis_role_consensus_member": "true"}},
              {"targets": ["10.1.0.3:7840"], "labels": {"__meta_metropolis_node": "metropolis-b"}}
            ]
            """);
  }

  @Test
  void clientsWithoutAClusterCertificateFailTheHandshake() throws Exception {
    start(URI.create("http://127.0.0.1:1/metrics"), Optional::empty);
    KeyPair stranger = Ed25519.generate();
    SSLContext selfSigned =
        JdkTls.client(
            ca,
            NodeId.of(nodeKey.getPublic()),
            CertificateTemplates.selfSigned(stranger),
            stranger.getPrivate());
    try (HttpClient c = HttpClient.newBuilder().sslContext(selfSigned).build()) {
      assertThatThrownBy(() ->
              c.send(
                  HttpRequest.newBuilder(
                          URI.create(
                              "https://127.0.0.1:" + server.address().getPort() + "/metrics/core"))
                      .build(),
                  HttpResponse.BodyHandlers.ofString()))
          .isInstanceOf(IOException.class);
    }
  }

  @Test
  void hostMetricsReadProcUnderNodeExporterNames(@TempDir Path proc) throws Exception {
    Files.createDirectories(proc.resolve("sys/kernel"));
    Files.createDirectories(proc.resolve("net"));
    Files.createDirectories(proc.resolve("self"));
    Files.writeString(proc.resolve("sys/kernel/ostype"), "Linux\n");
    Files.writeString(proc.resolve("sys/kernel/osrelease"), "6.1.0\n");
    Files.writeString(proc.resolve("sys/kernel/hostname"), "n1\n");
    Files.writeString(
        proc.resolve("stat"),
        "cpu  10 0 0 0 0 0 0 0 0 0\ncpu0 250 1 2 300 4 5 6 7 0 0\nintr 1 2\n");
    Files.writeString(
        proc.resolve("meminfo"),
        "MemTotal:       2048 kB\nActive(anon):     16 kB\nHugePages_Total: 0\n");
    Files.writeString(
        proc.resolve("net/dev"),
        """
        Inter-|   Receive |  Transmit
         face |bytes packets|bytes
          eth0: 1000 10 0 0 0 0 0 0 2000 20 0 0 0 0 0 0
        """);
    Files.writeString(
        proc.resolve("self/mounts"), "proc /proc proc rw 0 0\n/dev/x / ext4 rw 0 0\n");
    Files.writeString(proc.resolve("loadavg"), "0.50 0.25 0.10 1/100 42\n");

    String text = new HostMetrics(proc).render();
    assertThat(text)
        .contains("node_cpu_seconds_total{cpu=\"0\",mode=\"user\"} 2.5\n")
        .contains("node_cpu_seconds_total{cpu=\"0\",mode=\"idle\"} 3\n")
        .doesNotContain("cpu=\"\"")
        .contains("node_memory_MemTotal_bytes 2097152\n")
        .contains("node_memory_Active_anon_bytes 16384\n")
        .contains("node_memory_HugePages_Total 0\n")
        .contains("node_network_receive_bytes_total{device=\"eth0\"} 1000\n")
        .contains("node_network_transmit_packets_total{device=\"eth0\"} 20\n")
        .contains("node_filesystem_size_bytes{device=\"/dev/x\",fstype=\"ext4\",mountpoint=\"/\"}")
        .doesNotContain("mountpoint=\"/proc\"")
        .contains("node_load1 0.5\n")
        .contains("sysname=\"Linux\",release=\"6.1.0\"");
    assertThat(HostMetrics.unescape("/mnt/with\\040space")).isEqualTo("/mnt/with space");
  }
}
