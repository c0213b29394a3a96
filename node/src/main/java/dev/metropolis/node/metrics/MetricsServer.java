package dev.metropolis.node.metrics;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsParameters;
import com.sun.net.httpserver.HttpsServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;

/**
 * The node's metrics endpoint (port 7840): HTTPS with mutual TLS, where TLS itself accepts only
 * certificates of the cluster CA (see {@code JdkTls.server}). Serves {@code /metrics/node}, {@code
 * /metrics/core}, {@code /metrics/etcd} (the local etcd member's own metrics, fetched from its
 * loopback-only listener) and, on control-plane nodes, {@code /discovery} in Prometheus http_sd
 * form.
 */
public final class MetricsServer implements AutoCloseable {
  /** The exporters under /metrics/, in the order the 404 message lists them. */
  public static final List<String> EXPORTERS = List.of("core", "node", "etcd");

  /** A scrape target for /discovery: a node with its address and roles. */
  public record Target(String nodeId, String address, List<String> roles) {}

  /** Where /discovery gets the cluster's nodes; empty when this node has no control plane. */
  @FunctionalInterface
  public interface Discovery {
    Optional<List<Target>> targets() throws Exception;
  }

  private final HttpsServer server;
  private final ExecutorService executor = Executors.newVirtualThreadPerTaskExecutor();
  private final HttpClient etcdClient =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

  private MetricsServer(HttpsServer server) {
    this.server = server;
  }

  /**
   * Binds and starts the server.
   *
   * @param etcdMetrics the local etcd member's plain-HTTP metrics URL
   * @param port the port of every node's metrics endpoint, for /discovery
   */
  public static MetricsServer start(
      InetSocketAddress bind,
      SSLContext tls,
      HostMetrics host,
      CoreMetrics core,
      URI etcdMetrics,
      Discovery discovery,
      int port)
      throws IOException {
    HttpsServer s = HttpsServer.create(bind, 16);
    s.setHttpsConfigurator(
        new HttpsConfigurator(tls) {
          @Override
          public void configure(HttpsParameters params) {
            SSLParameters p = getSSLContext().getDefaultSSLParameters();
            p.setNeedClientAuth(true);
            p.setProtocols(new String[] {"TLSv1.3"});
            params.setSSLParameters(p);
          }
        });
    MetricsServer m = new MetricsServer(s);
    s.setExecutor(m.executor);
    s.createContext("/metrics/", ex -> m.metrics(ex, host, core, etcdMetrics));
    s.createContext("/discovery", ex -> m.discovery(ex, discovery, port));
    s.createContext("/", ex -> reply(ex, 404, "text/plain", "not found: try /metrics/core\n"));
    s.start();
    return m;
  }

  public InetSocketAddress address() {
    return server.getAddress();
  }

  private void metrics(HttpExchange ex, HostMetrics host, CoreMetrics core, URI etcd)
      throws IOException {
    if (!get(ex)) {
      return;
    }
    String exporter = ex.getRequestURI().getPath().substring("/metrics/".length());
    try {
      switch (exporter) {
        case "core" -> reply(ex, 200, Exposition.CONTENT_TYPE, core.render());
        case "node" -> reply(ex, 200, Exposition.CONTENT_TYPE, host.render());
        case "etcd" -> etcd(ex, etcd);
        default ->
            reply(
                ex,
                404,
                "text/plain",
                "unknown exporter \"" + exporter + "\": want one of " + EXPORTERS + "\n");
      }
    } catch (IOException | RuntimeException e) {
      reply(ex, 500, "text/plain", "exporter " + exporter + " failed: " + e + "\n");
    }
  }

  private void etcd(HttpExchange ex, URI etcd) throws IOException {
    HttpResponse<String> r;
    try {
      r =
          etcdClient.send(
              HttpRequest.newBuilder(etcd).timeout(Duration.ofSeconds(10)).build(),
              HttpResponse.BodyHandlers.ofString());
    } catch (ConnectException e) {
      reply(
          ex,
          404,
          "text/plain",
          "no etcd metrics: this node runs no etcd member (it is not a consensus member, or its"
              + " etcd is not up)\n");
      return;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      reply(ex, 503, "text/plain", "interrupted\n");
      return;
    }
    reply(
        ex,
        r.statusCode(),
        r.headers().firstValue("Content-Type").orElse(Exposition.CONTENT_TYPE),
        r.body());
  }

  private void discovery(HttpExchange ex, Discovery discovery, int port) throws IOException {
    if (!get(ex)) {
      return;
    }
    Optional<List<Target>> targets;
    try {
      targets = discovery.targets();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      reply(ex, 503, "text/plain", "interrupted\n");
      return;
    } catch (Exception e) {
      reply(ex, 503, "text/plain", "cannot list the cluster's nodes: " + e.getMessage() + "\n");
      return;
    }
    if (targets.isEmpty()) {
      reply(
          ex,
          404,
          "text/plain",
          "discovery is served only by control-plane nodes (consensus members)\n");
      return;
    }
    reply(ex, 200, "application/json", httpSd(targets.get(), port));
  }

  /** Prometheus http_sd: one target group per node, labelled with its ID and roles. */
  static String httpSd(List<Target> targets, int port) {
    StringBuilder sb = new StringBuilder("[");
    for (int i = 0; i < targets.size(); i++) {
      Target t = targets.get(i);
      String hostPort =
          (t.address().indexOf(':') >= 0 ? "[" + t.address() + "]" : t.address()) + ":" + port;
      sb.append(i == 0 ? "\n" : ",\n")
          .append("  {\"targets\": [")
          .append(quote(hostPort))
          .append("], \"labels\": {\"__meta_metropolis_node\": ")
          .append(quote(t.nodeId()));
      for (String role : t.roles()) {
        sb.append(", ").append(quote("__meta_metropolis_role_" + role)).append(": \"true\"");
      }
      sb.append("}}");
    }
    return sb.append(targets.isEmpty() ? "]\n" : "\n]\n").toString();
  }

  private static String quote(String s) {
    StringBuilder sb = new StringBuilder("\"");
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c == '"' || c == '\\') {
        sb.append('\\').append(c);
      } else if (c < 0x20) {
        sb.append(String.format("\\u%04x", (int) c));
      } else {
        sb.append(c);
      }
    }
    return sb.append('"').toString();
  }

  private static boolean get(HttpExchange ex) throws IOException {
    if (ex.getRequestMethod().equals("GET")) {
      return true;
    }
    ex.getResponseHeaders().set("Allow", "GET");
    reply(ex, 405, "text/plain", "method " + ex.getRequestMethod() + " not allowed: use GET\n");
    return false;
  }

  private static void reply(HttpExchange ex, int code, String type, String body)
      throws IOException {
    byte[] b = body.getBytes(StandardCharsets.UTF_8);
    ex.getResponseHeaders().set("Content-Type", type);
    ex.sendResponseHeaders(code, b.length == 0 ? -1 : b.length);
    try (OutputStream os = ex.getResponseBody()) {
      os.write(b);
    }
  }

  @Override
  public void close() {
    server.stop(0);
    executor.shutdownNow();
    etcdClient.close();
  }
}
