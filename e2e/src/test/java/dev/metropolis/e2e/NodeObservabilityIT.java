package dev.metropolis.e2e;

import static dev.metropolis.launch.Eventually.testEventual;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.metropolis.api.nodemanagement.GetLogsRequest;
import dev.metropolis.api.nodemanagement.GetRunnablesRequest;
import dev.metropolis.api.nodemanagement.NodeManagementGrpc;
import dev.metropolis.e2e.Harness.Run;
import dev.metropolis.launch.InsecureOwnerKey;
import dev.metropolis.launch.LocalCluster;
import dev.metropolis.osbase.net.socks.Socks5Server;
import dev.metropolis.osbase.pki.CertificateTemplates;
import dev.metropolis.osbase.pki.Ed25519;
import dev.metropolis.osbase.pki.NodeId;
import dev.metropolis.osbase.pki.Pem;
import dev.metropolis.rpc.JdkTls;
import dev.metropolis.rpc.RpcChannelBuilder;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509TrustManager;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A real node's logs, runnables and metrics, read the way operators and Prometheus read them: the
 * metroctl jar for logs and runnables, a plain JDK HttpClient with the owner's certificate for
 * metrics, and the Prometheus client library's own parser (Debian python3-prometheus-client) for
 * every exposition.
 */
class NodeObservabilityIT {
  private static LocalCluster cluster;
  private static String id;
  private static String addr;
  @TempDir static Path home;

  @BeforeAll
  static void start() throws Exception {
    cluster = Harness.oneNode();
    cluster.awaitCurator(0, Duration.ofSeconds(60));
    X509Certificate owner = cluster.ownerCertificate();
    Harness.awaitNodeManagement(cluster, 0);
    id = NodeId.of(Harness.nodeCredentials(cluster, 0).key().getPublic());
    addr = cluster.address(0);
    Path config = home.resolve("metroctl");
    Files.createDirectories(config);
    write(
        config.resolve("owner-key.pem"),
        Pem.encodeOwnerKey(InsecureOwnerKey.keyPair().getPrivate()));
    write(config.resolve("owner.pem"), Pem.encodeCertificate(owner));
    write(config.resolve("ca.pem"), Pem.encodeCertificate(cluster.ca()));
  }

  private static void write(Path p, String text) throws IOException {
    Files.writeString(p, text);
    Files.setPosixFilePermissions(p, PosixFilePermissions.fromString("rw-------"));
  }

  @AfterAll
  static void stop() {
    if (cluster != null) {
      cluster.close();
    }
  }

  private static List<String> args(String... args) {
    List<String> all = new ArrayList<>();
    all.add("--config=" + home.resolve("metroctl"));
    all.add("--endpoints=" + addr);
    all.addAll(List.of(args));
    return all;
  }

  private static Run metroctl(String... args) throws Exception {
    return Harness.metroctl(home, args(args));
  }

