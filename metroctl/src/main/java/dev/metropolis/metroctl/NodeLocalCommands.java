package dev.metropolis.metroctl;

import dev.metropolis.api.logtree.LeveledLogSeverity;
import dev.metropolis.api.logtree.LogEntry;
import dev.metropolis.api.logtree.LogFilter;
import dev.metropolis.api.nodemanagement.GetLogsRequest;
import dev.metropolis.api.nodemanagement.GetLogsResponse;
import dev.metropolis.api.nodemanagement.GetRunnablesRequest;
import dev.metropolis.api.nodemanagement.GetRunnablesResponse;
import dev.metropolis.api.nodemanagement.NodeManagementGrpc;
import dev.metropolis.metroctl.client.ClusterClient;
import dev.metropolis.metroctl.client.MetroctlException;
import dev.metropolis.metroctl.client.RpcErrors;
import dev.metropolis.metroctl.output.Json;
import dev.metropolis.metroctl.output.LogView;
import dev.metropolis.metroctl.output.SparseTable;
import dev.metropolis.osbase.logtree.DN;
import dev.metropolis.osbase.logtree.Severity;
import io.grpc.Context;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.io.IOException;
import java.io.InputStream;
import java.net.HttpURLConnection;
import java.net.InetSocketAddress;
import java.net.Proxy;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.HttpsURLConnection;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * Node-local commands: they look the node's address up through the leader, then talk to the node
 * itself (NodeManagement on 7839, metrics on 7840), through the proxy when one is given, and accept
 * only that node's certificate under the pinned CA.
 */
final class NodeLocalCommands {
  private NodeLocalCommands() {}

  /** {@code node logs NODE-ID}: the node's log tree. */
  @Command(
      name = "logs",
      mixinStandardHelpOptions = true,
      description = {
        "Print a node's logs: `=== Logs from ID (ADDRESS):`, one line per entry (`DN S TIME"
            + " FILE:LINE] message`, or `DN R data` for an external process's output), then `==="
            + " Done.`. With --format json, one JSON object per entry and nothing else.",
        "With --follow it keeps printing new entries until interrupted (Ctrl-C)."
      })
  static final class Logs implements Runnable {
    @Spec CommandSpec spec;

    @Parameters(index = "0", paramLabel = "NODE-ID", description = "The node to read.")
    String id;

    @Option(
        names = "--dn",
        paramLabel = "DN",
        description = "Log to read, e.g. root.role (default: the whole tree).")
    String dn = "";

    @Option(
        names = {"-e", "--exact"},
        description = "Only the DN itself, not the logs below it.")
    boolean exact;

    @Option(
        names = {"-f", "--follow"},
        description = "After the backlog, keep printing new entries until interrupted.")
    boolean follow;

    @Option(
        names = "--backlog",
        paramLabel = "N",
        description = "Past entries to print: -1 all (default), 0 none, N the last N.")
    long backlog = -1;

    @Option(
        names = "--severity",
        paramLabel = "LEVEL",
        description =
            "Only leveled entries at or above LEVEL: INFO, WARNING, ERROR or FATAL (raw output"
                + " is left out).")
    String severity;

