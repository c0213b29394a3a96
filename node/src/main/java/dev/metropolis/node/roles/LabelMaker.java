package dev.metropolis.node.roles;

import dev.metropolis.api.curator.Node;
import dev.metropolis.kubernetes.apiserver.Loopback;
import dev.metropolis.kubernetes.client.RestClient;
import dev.metropolis.kubernetes.labels.LabelSync;
import dev.metropolis.node.curator.ClusterConfigs;
import dev.metropolis.osbase.event.Value;
import dev.metropolis.osbase.event.Watcher;
import dev.metropolis.osbase.supervisor.Context;
import dev.metropolis.osbase.supervisor.SupervisedRunnable;
import io.etcd.jetcd.Client;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeoutException;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * Runs {@link LabelSync} on every Kubernetes controller (not leader-elected: its patches are
 * idempotent) whenever the cluster's nodes change and every {@value #PERIOD_SECONDS} s otherwise,
 * which also picks up Nodes that workers registered since and changes of the cluster's
 * synchronisation rules.
 */
final class LabelMaker implements SupervisedRunnable {
  private static final int PERIOD_SECONDS = 5;
  private final Loopback api;
  private final Client etcd;
  private final Value<Map<String, Node>> nodes;

  LabelMaker(Loopback api, Client etcd, Value<Map<String, Node>> nodes) {
    this.api = api;
    this.etcd = etcd;
    this.nodes = nodes;
  }

  @Override
  public void run(Context ctx) throws Exception {
    try (RestClient client = new RestClient(api.url(), api.sslContext());
        Watcher<Map<String, Node>> w = nodes.watch()) {
      Map<String, Node> current = w.get();
      ctx.signalHealthy();
      List<String> reported = List.of();
      String badRules = "";
      while (true) {
        List<Pattern> rules = new ArrayList<>();
        List<String> invalid = new ArrayList<>();
        for (var r : ClusterConfigs.read(etcd).getKubernetes().getNodeLabelsToSynchronizeList()) {
          try {
            rules.add(Pattern.compile(r.getRegexp()));
          } catch (PatternSyntaxException e) {
            invalid.add(r.getRegexp());
          }
        }
        if (!String.join(" ", invalid).equals(badRules)) {
          badRules = String.join(" ", invalid);
          if (!invalid.isEmpty()) {
            ctx.logger().warning("Ignoring invalid node label expressions: %s", invalid);
          }
        }
        Map<String, Map<String, String>> desired = new HashMap<>();
        for (Node n : current.values()) {
          Map<String, String> labels = new HashMap<>();
          n.getLabels().getPairsList().forEach(p -> labels.put(p.getKey(), p.getValue()));
          desired.put(
              n.getId(),
              LabelSync.desired(new LinkedHashSet<>(RoleNames.list(n.getRoles())), labels, rules));
        }
        var result = LabelSync.sync(client, desired);
        if (result.patched() > 0) {
          ctx.logger().info("Updated the labels of %d Kubernetes node(s).", result.patched());
        }
        if (!result.collisions().equals(reported)) {
          reported = result.collisions();
          for (String c : reported) {
            ctx.logger().warning("Not labelling %s.", c);
          }
        }
        try {
          current = w.get(Duration.ofSeconds(PERIOD_SECONDS));
        } catch (TimeoutException e) {
          // periodic cycle with the nodes we have
        }
      }
    }
  }
}