  @Test
  void logsBacklogFiltersAndErrors() throws Exception {
    Run all = metroctl("node", "logs", id);
    assertThat(all.code()).as(all.toString()).isZero();
    List<String> lines = all.out().lines().toList();
    assertThat(lines.getFirst()).isEqualTo("=== Logs from " + id + " (" + addr + "):");
    assertThat(lines.getLast()).isEqualTo("=== Done.");
    // DN padded to 32, severity letter, MMdd HH:mm:ss.micro, File.java:line] message.
    assertThat(lines)
        .anySatisfy(l ->
            assertThat(l)
                .matches(
                    "root\\.enrolment +I\\d{4} \\d\\d:\\d\\d:\\d\\d\\.\\d{6} \\S+\\.java:\\d+\\]"
                        + " Cluster enrolment done\\."));

    Run exact = metroctl("node", "logs", id, "--dn", "root.enrolment", "--exact");
    assertThat(exact.code()).as(exact.toString()).isZero();
    List<String> entries = exact.out().lines().filter(l -> !l.startsWith("===")).toList();
    assertThat(entries).isNotEmpty().allSatisfy(l -> assertThat(l).startsWith("root.enrolment "));
    assertThat(exact.out()).contains("Cluster enrolment done.");

    Run last = metroctl("node", "logs", id, "--dn", "root.role", "--backlog", "2");
    assertThat(last.out().lines().filter(l -> l.startsWith("root.role")).count()).isEqualTo(2);

    Run json = metroctl("--format", "json", "node", "logs", id, "--dn", "root.enrolment", "-e");
    assertThat(json.code()).as(json.toString()).isZero();
    assertThat(json.out().lines().toList())
        .allSatisfy(l -> assertThat(l).startsWith("{\"dn\":\"root.enrolment\""))
        .anySatisfy(l -> assertThat(l).contains("\"lines\":[\"Cluster enrolment done.\"]"));

    Run warnings = metroctl("node", "logs", id, "--dn", "root.enrolment", "--severity", "ERROR");
    assertThat(warnings.out()).doesNotContain("Cluster enrolment done.");

    Run unknown = metroctl("node", "logs", id, "--dn", "root.nosuchthing");
    assertThat(unknown.code()).as(unknown.toString()).isEqualTo(1);
    assertThat(unknown.err())
        .startsWith("metroctl: error: ")
        .contains("NOT_FOUND")
        .contains("root.nosuchthing")
        .doesNotContain("\tat ");

    Run badSeverity = metroctl("node", "logs", id, "--severity", "chatty");
    assertThat(badSeverity.code()).as(badSeverity.toString()).isEqualTo(2);
  }