    @Override
    public void run() {
      Metroctl root = Metroctl.of(spec);
      NodeCommand.checkId(spec, id);
      GetLogsRequest req = request();
      boolean json = root.format() == Metroctl.Format.json;
      var out = root.io().out();
      try (ClusterClient client = root.client(spec)) {
        String addr = lookUp(client, id);
        ManagedChannel ch = client.nodeChannel(addr, id);
        Context.CancellableContext ctx = Context.current().withCancellation();
        CountDownLatch finished = new CountDownLatch(1);
        // Ctrl-C (or SIGTERM) while following: end the call and let the loop below finish the
        // line it is printing, rather than dying mid-line with a stack trace from gRPC.
        Thread hook =
            new Thread(() -> {
              ctx.cancel(null);
              try {
                finished.await(2, TimeUnit.SECONDS);
              } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
              }
            });
        Runtime.getRuntime().addShutdownHook(hook);
        try {
          if (!json) {
            out.println("=== Logs from " + id + " (" + addr + "):");
            out.flush();
          }
          Iterator<GetLogsResponse> it =
              ctx.call(() -> NodeManagementGrpc.newBlockingStub(ch).logs(req));
          while (it.hasNext()) {
            GetLogsResponse r = it.next();
            for (LogEntry e : r.getBacklogEntriesList()) {
              out.println(json ? LogView.json(e) : LogView.text(e));
            }
            for (LogEntry e : r.getStreamEntriesList()) {
              out.println(json ? LogView.json(e) : LogView.text(e));
            }
            out.flush();
          }
          if (!json) {
            out.println("=== Done.");
          }
        } catch (StatusRuntimeException e) {
          if (e.getStatus().getCode() == Status.Code.CANCELLED && ctx.isCancelled()) {
            // Interrupted by the operator: a normal end of --follow.
            if (!json) {
              out.println("=== Done.");
            }
          } else {
            throw new MetroctlException(
                "reading logs of " + id + " failed: " + RpcErrors.describe(e), e);
          }
        } catch (Exception e) {
          throw e instanceof RuntimeException r ? r : new IllegalStateException(e);
        } finally {
          out.flush();
          ch.shutdownNow();
          finished.countDown();
          try {
            Runtime.getRuntime().removeShutdownHook(hook);
          } catch (IllegalStateException shuttingDown) {
            // The JVM is exiting because of the signal; the hook is running already.
          }
        }
      }
    }