  @Test
  void followPrintsNewEntriesAndStopsCleanlyOnSigint() throws Exception {
    Path out = Files.createTempFile(home, "follow", ".txt");
    Path err = Files.createTempFile(home, "follow", ".err");
    Process p =
        new ProcessBuilder(
                Harness.metroctlCommand(args("node", "logs", id, "-f", "--backlog", "0")))
            .redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile()))
            .redirectOutput(out.toFile())
            .redirectError(err.toFile())
            .start();
    try {
      testEventual(
          "follow is connected",
          Duration.ofSeconds(60),
          () -> assertThat(Files.readString(out)).startsWith("=== Logs from " + id));
      // A role change makes the node log its new roles: a fresh entry while we follow.
      testEventual(
          "new entry arrives",
          Duration.ofSeconds(60),
          () -> {
            if (!Files.readString(out).contains("Roles now:")) {
              Run r = metroctl("node", "add", "role", "KubernetesWorker", id);
              assertThat(r.code()).as(r.toString()).isZero();
            }
            assertThat(Files.readString(out)).contains("KubernetesWorker");
          });
      new ProcessBuilder("kill", "-INT", Long.toString(p.pid())).start().waitFor();
      assertThat(p.waitFor(30, TimeUnit.SECONDS)).as("metroctl ends after SIGINT").isTrue();
      String printed = Files.readString(out, StandardCharsets.UTF_8);
      String errors = Files.readString(err, StandardCharsets.UTF_8);
      assertThat(p.exitValue()).as(printed + errors).isEqualTo(130);
      assertThat(printed).contains("root.role.rolefetch").endsWith("=== Done.\n");
      assertThat(errors).doesNotContain("\tat ").doesNotContain("error");
    } finally {
      p.destroyForcibly();
      p.waitFor(10, TimeUnit.SECONDS);
    }
  }

  @Test
  void runnablesAreListedWithStateAndRestarts() throws Exception {
    Run r = metroctl("node", "status", id);
    assertThat(r.code()).as(r.toString()).isZero();
    assertThat(r.out().lines().findFirst().orElseThrow()).startsWith("RUNNABLE").contains("STATE");
    assertThat(r.out()).containsPattern("root\\.role\\.nodemgmt +HEALTHY +0");
    assertThat(r.out()).containsPattern("root\\.role\\.metrics +HEALTHY");
    Run json = metroctl("--format", "json", "node", "status", id);
    assertThat(json.out()).contains("{\"dn\":\"root.role.nodemgmt\",\"state\":\"HEALTHY\"");
  }

  private static SSLContext tls(X509Certificate cert, java.security.PrivateKey key) {
    return JdkTls.client(cluster.ca(), id, cert, key);
  }

  private static SSLContext ownerTls() throws Exception {
    return tls(cluster.ownerCertificate(), InsecureOwnerKey.keyPair().getPrivate());
  }

  private static HttpResponse<String> get(SSLContext tls, String path) throws Exception {
    try (HttpClient c =
        HttpClient.newBuilder().sslContext(tls).connectTimeout(Duration.ofSeconds(10)).build()) {
      return c.send(
          HttpRequest.newBuilder(URI.create("https://" + addr + ":7840" + path))
              .timeout(Duration.ofSeconds(30))
              .build(),
          HttpResponse.BodyHandlers.ofString());
    }
  }

  private static final String PARSE =
      """
      import sys
      from prometheus_client.parser import text_string_to_metric_families
      names = set()
      for f in text_string_to_metric_families(sys.stdin.read()):
          for s in f.samples:
              names.add(s.name)
      print("\\n".join(sorted(names)))
      """;

  /** Parses {@code text} with the Prometheus client library and returns the sample names. */
  static List<String> parsePrometheus(String text) throws Exception {
    Process p =
        // Debian's own interpreter: the package installs into its dist-packages, which another
        // python3 earlier on the PATH (pyenv, a virtualenv) would not see.
        new ProcessBuilder("/usr/bin/python3", "-c", PARSE).redirectErrorStream(true).start();
    try (var in = p.getOutputStream()) {
      in.write(text.getBytes(StandardCharsets.UTF_8));
    }
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
    assertThat(p.exitValue()).as("prometheus_client parser: " + out).isZero();
    return out.lines().toList();
  }

  @Test
  void metricsParseWithPrometheusOwnParser() throws Exception {
    var node = get(ownerTls(), "/metrics/node");
    assertThat(node.statusCode()).as(node.body()).isEqualTo(200);
    assertThat(node.headers().firstValue("Content-Type").orElseThrow())
        .startsWith("text/plain; version=0.0.4");
    assertThat(parsePrometheus(node.body()))
        .contains(
            "node_uname_info",
            "node_cpu_seconds_total",
            "node_memory_MemTotal_bytes",
            "node_memory_MemAvailable_bytes",
            "node_filesystem_size_bytes",
            "node_filesystem_avail_bytes",
            "node_network_receive_bytes_total",
            "node_network_transmit_bytes_total");

    // One curator call first, so its RPC counters have a sample.
    Run describe = metroctl("node", "describe");
    assertThat(describe.code()).as(describe.toString()).isZero();
    var core = get(ownerTls(), "/metrics/core");
    assertThat(core.statusCode()).as(core.body()).isEqualTo(200);
    assertThat(parsePrometheus(core.body()))
        .contains(
            "metropolis_supervisor_runnables",
            "metropolis_supervisor_runnable_restarts",
            "metropolis_curator_rpc_requests_total",
            "metropolis_curator_rpc_duration_seconds_bucket",
            "metropolis_curator_heartbeat_age_seconds",
            "jvm_memory_used_bytes",
            "jvm_gc_collection_seconds_count");
    assertThat(core.body())
        .contains("method=\"metropolis.api.Management/GetNodes\"")
        .contains("node=\"" + id + "\"");

    var etcd = get(ownerTls(), "/metrics/etcd");
    assertThat(etcd.statusCode()).as(etcd.body()).isEqualTo(200);
    assertThat(parsePrometheus(etcd.body())).contains("etcd_server_has_leader");

    var unknown = get(ownerTls(), "/metrics/kubelet");
    assertThat(unknown.statusCode()).isEqualTo(404);
    assertThat(unknown.body()).contains("unknown exporter \"kubelet\"");

    var sd = get(ownerTls(), "/discovery");
    assertThat(sd.statusCode()).as(sd.body()).isEqualTo(200);
    assertThat(sd.body())
        .contains("\"targets\": [\"" + addr + ":7840\"]")
        .contains("\"__meta_metropolis_node\": \"" + id + "\"");

    Run cli = metroctl("node", "metrics", id, "node");
    assertThat(cli.code()).as(cli.toString()).isZero();
    assertThat(parsePrometheus(cli.out())).contains("node_uname_info");
  }

  @Test
  void nodeLocalCallsGoThroughTheProxy() throws Exception {
    List<String> connected = new java.util.concurrent.CopyOnWriteArrayList<>();
    try (Socks5Server proxy =
        Socks5Server.start(
            new InetSocketAddress(InetAddress.getLoopbackAddress(), 0),
            a -> true,
            (destination, timeout) -> {
              SocketChannel ch = SocketChannel.open();
              ch.socket().connect(destination, (int) timeout.toMillis());
              return ch;
            },
            e -> {
              if (e instanceof Socks5Server.Event.Connected c) {
                connected.add(c.destination());
              }
            })) {
      String via = "--proxy=127.0.0.1:" + proxy.localAddress().getPort();
      Run logs = metroctl(via, "node", "logs", id, "--dn", "root.enrolment", "-e");
      assertThat(logs.code()).as(logs.toString()).isZero();
      assertThat(logs.out()).contains("Cluster enrolment done.");
      Run metrics = metroctl(via, "node", "metrics", id, "core");
      assertThat(metrics.code()).as(metrics.toString()).isZero();
      assertThat(metrics.out()).contains("metropolis_supervisor_runnables");
    }
    assertThat(connected).anySatisfy(d -> assertThat(d).endsWith(":7839"));
    assertThat(connected).anySatisfy(d -> assertThat(d).endsWith(":7840"));
  }

  /** Trusts any server: for probing that the server refuses us, not for verifying it. */
  private static SSLContext anyServer(javax.net.ssl.KeyManager[] keys) throws Exception {
    X509TrustManager any =
        new X509TrustManager() {
          @Override
          public void checkClientTrusted(X509Certificate[] chain, String authType) {}

          @Override
          public void checkServerTrusted(X509Certificate[] chain, String authType) {}

          @Override
          public X509Certificate[] getAcceptedIssuers() {
            return new X509Certificate[0];
          }
        };
    SSLContext c = SSLContext.getInstance("TLSv1.3");
    c.init(keys, new TrustManager[] {any}, new SecureRandom());
    return c;
  }

  @Test
  void permissions() throws Exception {
    // Metrics: any cluster certificate (owner, node); no certificate or a self-signed one fails
    // the TLS handshake.
    var n = Harness.nodeCredentials(cluster, 0);
    assertThat(get(tls(n.cert(), n.key().getPrivate()), "/metrics/core").statusCode())
        .isEqualTo(200);
    assertThatThrownBy(() -> get(anyServer(new javax.net.ssl.KeyManager[0]), "/metrics/core"))
        .isInstanceOf(IOException.class);
    var stranger = Ed25519.generate();
    assertThatThrownBy(() ->
            get(
                tls(CertificateTemplates.selfSigned(stranger), stranger.getPrivate()),
                "/metrics/core"))
        .isInstanceOf(IOException.class);
    // The client side pins the node: another node ID is refused even with the right CA.
    assertThatThrownBy(() ->
            get(
                JdkTls.client(
                    cluster.ca(),
                    NodeId.of(Ed25519.generate().getPublic()),
                    cluster.ownerCertificate(),
                    InsecureOwnerKey.keyPair().getPrivate()),
                "/metrics/core"))
        .isInstanceOf(IOException.class);

    // Logs: operators only. A node may list runnables (it may read cluster status).
    ManagedChannel ch =
        RpcChannelBuilder.forAddress(addr, 7839)
            .clusterCredentials(n.cert(), n.key().getPrivate())
            .verifyNode(cluster.ca(), id)
            .build();
    try {
      var stub = NodeManagementGrpc.newBlockingStub(ch).withDeadlineAfter(10, TimeUnit.SECONDS);
      assertThatThrownBy(() ->
              stub.logs(
                      GetLogsRequest.newBuilder()
                          .setBacklogMode(GetLogsRequest.BacklogMode.BACKLOG_MODE_ALL)
                          .setStreamMode(GetLogsRequest.StreamMode.STREAM_MODE_DISABLE)
                          .build())
                  .hasNext())
          .isInstanceOfSatisfying(
              StatusRuntimeException.class,
              e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.PERMISSION_DENIED));
      assertThat(stub.getRunnables(GetRunnablesRequest.getDefaultInstance()).getRunnablesCount())
          .isPositive();
    } finally {
      ch.shutdownNow();
    }
  }
}