    private GetLogsRequest request() {
      try {
        DN.of(dn);
      } catch (IllegalArgumentException e) {
        throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage());
      }
      if (backlog < -1) {
        throw new CommandLine.ParameterException(
            spec.commandLine(), "Invalid --backlog " + backlog + ": want -1 (all), 0 or a count");
      }
      GetLogsRequest.Builder b =
          GetLogsRequest.newBuilder()
              .setDn(dn)
              .setStreamMode(
                  follow
                      ? GetLogsRequest.StreamMode.STREAM_MODE_UNBUFFERED
                      : GetLogsRequest.StreamMode.STREAM_MODE_DISABLE);
      if (backlog == -1) {
        b.setBacklogMode(GetLogsRequest.BacklogMode.BACKLOG_MODE_ALL);
      } else if (backlog == 0) {
        b.setBacklogMode(GetLogsRequest.BacklogMode.BACKLOG_MODE_DISABLE);
      } else {
        b.setBacklogMode(GetLogsRequest.BacklogMode.BACKLOG_MODE_COUNT).setBacklogCount(backlog);
      }
      if (!exact) {
        b.addFilters(
            LogFilter.newBuilder().setWithChildren(LogFilter.WithChildren.getDefaultInstance()));
      }
      if (severity != null) {
        Severity s;
        try {
          s = Severity.parse(severity);
        } catch (IllegalArgumentException e) {
          throw new CommandLine.ParameterException(
              spec.commandLine(), "Invalid --severity: " + e.getMessage());
        }
        b.addFilters(
            LogFilter.newBuilder()
                .setLeveledWithMinimumSeverity(
                    LogFilter.LeveledWithMinimumSeverity.newBuilder().setMinimum(wire(s))));
      }
      return b.build();
    }
  }

  private static LeveledLogSeverity wire(Severity s) {
    return switch (s) {
      case INFO -> LeveledLogSeverity.LEVELED_LOG_SEVERITY_INFO;
      case WARNING -> LeveledLogSeverity.LEVELED_LOG_SEVERITY_WARNING;
      case ERROR -> LeveledLogSeverity.LEVELED_LOG_SEVERITY_ERROR;
      case FATAL -> LeveledLogSeverity.LEVELED_LOG_SEVERITY_FATAL;
    };
  }

  /** {@code node metrics NODE-ID [EXPORTER]}: one exporter's Prometheus text. */
  @Command(
      name = "metrics",
      mixinStandardHelpOptions = true,
      description =
          "Print a node's metrics in Prometheus text format, fetched over HTTPS from the node"
              + " itself with the owner's certificate.")
  static final class Metrics implements Runnable {
    static final List<String> EXPORTERS = List.of("core", "node", "etcd");

    @Spec CommandSpec spec;

    @Parameters(index = "0", paramLabel = "NODE-ID", description = "The node to ask.")
    String id;

    @Parameters(
        index = "1",
        arity = "0..1",
        paramLabel = "EXPORTER",
        description =
            "core (the node core: runnables, curator RPCs, JVM; default), node (host: CPU,"
                + " memory, filesystems, network) or etcd (consensus members only).")
    String exporter = "core";

    @Override
    public void run() {
      Metroctl root = Metroctl.of(spec);
      NodeCommand.checkId(spec, id);
      if (!EXPORTERS.contains(exporter)) {
        throw new CommandLine.ParameterException(
            spec.commandLine(),
            "Invalid exporter \"" + exporter + "\": want one of " + String.join(", ", EXPORTERS));
      }
      try (ClusterClient client = root.client(spec)) {
        String addr = lookUp(client, id);
        URI uri =
            URI.create(
                "https://"
                    + (addr.indexOf(':') >= 0 ? "[" + addr + "]" : addr)
                    + ":"
                    + ClusterClient.METRICS_PORT
                    + "/metrics/"
                    + exporter);
        root.io().out().print(get(client, uri));
      }
    }

    private String get(ClusterClient client, URI uri) {
      try {
        Proxy proxy =
            client
                .proxy()
                .map(p ->
                    new Proxy(
                        Proxy.Type.SOCKS, InetSocketAddress.createUnresolved(p.host(), p.port())))
                .orElse(Proxy.NO_PROXY);
        HttpsURLConnection c = (HttpsURLConnection) uri.toURL().openConnection(proxy);
        c.setSSLSocketFactory(client.nodeTls(id).getSocketFactory());
        // The trust manager accepts only this node's certificate; its names are node IDs, not
        // the address dialled, so the URL's host is not what identifies it.
        c.setHostnameVerifier((host, session) -> true);
        c.setConnectTimeout(10_000);
        c.setReadTimeout(30_000);
        int code = c.getResponseCode();
        InputStream body =
            code == HttpURLConnection.HTTP_OK ? c.getInputStream() : c.getErrorStream();
        String text = body == null ? "" : new String(body.readAllBytes(), StandardCharsets.UTF_8);
        if (code != HttpURLConnection.HTTP_OK) {
          throw new MetroctlException(
              "metrics of " + id + " (" + uri + "): HTTP " + code + ": " + text.strip());
        }
        return text;
      } catch (IOException e) {
        throw new MetroctlException("fetching " + uri + " failed: " + e.getMessage(), e);
      }
    }
  }

  /** {@code node status NODE-ID}: the node's supervised runnables. */
  @Command(
      name = "status",
      mixinStandardHelpOptions = true,
      description =
          "List a node's supervised runnables with their state and restart count, asked of the"
              + " node itself: a crash-looping service shows many restarts.")
  static final class StatusCommand implements Runnable {
    @Spec CommandSpec spec;

    @Parameters(index = "0", paramLabel = "NODE-ID", description = "The node to ask.")
    String id;

    @Override
    public void run() {
      Metroctl root = Metroctl.of(spec);
      NodeCommand.checkId(spec, id);
      List<GetRunnablesResponse.Runnable> runnables;
      try (ClusterClient client = root.client(spec)) {
        String addr = lookUp(client, id);
        ManagedChannel ch = client.nodeChannel(addr, id);
        try {
          runnables =
              NodeManagementGrpc.newBlockingStub(ch)
                  .withDeadlineAfter(30, TimeUnit.SECONDS)
                  .getRunnables(GetRunnablesRequest.getDefaultInstance())
                  .getRunnablesList();
        } catch (StatusRuntimeException e) {
          throw new MetroctlException(
              "listing runnables of " + id + " failed: " + RpcErrors.describe(e), e);
        } finally {
          ch.shutdownNow();
        }
      }
      var out = root.io().out();
      if (root.format() == Metroctl.Format.json) {
        for (var r : runnables) {
          out.println(
              new Json()
                  .field("dn", r.getDn())
                  .field("state", r.getState())
                  .field("restarts", r.getRestarts()));
        }
        return;
      }
      SparseTable table = new SparseTable();
      for (var r : runnables) {
        Map<String, String> row = new LinkedHashMap<>();
        row.put("runnable", r.getDn());
        row.put("state", r.getState());
        row.put("restarts", Long.toString(r.getRestarts()));
        table.add(row);
      }
      out.print(table.render());
    }
  }

  private static String lookUp(ClusterClient client, String id) {
    try {
      return client.nodeAddress(id);
    } catch (StatusRuntimeException e) {
      throw new MetroctlException("looking up node " + id + " failed: " + RpcErrors.describe(e), e);
    }
  }
}
